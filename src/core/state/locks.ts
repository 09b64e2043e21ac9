import { readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { mkdirPrivate } from '../base/private-fs.js';
import { hostname } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { SnapctlError, errnoCode, nullIfMissing } from '../base/errors.js';

/**
 * Cross-process locks. proper-lockfile makes an mkdir lock whose mtime the holder refreshes, so a lock left
 * by a killed process goes stale and is taken over instead of blocking snapctl forever. On top of that we
 * record the holder's pid beside the lock: a waiter that finds the holder dead on this host marks the lock
 * stale at once, so the command after a crash does not wait out the stale timeout.
 */
export interface LockOptions {
  /** How long to wait for another holder before failing, in milliseconds. */
  waitMs: number;
  /** What the lock protects, for the error a user sees when waiting runs out. */
  what: string;
}

/**
 * A lock whose holder has not refreshed it for this long is taken over. A dead holder on this host is found at
 * once by its pid (below), so this only matters for a holder on another host. A live holder is never taken
 * over however long it is stopped: a `snapctl delete` suspended with Ctrl-Z, or starved of CPU, resumes in the
 * middle of its work, and two holders at once would mix two rollbacks or collect objects a new snapshot
 * uses (both seen with a 10 s limit). Waiters wait their time out and fail clearly instead.
 */
const STALE_MS = 30 * 60_000;
const UPDATE_MS = 1_000;
/** How long a lock may stand without its holder's record before it is taken for a killed holder's. */
const ORPHAN_MS = 5_000;
const POLL_MS = 25;
const host = hostname();

export async function withLock<T>(lockPath: string, options: LockOptions, fn: () => Promise<T>): Promise<T> {
  await mkdirPrivate(path.dirname(lockPath));
  const release = await acquire(lockPath, options);
  try {
    return await fn();
  } finally {
    await rm(ownerFile(lockPath), { force: true });
    await release().catch(() => undefined);
  }
}

function ownerFile(lockPath: string): string {
  return `${lockPath}.owner`;
}

async function acquire(lockPath: string, options: LockOptions): Promise<() => Promise<void>> {
  const deadline = Date.now() + options.waitMs;
  // Loaded on first use: read-only commands never lock.
  const { default: lockfile } = await import('proper-lockfile');
  for (;;) {
    try {
      const release = await lockfile.lock(lockPath, {
        realpath: false,
        lockfilePath: lockPath,
        stale: STALE_MS,
        update: UPDATE_MS,
        retries: 0,
        // If our refresh was late and another process took over, we finish the current step rather than
        // crash in the middle of a write; the store itself is only ever replaced by atomic renames.
        onCompromised: () => undefined,
      });
      const st = await stat(lockPath).catch(nullIfMissing);
      if (st) {
        try {
          await writeFile(ownerFile(lockPath), `${host} ${process.pid} ${st.ino}\n`);
        } catch (err) {
          // No record (a full disk, most often): the lock is given up at once, never held without one. Held so,
          // a holder stopped for a few seconds (Ctrl-Z, a starved CPU) would look like a killed one and be taken
          // over while it works; and left behind, it would make every next command wait.
          await release().catch(() => undefined);
          throw err;
        }
        return release;
      }
      // Gone the moment we took it: a waiter judged the previous holder stale and removed the lock we had just
      // made. It is not ours any more, so we wait again rather than go on unprotected. No release: that would
      // remove whatever lock stands there now; proper-lockfile's next refresh finds ours gone and stops.
    } catch (err) {
      if (errnoCode(err) !== 'ELOCKED') throw err;
    }
    if (Date.now() >= deadline) {
      throw new SnapctlError('busy', `${options.what} is busy: another snapctl operation holds it`, 'wait for it to finish and try again');
    }
    await expireIfHolderDied(lockPath);
    await sleep(POLL_MS + Math.random() * POLL_MS);
  }
}

/**
 * Backdates the lock when its recorded holder is a dead process on this host, so proper-lockfile's own
 * stale-lock takeover applies now. The inode check makes sure the owner record belongs to this very lock
 * and not to one a previous holder released.
 */
async function expireIfHolderDied(lockPath: string): Promise<void> {
  const [text, st] = await Promise.all([readFile(ownerFile(lockPath), 'utf8').catch(() => ''), stat(lockPath).catch(() => null)]);
  const [ownerHost, pidText, inoText] = text.trim().split(' ');
  if (!st) return;
  // A holder writes its record the moment it has the lock: a lock still without one (or with another lock's)
  // after a few seconds belongs to a process killed in between.
  if ((ownerHost === undefined || ownerHost === '' || inoText !== String(st.ino)) && Date.now() - st.mtimeMs > ORPHAN_MS) {
    const past = new Date(Date.now() - 10 * STALE_MS);
    await utimes(lockPath, past, past).catch(() => undefined);
    return;
  }
  if (ownerHost !== host || inoText !== String(st.ino)) return;
  const pid = Number(pidText);
  if (!Number.isInteger(pid) || pid <= 0 || isAlive(pid)) return;
  const past = new Date(Date.now() - 10 * STALE_MS);
  await utimes(lockPath, past, past).catch(() => undefined);
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return errnoCode(err) === 'EPERM';
  }
}
