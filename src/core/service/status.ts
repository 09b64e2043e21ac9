import { lstat } from 'node:fs/promises';
import { describeError } from '../base/errors.js';
import { newestFirst, type ProviderName, type RollbackRecord, type StoreFile } from '../../shared/model.js';
import type { TargetStatus, UndoOffer, UnfinishedRollback } from '../../shared/api.js';
import { humanBytes, plural } from '../../shared/format.js';
import type { ServiceContext } from './context.js';
import { floorBytes, fsSpace } from './free-space.js';
import { clockTime, rolledBackTo, snapshotLabel } from './labels.js';
import { shownName } from '../tree/names.js';

/** What `status` shows of a folder beyond its settings. */
export type FolderState = Pick<TargetStatus, 'newest' | 'unfinished' | 'undo' | 'undoLost' | 'problems'>;

/** What `status` shows of one folder, derived from the store and the journal each time (never remembered). */
export async function folderState(ctx: ServiceContext, target: string): Promise<FolderState> {
  const store = await ctx.store.read();
  const { snapshots } = store;
  const newest = snapshots.filter((s) => s.target === target).sort(newestFirst)[0];
  const problems: string[] = [];
  const journalProblem = await ctx.journal.read(target).then(() => null, (err: unknown) => describeError(err));
  if (journalProblem) problems.push(journalProblem);
  const st = await lstat(target).catch(() => null);
  if (!st) problems.push(`the folder ${target} no longer exists: roll back to a snapshot to bring it back, or remove it in Settings`);
  else if (!st.isDirectory()) problems.push(`${target} is no longer a folder: move what stands there aside, or remove it in Settings`);
  const damaged = snapshots.filter((s) => s.target === target && s.state === 'damaged').length;
  if (damaged > 0) problems.push(`${plural(damaged, 'snapshot')} of this folder ${damaged === 1 ? 'is' : 'are'} damaged: 'snapctl verify' names the paths; ${damaged === 1 ? 'it is' : 'they are'} not used to share files`);
  const low = await belowFloor(ctx, newest?.provider ?? 'clone', target).catch(() => null);
  if (low) problems.push(low);
  const open = await unfinished(ctx, target);
  return {
    newest: newest ? { id: newest.id, createdAt: newest.createdAt, tag: newest.tag, trigger: newest.trigger } : null,
    ...(open ? { unfinished: open, undo: null, undoLost: null } : { unfinished: null, ...undoState(store, target) }), problems,
  };
}

/** A rollback of the folder that stopped part way (its journal is there), or null. */
export async function unfinished(ctx: ServiceContext, target: string): Promise<UnfinishedRollback | null> {
  const entry = await ctx.journal.read(target).catch(() => null); // a damaged journal is one of the folder's problems
  if (!entry) return null;
  const record = (await ctx.store.read()).snapshots.find((s) => s.id === entry.snapshotId);
  return {
    target, kind: entry.kind, snapshotId: entry.snapshotId, safetyId: entry.safetyId,
    snapshotLabel: record ? snapshotLabel(record) : entry.snapshotId, startedAt: entry.startedAt,
    error: await ctx.journal.readError(target), paths: entry.paths,
  };
}

/** Folders with a rollback journal (unfinished, or damaged when its text still names the folder). */
export async function unfinishedTargets(ctx: ServiceContext): Promise<string[]> {
  const { entries, damaged } = await ctx.journal.all();
  return [...entries.map((e) => e.target), ...damaged.flatMap((d) => (d.target ? [d.target] : []))];
}

/** Undo, offered from the folder's last rollback until it is undone or another rollback or undo runs. */
export async function undoOffer(ctx: ServiceContext, target: string): Promise<UndoOffer | null> {
  return undoState(await ctx.store.read(), target).undo;
}

/**
 * Why the folder's last rollback, not undone yet, can no longer be undone (its safety snapshot was deleted,
 * or removed by the system), or null: said where the undo used to be offered, so its absence is explained.
 */
export async function undoLost(ctx: ServiceContext, target: string): Promise<string | null> {
  return undoState(await ctx.store.read(), target).undoLost;
}

/** The undo offer and why it is gone, from one reading of the store. */
function undoState(store: Pick<StoreFile, 'snapshots' | 'rollbacks'>, target: string): { undo: UndoOffer | null; undoLost: string | null } {
  const found = lastUndoable(store, target);
  if (!found) return { undo: null, undoLost: null };
  return found.lost ? { undo: null, undoLost: `the last rollback (${found.label}) can no longer be undone: ${found.lost}` } : { undo: { rollback: found.rollback, label: found.label }, undoLost: null };
}

/**
 * The folder's last rollback while it is not undone, with its label ("rolled back to 'x' at 14:02") and, when
 * its safety snapshot is gone, why the undo is no longer possible ("its safety snapshot … was deleted").
 */
export function lastUndoable(store: Pick<StoreFile, 'snapshots' | 'rollbacks'>, target: string): { rollback: RollbackRecord; label: string; lost: string | null } | null {
  const last = [...store.rollbacks].reverse().find((r) => r.target === target);
  if (!last || last.kind !== 'rollback') return null;
  const to = store.snapshots.find((s) => s.id === last.snapshotId);
  const from = to ? rolledBackTo(to, store) : 'a snapshot since deleted';
  const one = last.paths?.length === 1 ? last.paths[0] : undefined;
  const label = one !== undefined ? `restored ${shownName(one)} from ${from} at ${clockTime(last.at)}` : `rolled back to ${from} at ${clockTime(last.at)}`;
  const safety = store.snapshots.find((s) => s.id === last.safetyId);
  const gone = !safety ? 'was deleted' : safety.state === 'vanished' ? 'was removed by the system' : null;
  return { rollback: last, label, lost: gone ? `its safety snapshot ${last.safetyId} ${gone}` : null };
}

/** Why the filesystem a folder's snapshots go to is below its free-space floor, or null when it is not. */
async function belowFloor(ctx: ServiceContext, provider: ProviderName, target: string): Promise<string | null> {
  const dir = ctx.dataDir(provider, target);
  const space = await fsSpace(dir);
  if (!space) return null;
  const floor = floorBytes((await ctx.policy(target)).floor, space.size);
  if (space.free >= floor) return null;
  return `the filesystem of ${provider === 'clone' ? "snapctl's store" : 'this folder'} has ${humanBytes(space.free)} free, below the ${humanBytes(floor)} floor: ` +
    "scheduled snapshots prune what retention allows, then skip, and manual ones are refused; free some space, delete old snapshots ('snapctl prune'), add excludes for caches, or lower the floor in Settings";
}
