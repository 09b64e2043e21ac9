import path from 'node:path';
import { SnapctlError, describeError, errnoCode, usageError } from '../base/errors.js';
import type { ContentProblem, SnapshotProvider } from '../providers/provider.js';
import { LOCK_LETTER } from '../tree/compare.js';
import { isUnder, type PathFilter } from '../tree/manifest.js';
import { MountBoundary } from '../tree/mount-points.js';
import { shownName } from '../tree/names.js';
import { restorePathOf } from '../tree/path-guard.js';
import type { SnapshotRecord } from '../../shared/model.js';
import { plural } from '../../shared/format.js';
import { snapshotLabel } from './labels.js';

// What a rollback, its preview and its recovery say when they refuse or stop: one line each, naming the path
// and what to do.

/** Problems in one line: the count and the first few paths with why. */
export function describeProblems(problems: readonly ContentProblem[]): string {
  const shown = problems.slice(0, 5).map((p) => `${JSON.stringify(p.path)} (${p.problem})`).join(', ');
  return `${plural(problems.length, 'file')} it would restore cannot be trusted: ${shown}${problems.length > 5 ? ', …' : ''}`;
}

/** A flag in words, with the chattr letter that sets it. */
export function lockedWhy(flag: 'immutable' | 'append-only'): string {
  return `${flag} (chattr +${LOCK_LETTER[flag]})`;
}

/**
 * The refusal of a rollback that would have to change paths the system will not let change: each named with
 * its flag, and the command that allows the change.
 */
export function lockedRefusal(record: SnapshotRecord, refused: readonly { path: string; flag: 'immutable' | 'append-only' }[]): SnapctlError {
  const shown = refused.slice(0, 5).map((r) => `${shownName(r.path === '' ? '.' : r.path)} is ${lockedWhy(r.flag)}`).join(', ');
  const letters = [...new Set(refused.map((r) => LOCK_LETTER[r.flag]))].map((l) => `-${l}`).join(' ');
  const first = refused[0]?.path ?? '';
  const at = first === '' ? record.target : path.join(record.target, first);
  return new SnapctlError('failed', `${shown}${refused.length > 5 ? `, and ${refused.length - 5} more` : ''}: rolling back to ${snapshotLabel(record)} would have to change ${refused.length === 1 ? 'it' : 'them'}`,
    `'chattr ${letters} ${at}'${refused.length > 1 ? ' and on the others' : ''} allows the change; then roll back again, or leave ${refused.length === 1 ? 'it' : 'them'} out with --only; nothing was changed`);
}

/** Paths of a partial rollback found on neither side: most often a typing mistake, so nothing is done. */
export async function unknownPaths(record: SnapshotRecord, unknown: readonly string[], leftOut: PathFilter | null, provider: SnapshotProvider): Promise<SnapctlError> {
  // A path on or below a filesystem mounted in the folder now: the rollback never writes there.
  const mounts = MountBoundary.of(record.target).points;
  const mounted = unknown.find((p) => [...mounts].some((m) => isUnder(p, m)));
  if (mounted !== undefined) {
    const at = [...mounts].find((m) => isUnder(mounted, m)) ?? mounted;
    return usageError(`${shownName(mounted)}: another filesystem is mounted at ${shownName(at)} in ${record.target} now, and a rollback never writes into one`,
      'unmount it to restore there; nothing was changed');
  }
  // A path the excludes leave out is in the folder, and a rollback leaves it alone: it is no misspelling.
  const excluded = leftOut ? unknown.filter((p) => leftOut(p)) : [];
  // Excludes added since the snapshot leave out paths it does hold: those can still be had as a copy.
  const held: string[] = [];
  for (const p of excluded.slice(0, 5)) {
    if ((await provider.readFile(record, p, 0).catch(() => null))?.kind !== 'missing') held.push(p);
  }
  if (held.length > 0) {
    const them = held.length === 1 ? 'it' : 'them';
    return usageError(`${held.map((p) => shownName(p)).join(', ')}${excluded.length > 5 ? ', …' : ''}: snapshot ${snapshotLabel(record)} (${record.id}) holds ${them}, but the folder's excludes now leave ${them} out (or a CACHEDIR.TAG does), and a rollback leaves excluded paths alone`,
      `'snapctl restore ${record.id} ${shownName(held[0] ?? '')} --to FILE' writes ${held.length === 1 ? 'a copy' : 'copies'} elsewhere, or take the pattern out of the excludes in Settings; nothing was changed`);
  }
  if (excluded.length > 0) {
    return usageError(`${excluded.slice(0, 5).map((p) => shownName(p)).join(', ')}${excluded.length > 5 ? ', …' : ''}: left out by the folder's excludes (or a CACHEDIR.TAG), so snapshot ${snapshotLabel(record)} (${record.id}) holds nothing there, and a rollback leaves ${excluded.length === 1 ? 'it' : 'them'} alone`,
      'change the excludes in Settings to keep it in later snapshots; nothing was changed');
  }
  const shown = unknown.slice(0, 5).map((p) => shownName(p)).join(', ');
  return usageError(`${shown}${unknown.length > 5 ? ', …' : ''}: ${unknown.length === 1 ? 'not a path' : 'not paths'} of snapshot ${snapshotLabel(record)} (${record.id}) nor of the folder ${record.target}`,
    'check the spelling; paths are relative to the folder (or to the current folder inside it); nothing was changed');
}

const ERRNO_WORDS: Record<string, string> = {
  EPERM: 'the system did not allow a change (the file may be immutable, or belong to another user)',
  EACCES: 'permission was denied',
  ENOSPC: 'the disk is full',
  EDQUOT: 'the disk quota is used up',
  EROFS: 'the filesystem is read-only',
  EBUSY: 'a file was in use',
  EIO: 'the disk reported a read or write error',
  ENAMETOOLONG: 'a name is too long for this filesystem',
  ENOENT: 'a file it needed is missing',
};

const WHAT_TO_DO: Record<string, string> = {
  EPERM: "if it is immutable or append-only ('lsattr' shows an i or an a), 'chattr -i -a' on it allows the change; then finish it",
  ENOSPC: 'free some space, then finish it',
  EDQUOT: 'free some space, then finish it',
  EROFS: 'remount it read-write, then finish it',
};

/**
 * Why a rollback stopped, in words a person reads: the cause and the path it concerns (the file's own name,
 * never the temporary one it was being written as), without a stack of system details.
 */
export function plainWhy(err: unknown): string {
  if (err instanceof SnapctlError) return err.message;
  const code = errnoCode(err);
  const words = code ? ERRNO_WORDS[code] : undefined;
  if (!words) return describeError(err);
  const e = err as NodeJS.ErrnoException & { dest?: string };
  if (code === 'ENOENT' && typeof e.path === 'string' && e.path.includes('/clone/objects/')) return "the snapshot's stored copy of a file is missing ('snapctl verify' names the damaged snapshots)";
  // The path that says where: a file of the folder, by its path in the folder (the restore knows it: the
  // system names only the bare name), never a temporary name or a file of snapctl's own store.
  const at = restorePathOf(err);
  const named = at ? (at.path === '' ? null : at.path) : [e.dest, e.path].find((p): p is string => typeof p === 'string' && !p.includes('.snapctl-restore-') && !path.isAbsolute(p));
  const where = named ? ` at ${shownName(named.replace(/^\.\//, ''))}${at ? ` in ${shownName(at.root)}` : ''}` : at ? ` at the folder ${shownName(at.root)} itself` : '';
  const todo = code ? WHAT_TO_DO[code] : undefined;
  return `${words}${where} (${code})${todo ? `; ${todo}` : ''}`;
}

