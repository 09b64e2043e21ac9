import { constants as fsc } from 'node:fs';
import { open, readFile, rm, rmdir, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { mkdirPrivate, PRIVATE_FILE_MODE } from '../base/private-fs.js';
import { SnapctlError, errnoCode } from '../base/errors.js';

/**
 * Cross-process locks held by the kernel: an exclusive lock on an open file description (fcntl F_OFD_SETLK on
 * Linux, flock on macOS; Node has neither, so fs-native-extensions' prebuilt N-API addon asks for it) on a
 * lock file made once, empty, and never removed. Why this and not a lock made of files:
 * - it needs no free space: on a full disk the commands that give space back (delete, prune) still lock (a
 *   lock file that already exists is only opened; a new one is an empty file, an inode and a name);
 * - the kernel lets it go the moment its holder dies (kill -9, a crash), so nothing has to judge a lock stale:
 *   no refresh, no timeout, no pid to check;
 * - a live holder keeps it however long it is stopped (Ctrl-Z, a starved CPU): a lock taken over from a live
 *   holder once mixed two rollbacks and collected objects a new snapshot used;
 * - two opens in one process conflict like two processes (unlike classic POSIX record locks), so the tray app's
 *   concurrent operations are kept apart too.
 * The lock file is never removed: removing it would let one process lock the old file and another a new one
 * under the same name.
 */
export interface LockOptions {
  /** How long to wait for another holder before failing, in milliseconds. */
  waitMs: number;
  /** What the lock protects, for the error a user sees when waiting runs out. */
  what: string;
}

const POLL_MS = 25;

interface Native {
  tryLock(fd: number, offset?: number, length?: number, options?: { shared?: boolean }): boolean;
}

let native: Native | undefined;
async function locking(): Promise<Native> {
  // Loaded on first use: read-only commands never lock.
  native ??= ((await import('fs-native-extensions')) as { default: Native }).default;
  return native;
}

export async function withLock<T>(lockPath: string, options: LockOptions, fn: () => Promise<T>): Promise<T> {
  const handle = await openLockFile(lockPath);
  try {
    await acquire(handle, lockPath, options);
    // Who holds it, for a waiter's message; best effort (a full disk has no room for it, and needs none).
    await handle.truncate(0).then(() => handle.write(`${process.pid}\n`, 0)).catch(() => undefined);
    return await fn();
  } finally {
    // Closing the only descriptor of the open file description releases the lock.
    await handle.close();
  }
}

/** Opens (making it, 0600, if need be) the lock file, never through a link put in its place. */
async function openLockFile(lockPath: string): Promise<FileHandle> {
  await mkdirPrivate(path.dirname(lockPath));
  const flags = fsc.O_RDWR | fsc.O_CREAT | fsc.O_NOFOLLOW;
  try {
    return await open(lockPath, flags, PRIVATE_FILE_MODE);
  } catch (err) {
    if (errnoCode(err) === 'ELOOP') {
      throw new SnapctlError('failed', `the lock file ${lockPath} is a symbolic link: snapctl never writes its state through a link`, 'remove the link; snapctl makes the lock file again');
    }
    // Versions before kernel locks made their lock as an empty folder of this name: one a killed process left
    // is removed (rmdir removes only an empty folder), with its holder record, and the lock file made in its place.
    if (errnoCode(err) !== 'EISDIR') throw err;
    await rmdir(lockPath).catch(() => undefined);
    await rm(`${lockPath}.owner`, { force: true }); // its holder record, 0644 in those versions
    return open(lockPath, flags, PRIVATE_FILE_MODE);
  }
}

async function acquire(handle: FileHandle, lockPath: string, options: LockOptions): Promise<void> {
  const { tryLock } = await locking();
  const deadline = Date.now() + options.waitMs;
  for (;;) {
    if (tryLock(handle.fd)) return;
    if (Date.now() >= deadline) {
      const holder = (await readFile(lockPath, 'utf8').catch(() => '')).trim();
      const pid = /^\d+$/.test(holder) ? ` (process ${holder})` : '';
      throw new SnapctlError('busy', `${options.what} is busy: another snapctl operation${pid} holds it`, 'wait for it to finish and try again');
    }
    await sleep(POLL_MS + Math.random() * POLL_MS);
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return errnoCode(err) === 'EPERM';
  }
}
