import { constants as fsConstants } from 'node:fs';
import { access } from 'node:fs/promises';
import { SnapctlError, describeError, usageError } from '../base/errors.js';
import { phaseTrace } from '../base/trace.js';
import { CreateStopped, type DiffResult, type RestoreResult } from '../providers/provider.js';
import type { JournalEntry } from '../state/journal.js';
import { bothFilters, changesNothing, isGitPath } from '../tree/compare.js';
import { shownName } from '../tree/names.js';
import { walk, type LiveEntry } from '../tree/walk.js';
import type { SnapshotRecord } from '../../shared/model.js';
import type { RollbackView } from '../../shared/api.js';
import { withBlockingAncestors } from './blocking-ancestors.js';
import type { ServiceContext } from './context.js';
import { createLocked, type CreateLockedOptions, type LockedSnapshot } from './create.js';
import { safetyTag, snapshotLabel } from './labels.js';
import { lastRollback, listSnapshots, readySnapshot } from './queries.js';
import { forget, setState } from './record-changes.js';
import { completeJournal, finishFirst } from './recovery.js';
import { assertApartFromState } from './targets.js';
import { heldAsFolderIn, leaveAloneOf, prepareFolder, removeIfEmpty } from './rollback-folder.js';
import { describeProblems, lockedRefusal, plainWhy, unknownPaths } from './rollback-words.js';
import { lastUndoable } from './status.js';
import { outsideRollback } from './rollback-bound.js';

/** The API's RollbackView: `safety` null and `nothingToChange` when the folder already matched. */
export type RollbackResult = RollbackView;

const NOTHING_TO_CHANGE = Symbol('nothing to change');

export async function rollback(ctx: ServiceContext, id: unknown, options: { paths?: string[] | null; keepGit?: boolean } = {}): Promise<RollbackResult> {
  const record = await readySnapshot(ctx, id);
  return observed(ctx, 'rollback', record, () => ctx.withTarget(record.target, () =>
    restoreLocked(ctx, record, options.paths ?? null, 'rollback', options.keepGit ?? false, {})));
}

/**
 * Reverts the last rollback of `target` (or of the folder rolled back last) by restoring its safety
 * snapshot. A rollback that stopped part way (its journal is still there) is given up instead: its safety
 * snapshot is restored. A rollback already undone is not undone twice.
 */
export async function undo(ctx: ServiceContext, filter: { target?: string } = {}): Promise<RollbackResult> {
  const target = filter.target ?? (await lastRollback(ctx))?.target ?? (await ctx.journal.all()).entries[0]?.target;
  if (!target) throw new SnapctlError('not-found', 'no rollback to undo');
  const safetyOf = (id: string): Promise<SnapshotRecord> => readySnapshot(ctx, id).catch(() => {
    throw new SnapctlError('not-found', `the safety snapshot ${id} taken before the last rollback of ${target} is gone`, 'it was deleted; the rollback cannot be undone');
  });
  return ctx.withTarget(target, async () => {
    const { snapshots, rollbacks } = await ctx.store.read();
    const known = (id: string): SnapshotRecord | null => snapshots.find((s) => s.id === id) ?? null;
    const pending = await ctx.journal.read(target);
    if (pending) {
      const safety = await safetyOf(pending.safetyId);
      const undone = await observed(ctx, 'undo', safety, () => restoreLocked(ctx, safety, pending.paths, 'undo', pending.keepGit ?? false, { undoing: known(pending.snapshotId), replacing: pending }));
      if (pending.folderMade && pending.paths === null) await removeIfEmpty(target);
      return undone;
    }
    const last = [...rollbacks].reverse().find((r) => r.target === target);
    if (!last) throw new SnapctlError('not-found', `no rollback of ${target} to undo`);
    if (last.kind === 'undo') {
      const undone = [...rollbacks].reverse().find((r) => r.target === target && r.kind === 'rollback' && r.safetyId === last.snapshotId);
      const to = undone ? known(undone.snapshotId) : null;
      throw new SnapctlError('nothing-to-do', `the last rollback of ${target} (to ${to ? snapshotLabel(to) : 'an earlier snapshot'}) is already undone`, 'nothing was changed');
    }
    const found = lastUndoable({ snapshots, rollbacks }, target);
    if (found?.lost) throw new SnapctlError('not-found', `the last rollback of ${target} (${found.label}) can no longer be undone: ${found.lost}`, 'nothing was changed');
    const safety = await safetyOf(last.safetyId);
    const undone = await observed(ctx, 'undo', safety, () => restoreLocked(ctx, safety, last.paths, 'undo', last.keepGit ?? false, { undoing: known(last.snapshotId) }));
    // The folder was gone before the rollback made it again: as before, it is gone again.
    if (last.folderMade && last.paths === null) await removeIfEmpty(target);
    return undone;
  });
}

