import path from 'node:path';
import { SnapctlError, describeError, errnoCode } from '../base/errors.js';
import type { JournalEntry } from '../state/journal.js';
import { bothFilters, isGitPath } from '../tree/compare.js';
import { outsideRollback } from './rollback-bound.js';
import { leaveAloneFilter } from '../tree/excludes.js';
import { walk } from '../tree/walk.js';
import type { ProviderName, RollbackRecord } from '../../shared/model.js';
import type { ServiceContext } from './context.js';
import { getSnapshot, resolveFolder } from './queries.js';
import { collect } from './record-changes.js';
import { describeProblems, plainWhy } from './rollback-words.js';

export interface RecoveryReport {
  target: string;
  snapshotId: string;
  safetyId: string;
  outcome: 'finished' | 'failed';
  error?: string;
}

/** Tries a folder's unfinished rollback again (what every command does first); throws why it stopped again. */
export async function retryRollback(ctx: ServiceContext, target: string): Promise<RecoveryReport | null> {
  return ctx.withTarget(target, () => recoverTarget(ctx, target));
}

export async function completeJournal(ctx: ServiceContext, entry: JournalEntry): Promise<void> {
  const rollback: RollbackRecord = {
    at: new Date().toISOString(), target: entry.target, snapshotId: entry.snapshotId, safetyId: entry.safetyId, paths: entry.paths, kind: entry.kind,
    ...(entry.keepGit ? { keepGit: true } : {}), ...(entry.folderMade ? { folderMade: true } : {}),
  };
  await ctx.store.update((store) => {
    store.rollbacks.push(rollback);
    if (store.rollbacks.length > 100) store.rollbacks.splice(0, store.rollbacks.length - 100);
  });
  await ctx.journal.clear(entry.target);
}

/**
 * Finishes every rollback a crash interrupted (`snapctl recover`, the tray app when it starts). Read-only
 * commands never do: they must not change a folder, and a rollback that cannot be finished would cost each of
 * them another attempt. `skipFailed`: only those killed part way, not those whose last attempt failed (tried
 * again by `recover` or the popover's Retry), so one stuck folder does not hold up a start for every folder.
 */
export async function recover(ctx: ServiceContext, options: { skipFailed?: boolean } = {}): Promise<RecoveryReport[]> {
  await finishInterruptedCreates(ctx);
  const reports: RecoveryReport[] = [];
  const { entries: all, damaged } = await ctx.journal.all();
  const entries = [];
  for (const e of all) if (!options.skipFailed || (await ctx.journal.readError(e.target)) === null) entries.push(e);
  for (const d of damaged) {
    const folder = d.target ?? 'DIR';
    reports.push({
      target: d.target ?? d.file, snapshotId: '', safetyId: '', outcome: 'failed',
      error: `the rollback journal ${d.file}${d.target ? ` of ${d.target}` : ''} is damaged: an interrupted rollback there cannot be finished and the folder may be half restored; run 'snapctl recover --abandon --path ${folder}' to set it aside, then roll back again (the safety snapshot taken before it is in 'snapctl list')`,
    });
  }
  for (const pending of entries) {
    let started = false;
    try {
      const finished = await ctx.withTarget(pending.target, () => { started = true; return recoverTarget(ctx, pending.target); });
      if (finished) reports.push(finished);
    } catch (err) {
      // recoverTarget's errors name the rollback and the way out; anything before it (the lock) does not.
      const error = started ? describeError(err) : `could not finish the interrupted rollback of ${pending.target}: ${describeError(err)}`;
      reports.push({ target: pending.target, snapshotId: pending.snapshotId, safetyId: pending.safetyId, outcome: 'failed', error });
    }
  }
  return reports;
}

/**
 * Finishes what creates killed part way left: a snapshot whose record reached the disk beside its data is
 * complete and enters the index; anything short of that is removed, with the space it took. It touches the
 * store only, never a folder, and says what it did (notices): every command runs it first.
 */
export async function finishInterruptedCreates(ctx: ServiceContext): Promise<void> {
  const abandoned = await ctx.pendingCreates.abandoned();
  if (abandoned.length === 0) return;
  const toCollect = new Set<ProviderName>();
  for (const pending of abandoned) {
    const provider = ctx.providerOrNone(pending.provider);
    const record = await ctx.recordsOf(pending.provider).read(pending.id).catch(() => null);
    if (record) {
      await ctx.store.update((store) => { if (!store.snapshots.some((s) => s.id === record.id)) store.snapshots.push(record); });
      ctx.notices.push(`a snapshot interrupted while it was being recorded was complete and is now listed: ${record.id} of ${record.target}`);
    } else if (provider) {
      await provider.discard?.(pending.id, pending.target);
      toCollect.add(pending.provider);
      ctx.notices.push(`removed what an interrupted snapshot of ${pending.target} had left (${pending.id})`);
    }
    await provider?.settle(pending.id).catch(() => undefined);
  }
  // Collected before the markers go: killed in between, the next command does all of it again.
  await collect(ctx, [...toCollect]);
  for (const pending of abandoned) await ctx.pendingCreates.end(pending.id);
}

