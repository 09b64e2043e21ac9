import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import lockfile from 'proper-lockfile';
import { SnapctlError } from './errors.js';

/**
 * Cross-process locks (proper-lockfile: an mkdir lock whose mtime the holder refreshes, so a lock left by a
 * killed process goes stale and is taken over instead of blocking snapctl forever).
 */
export interface LockOptions {
  /** How long to wait for another holder before failing, in milliseconds. */
  waitMs: number;
  /** What the lock protects, for the error a user sees when waiting runs out. */
  what: string;
}

const STALE_MS = 5_000;
const UPDATE_MS = 1_000;
const POLL_MS = 50;

export async function withLock<T>(lockPath: string, options: LockOptions, fn: () => Promise<T>): Promise<T> {
  await mkdir(path.dirname(lockPath), { recursive: true });
  const retries = Math.max(0, Math.ceil(options.waitMs / POLL_MS));
  let compromised: Error | undefined;
  let release: () => Promise<void>;
  try {
    release = await lockfile.lock(lockPath, {
      realpath: false,
      lockfilePath: lockPath,
      stale: STALE_MS,
      update: UPDATE_MS,
      retries: { retries, factor: 1, minTimeout: POLL_MS, maxTimeout: POLL_MS, randomize: true },
      // A compromised lock (our refresh was late, someone took it over) must not crash the process in the
      // middle of a write: we remember it and fail the operation after its current step.
      onCompromised: (err) => { compromised = err; },
    });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ELOCKED') {
      throw new SnapctlError('busy', `${options.what} is busy: another snapctl operation holds it`, 'wait for it to finish and try again');
    }
    throw err;
  }
  try {
    return await fn();
  } finally {
    if (!compromised) await release().catch(() => undefined);
  }
}