/** Runs a rollback or undo, telling the listeners (metrics, the UI) how it ended. */
async function observed(ctx: ServiceContext, kind: 'rollback' | 'undo', record: SnapshotRecord, fn: () => Promise<RollbackResult>): Promise<RollbackResult> {
  const started = Date.now();
  try {
    const result = await fn();
    if (!result.nothingToChange) ctx.emit({ type: 'rollback-completed', result, kind, durationMs: Date.now() - started });
    return result;
  } catch (err) {
    if (!(err instanceof SnapctlError && err.kind === 'nothing-to-do')) {
      ctx.emit({ type: 'rollback-failed', snapshotId: record.id, target: record.target, provider: record.provider, error: describeError(err), durationMs: Date.now() - started });
    }
    throw err;
  }
}

/**
 * A rollback (or undo) of `record`; the caller holds the folder's lock. The preview is made from the walk
 * the safety snapshot takes anyway (clone), or from a walk of its own before a filesystem snapshot: when
 * nothing would change, no safety snapshot is taken. `replacing`: the unfinished rollback this undo gives up.
 */
async function restoreLocked(ctx: ServiceContext, record: SnapshotRecord, asked: string[] | null, kind: 'rollback' | 'undo', keepGit: boolean, o: { undoing?: SnapshotRecord | null; replacing?: JournalEntry }): Promise<RollbackResult> {
  const provider = ctx.provider(record.provider);
  const paths = await withBlockingAncestors(record.target, asked, heldAsFolderIn(provider, record));
  const trace = phaseTrace(kind, ctx.env);
  const target = record.target;
  trace('lock');
  if (!o.replacing) await finishFirst(ctx, target);
  await provider.verify(record);
  trace(`read and check ${record.id}`);
  const folderMade = await prepareFolder(target);
  await assertApartFromState(target, ctx.layout.root);
  // A folder we cannot write to (read-only mount, wrong owner) fails here, before a safety snapshot
  // and a journal that could never be finished.
  await access(target, fsConstants.W_OK);
  // An undo puts back only what its rollback changed (see outsideRollback).
  const untouched = kind === 'undo' ? await outsideRollback(provider, record, o.undoing ?? null) : null;
  const exclude = bothFilters(keepGit ? isGitPath : undefined, untouched ?? undefined);
  // Paths excluded from snapshots are left alone: this snapshot has nothing to put there, and the safety
  // snapshot (taken with the folder's excludes now) would not hold them for undo.
  const { sets: leaveAloneSets, filter: leaveAlone } = await leaveAloneOf(record, await ctx.policy(target));
  let plan: DiffResult | null = null;
  // The folder's newest snapshot recorded most of its files as they are now: those are compared by hash.
  const newest = (await listSnapshots(ctx, { target })).find((s) => s.provider === record.provider && s.state === 'ready');
  const decide = async (live?: readonly LiveEntry[], reference = newest): Promise<void> => {
    const found = await provider.diff(record, paths, { ...(exclude ? { exclude } : {}), ...(live ? { live } : {}), ...(leaveAlone ? { leaveAlone } : {}), ...(reference ? { reference } : {}) });
    plan = found;
    const [under, link] = found.beneathLink?.[0] ?? [];
    if (under !== undefined && link !== undefined) {
      throw new CreateStopped(usageError(`${shownName(link)} is a symbolic link in snapshot ${record.id}, so ${shownName(under)} is not a path of its own`, `restore ${shownName(link)} itself; nothing was changed`));
    }
    // An undo puts back what its safety snapshot holds of the paths: one it holds nothing of (left alone by
    // the excludes, say) has nothing to put back, and refusing would leave the folder without a way back.
    if (found.unknown && found.unknown.length > 0 && kind === 'rollback') throw new CreateStopped(await unknownPaths(record, found.unknown, leaveAlone, provider));
    // What the system will not let change stops the rollback here, before anything changes, never half way.
    if (found.refused && found.refused.length > 0) throw new CreateStopped(lockedRefusal(record, found.refused));
    if (changesNothing(found)) throw new CreateStopped(NOTHING_TO_CHANGE);
  };
  const safetyOptions: CreateLockedOptions = {
    tag: safetyTag(kind, record, o.undoing ?? null, new Date(), paths, await ctx.store.read()), trigger: 'safety', provider: record.provider, note: null, restoring: record, trace,
    // An undo with no bound puts the whole folder back, over paths its rollback never changed, where its
    // safety snapshot may hold only what the newest snapshot did (narrowed): its own safety snapshot walks,
    // so whatever it writes over is kept.
    ...(kind === 'undo' && !untouched ? { whole: true } : {}),
  };
  let made: LockedSnapshot;
  try {
    if (!provider.capabilities.walksOnCreate) await decide();
    const options = plan ? safetyOptions : { ...safetyOptions, inspect: (live: readonly LiveEntry[]) => decide(live) };
    // The folder may have changed so that its provider no longer takes it whole (a subvolume or dataset
    // made inside it since): its state before the rollback is kept by clone then, which takes anything.
    made = await createLocked(ctx, target, options).catch((err: unknown) => {
      if (!(err instanceof SnapctlError && err.kind === 'unsupported') || record.provider === 'clone') throw err;
      return createLocked(ctx, target, { ...options, provider: 'clone' });
    });
    if (!plan) await decide(made.live, made.record).catch(async (err: unknown) => { await forget(ctx, [made.record]); throw err; });
  } catch (err) {
    if (!(err instanceof CreateStopped)) throw err;
    if (err.reason !== NOTHING_TO_CHANGE) throw err.reason;
    if (o.replacing) { await ctx.journal.keepCopy(target); await ctx.journal.clear(target); }
    const decided = plan as DiffResult | null;
    const unchanged = decided?.unchanged ?? 0;
    const keptFolders = decided?.kept ?? [];
    return { snapshot: record, safety: null, restored: { restored: 0, broughtBack: 0, removed: 0, unchanged, kept: [], ...(keptFolders.length > 0 ? { keptFolders } : {}) }, paths, nothingToChange: true, keepGit };
  }
  const { record: safety, live, notHeld } = made;
  // Every byte the restore will read is checked before the first change: damaged data is refused whole.
  const damaged = await provider.checkRestore?.(record, paths, live ?? (await walk(target)).entries, safety) ?? [];
  trace('check what will be restored');
  if (damaged.length > 0) {
    await setState(ctx, [record.id], 'damaged');
    await forget(ctx, [safety]);
    throw new SnapctlError('corrupt', `snapshot ${record.id} of ${target} is damaged: ${describeProblems(damaged)}`,
      `nothing in the folder was changed; 'snapctl verify ${record.id}' checks all of it; roll back to another snapshot, or restore other paths with --only`);
  }
  const entry: JournalEntry = {
    version: 1, target, snapshotId: record.id, safetyId: safety.id, paths, kind,
    startedAt: new Date().toISOString(), pid: process.pid, protect: notHeld, ...(keepGit ? { keepGit } : {}), leaveAlone: leaveAloneSets,
    ...(folderMade && kind === 'rollback' ? { folderMade } : {}),
    ...(kind === 'rollback' ? { between: [record.id, safety.id] } : o.undoing && untouched ? { between: [record.id, o.undoing.id] } : {}),
  };
  // The unfinished rollback an undo gives up is kept aside, then replaced by this one in one write.
  if (o.replacing) await ctx.journal.keepCopy(target);
  await ctx.journal.write(entry);
  trace('journal');
  let restored: RestoreResult;
  try {
    const planned: DiffResult | null = plan;
    restored = await provider.restore(record, paths, {
      token: safety.id, protect: new Set(notHeld), ...(live ? { live } : {}), ...(exclude ? { exclude } : {}), ...(planned ? { plan: planned } : {}),
      ...(leaveAlone ? { leaveAlone } : {}), reference: safety,
    });
  } catch (err) {
    // The folder may be half restored (each file whole, old or new) and the journal says so.
    const why = plainWhy(err);
    await ctx.journal.writeError(target, why).catch(() => undefined);
    throw new SnapctlError('failed', `the rollback of ${target} to ${snapshotLabel(record)} stopped part way: ${why}`,
      `'snapctl status' shows it; once that is fixed, 'snapctl recover' finishes it, or 'snapctl undo --path ${target}' returns the folder to how it was before`);
  }
  trace('restore');
  await completeJournal(ctx, entry);
  trace('record it and clear the journal');
  return { snapshot: record, safety, restored, paths, nothingToChange: false, keepGit };
}

