import { lstat, mkdir, readdir, readlink, realpath, rmdir } from 'node:fs/promises';
import path from 'node:path';
import { SnapctlError, errnoCode, nullIfMissing } from '../base/errors.js';
import type { SnapshotProvider } from '../providers/provider.js';
import { leaveAloneFilter, type Exclusions } from '../tree/excludes.js';
import type { PathFilter } from '../tree/manifest.js';
import type { SnapshotRecord } from '../../shared/model.js';
import type { FolderPolicy } from './context.js';

// The folder a rollback, its preview or its undo writes into or compares with, and what it leaves alone.

/**
 * The folder a rollback writes into must be the folder snapshots were taken of: a link put in its place (or
 * in place of a folder above it) would send every write elsewhere, so it is refused. A folder deleted by
 * mistake is made again, empty, for the rollback to fill.
 */
export async function prepareFolder(target: string): Promise<boolean> {
  if (await assertRealFolder(target) === 'ok') return false;
  const parent = await lstat(path.dirname(target)).catch(nullIfMissing);
  if (!parent?.isDirectory()) throw new SnapctlError('not-found', `the folder ${target} and the folder that held it are gone`, `make ${path.dirname(target)} again, then roll back`);
  await mkdir(target);
  return true;
}

/** The folder is the very folder snapshots were taken of (not a link, nor reached through one), or is gone. */
export async function assertRealFolder(target: string): Promise<'ok' | 'missing'> {
  const st = await lstat(target).catch(nullIfMissing);
  if (st === null) {
    return 'missing';
  } else if (st.isSymbolicLink()) {
    throw new SnapctlError('failed', `${target} is now a symbolic link to ${await readlink(target).catch(() => 'somewhere else')}: a rollback never writes through a link`,
      'move the link aside (snapctl then makes the folder again and restores it), or put the folder back');
  } else if (!st.isDirectory()) {
    throw new SnapctlError('failed', `${target} is no longer a folder`, 'move what stands there aside; the rollback then makes the folder again');
  }
  const real = await realpath(target);
  if (real !== target) throw new SnapctlError('failed', `${target} is now reached through a symbolic link (it leads to ${real}): a rollback never writes through a link`, 'put the folders above it back as they were');
  return 'ok';
}

/** Removes a folder a rollback made again, once its undo left it empty; one holding anything stays. */
export async function removeIfEmpty(target: string): Promise<void> {
  const st = await lstat(target).catch(nullIfMissing);
  if (!st?.isDirectory() || (await readdir(target)).length > 0) return;
  await rmdir(target).catch((err: unknown) => { if (errnoCode(err) !== 'ENOTEMPTY' && errnoCode(err) !== 'ENOENT') throw err; });
}

/** Whether the snapshot holds a folder at `rel`. */
export function heldAsFolderIn(provider: SnapshotProvider, record: SnapshotRecord): (rel: string) => Promise<boolean> {
  return async (rel) => {
    const got = await provider.readFile(record, rel, 0).catch(() => null);
    return got?.kind === 'not-a-file' && got.type === 'dir';
  };
}

/** The rollback's filter of paths excluded from snapshots: the snapshot's, the folder's now, and cache folders now. */
export async function leaveAloneOf(record: SnapshotRecord, policy: FolderPolicy): Promise<{ sets: Exclusions[]; filter: PathFilter | null }> {
  const sets = [record.excluded, { patterns: policy.excludes, cacheDirs: [] }].filter((e): e is Exclusions => e !== undefined && (e.patterns.length > 0 || e.cacheDirs.length > 0));
  return { sets, filter: await leaveAloneFilter(sets, { root: record.target }) };
}