/**
 * Before an operation on the folder (a snapshot, a rollback): its interrupted rollback is finished first, and
 * said (the operation did more than it was asked), or the operation stops with why it cannot be.
 */
export async function finishFirst(ctx: ServiceContext, target: string): Promise<void> {
  const done = await recoverTarget(ctx, target);
  if (done) ctx.notices.push(`first finished the interrupted rollback of ${target} to ${done.snapshotId} ('snapctl undo --path ${target}' puts the folder back as it was before it: safety snapshot ${done.safetyId})`);
}

/** The caller holds the target's lock, so a journal here belongs to a process that died. */
async function recoverTarget(ctx: ServiceContext, target: string): Promise<RecoveryReport | null> {
  const pending = await ctx.journal.read(target);
  if (!pending) return null;
  // A new attempt: an error kept from an earlier one no longer says why the rollback is unfinished.
  await ctx.journal.clearError(target);
  try {
    const record = await getSnapshot(ctx, pending.snapshotId);
    // Journals written before excludes existed name no excludes; mounts and cache folders now are left alone all the same.
    const leaveAlone = await leaveAloneFilter(pending.leaveAlone ?? [], { root: target });
    const provider = ctx.provider(record.provider);
    // What the rollback (or undo) could change, and nothing else: the rest was never changed (outsideRollback).
    const [from, to] = pending.between ?? [];
    const untouched = from && to ? await outsideRollback(provider, await getSnapshot(ctx, from).catch(() => null), await getSnapshot(ctx, to).catch(() => null)) : null;
    const exclude = bothFilters(pending.keepGit ? isGitPath : undefined, untouched ?? undefined);
    // The data was checked before the rollback began, and is checked again before it is finished: the store
    // may have changed since (a crash, a reboot, a hand), and a restore writes only bytes it has verified.
    const damaged = await provider.checkRestore?.(record, pending.paths, (await walk(target).catch(() => null))?.entries ?? []) ?? [];
    if (damaged.length > 0) throw new SnapctlError('corrupt', `snapshot ${record.id} is damaged: ${describeProblems(damaged)}`);
    await provider.restore(record, pending.paths, {
      token: pending.safetyId, protect: new Set(pending.protect ?? []), ...(exclude ? { exclude } : {}), ...(leaveAlone ? { leaveAlone } : {}),
    });
    await completeJournal(ctx, pending);
    ctx.emit({ type: 'rollback-recovered', snapshotId: record.id, target, provider: record.provider });
  } catch (err) {
    const why = plainWhy(err);
    await ctx.journal.writeError(target, why).catch(() => undefined);
    if (!(err instanceof SnapctlError) && errnoCode(err) !== undefined) {
      // The disk is full, a mount is read-only, a permission is missing: the rollback can finish later.
      throw new SnapctlError('busy', `the interrupted rollback of ${target} to ${pending.snapshotId} cannot be finished yet: ${why}`,
        `once that is fixed, 'snapctl recover' finishes it; 'snapctl undo --path ${target}' returns the folder to how it was before`);
    }
    // The snapshot's data is gone or damaged: say how to get out instead of blocking the folder forever.
    throw new SnapctlError('busy', `the interrupted rollback of ${target} to ${pending.snapshotId} cannot be finished: ${why}`,
      `'snapctl undo --path ${target}' returns the folder to how it was before it (or 'snapctl recover --abandon --path ${target}' gives it up)`);
  }
  return { target, snapshotId: pending.snapshotId, safetyId: pending.safetyId, outcome: 'finished' };
}

/**
 * Gives up an interrupted rollback that cannot be finished. The folder may be half restored; the journal's
 * safety snapshot holds the state before the rollback, and restoring it is the way back.
 */
export async function abandonRecovery(ctx: ServiceContext, pathInput: string): Promise<JournalEntry | { damaged: string } | null> {
  // The folder may be gone (deleted, or half restored away): its journal is found by its path all the same.
  const target = await resolveFolder(ctx, pathInput).catch(async (err: unknown) => {
    const typed = path.resolve(pathInput);
    if (await ctx.journal.exists(typed)) return typed;
    throw err;
  });
  return ctx.withTarget(target, async () => {
    const aside = await ctx.journal.setAside(target);
    if (aside) return { damaged: aside };
    const pending = await ctx.journal.read(target);
    if (pending) await ctx.journal.clear(target);
    return pending;
  });
}

