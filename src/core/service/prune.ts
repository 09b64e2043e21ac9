import { describeError } from '../base/errors.js';
import { newestFirst, type ProviderName, type SnapshotRecord } from '../../shared/model.js';
import type { ServiceContext } from './context.js';
import { floorBytes, fsSpace, roomAfter } from './free-space.js';
import { snapshotSpace } from './listing.js';
import { listSnapshots } from './queries.js';
import { collect, deleteRecords, forget } from './record-changes.js';
import { planRetention, planRetentionWithSize, planSizeLimit, retentionClass, type RetentionPolicy } from './retention.js';
import { undoOffer } from './status.js';

export interface PruneResult {
  target: string;
  keep: string[];
  drop: string[];
  dryRun: boolean;
  /** The folder's maximum store size when it is still exceeded after pruning: what it takes, and the limit. */
  overLimit?: { bytes: number; limit: number };
  /** Why this folder was not pruned (the others were). */
  error?: string;
}

/**
 * Applies a retention policy to each folder's snapshots (or one folder's). With `dryRun` nothing is deleted:
 * the plan is only reported. Never a snapshot a rollback needs (an unfinished one's, the safety snapshot undo
 * would restore and the snapshot its rollback went to: see inUse), in the plan as in the deletion; a folder that cannot be pruned (its lock busy, a
 * damaged journal) says why in its result and the others are pruned all the same.
 */
export async function pruneSnapshots(ctx: ServiceContext, policyFor: (target: string) => RetentionPolicy, options: { target?: string; dryRun?: boolean; now?: Date; maxStoreBytes?: (target: string) => number | null } = {}): Promise<PruneResult[]> {
  const all = await listSnapshots(ctx, options.target ? { target: options.target } : {});
  const targets = [...new Set(all.map((s) => s.target))].sort();
  const results: PruneResult[] = [];
  const now = options.now ?? new Date();
  for (const target of targets) {
    const records = all.filter((s) => s.target === target);
    const limit = options.maxStoreBytes?.(target) ?? null;
    try {
      results.push(await pruneFolder(ctx, target, records, policyFor(target), limit, now, options.dryRun ?? false));
    } catch (err) {
      results.push({ target, keep: records.map((r) => r.id), drop: [], dryRun: options.dryRun ?? false, error: describeError(err) });
    }
  }
  // Also what no snapshot names any more: a create that ran out of space and could not clean up left it.
  if (!options.dryRun && results.every((r) => r.drop.length === 0)) await collect(ctx, ['clone']);
  return results;
}

async function pruneFolder(ctx: ServiceContext, target: string, records: readonly SnapshotRecord[], policy: RetentionPolicy, limit: number | null, now: Date, dryRun: boolean): Promise<PruneResult> {
  const protect = await inUse(ctx, target);
  if (dryRun) {
    const sized = limit === null ? null : await sizedFor(ctx, target);
    const plan = sized && limit !== null ? planRetentionWithSize(sized.snapshots, policy, now, { limit, folderBytes: sized.folderBytes, protect }) : planRetention(records, policy, now, protect);
    const after = sized && limit !== null ? sized.folderBytes - sized.snapshots.filter((x) => plan.drop.includes(x.id)).reduce((sum, x) => sum + (x.uniqueBytes ?? 0), 0) : 0;
    return { target, keep: plan.keep, drop: plan.drop, dryRun: true, ...(limit !== null && after > limit ? { overLimit: { bytes: after, limit } } : {}) };
  }
  const plan = planRetention(records, policy, now, protect);
  const dropped = records.filter((r) => plan.drop.includes(r.id));
  if (dropped.length > 0) await deleteRecords(ctx, target, dropped);
  const drop = [...plan.drop];
  // The size limit, one snapshot at a time: deleting one makes what it shared the next one's own, so the
  // costs are asked again after each (a plan made at once would count too little freed and delete more).
  while (limit !== null) {
    const sized = await sizedFor(ctx, target);
    if (!sized) break;
    const step = planSizeLimit(sized.snapshots, { limit, folderBytes: sized.folderBytes, protect: await inUse(ctx, target) }, now);
    const oldest = step.drop[step.drop.length - 1];
    const record = sized.snapshots.find((s) => s.id === oldest);
    if (!record) break;
    await deleteRecords(ctx, target, [record]);
    drop.push(record.id);
  }
  const kept = new Set(drop);
  const left = limit === null ? null : await sizedFor(ctx, target);
  return { target, keep: records.filter((r) => !kept.has(r.id)).map((r) => r.id), drop, dryRun: false, ...(left && limit !== null && left.folderBytes > limit ? { overLimit: { bytes: left.folderBytes, limit } } : {}) };
}

/**
 * Deletes, oldest timeline snapshots first, what the folder's retention would delete anyway, until a
 * snapshot needing `need` bytes fits above the floor; never a snapshot an unfinished rollback or the undo
 * offer depends on. The caller holds the folder's lock. Returns how many were deleted.
 */
export async function pruneForSpace(ctx: ServiceContext, target: string, provider: ProviderName, need: number): Promise<number> {
  const policy = await ctx.policy(target);
  const records = await listSnapshots(ctx, { target });
  const plan = planRetention(records, policy.retention, new Date());
  const protect = await inUse(ctx, target);
  const drop = new Set(plan.drop);
  const candidates = records.filter((r) => drop.has(r.id) && !protect.has(r.id))
    .sort((a, b) => Number(retentionClass(a) !== 'timeline') - Number(retentionClass(b) !== 'timeline') || -newestFirst(a, b));
  let pruned = 0;
  for (const r of candidates) {
    const space = await fsSpace(ctx.dataDir(provider, target));
    if (!space || roomAfter(need, space, floorBytes(policy.floor, space.size)) >= 0) break;
    await forget(ctx, [r]);
    ctx.emit({ type: 'snapshot-deleted', record: r });
    pruned++;
  }
  return pruned;
}

/**
 * Snapshots of the folder a rollback needs: the unfinished one's two and the two its change is bounded by,
 * the safety snapshot undo would restore and the snapshot its rollback went to. An undo puts back only where
 * those two differ (rollback-bound.ts); without the second it compares the whole folder, and a safety snapshot
 * narrowed by the change journal holds some paths older than the folder had them.
 */
async function inUse(ctx: ServiceContext, target: string): Promise<Set<string>> {
  const ids = new Set<string>();
  const pending = await ctx.journal.read(target).catch(() => null);
  if (pending) { ids.add(pending.snapshotId); ids.add(pending.safetyId); for (const id of pending.between ?? []) ids.add(id); }
  const offer = await undoOffer(ctx, target);
  if (offer) { ids.add(offer.rollback.safetyId); ids.add(offer.rollback.snapshotId); }
  return ids;
}

/** A folder's snapshots with their costs and what they take together, when known (clone). */
async function sizedFor(ctx: ServiceContext, target: string): Promise<{ snapshots: (SnapshotRecord & { uniqueBytes: number | null })[]; folderBytes: number } | null> {
  const all = await listSnapshots(ctx);
  const costs = await snapshotSpace(ctx, all);
  const folderBytes = costs.folderBytes.get(target);
  const mine = all.filter((s) => s.target === target);
  if (folderBytes === undefined) return mine.length > 0 && mine.every((s) => s.provider === 'clone') ? { snapshots: mine.map((s) => ({ ...s, uniqueBytes: costs.unique.get(s.id) ?? null })), folderBytes: 0 } : null;
  return { snapshots: mine.map((s) => ({ ...s, uniqueBytes: costs.unique.get(s.id) ?? null })), folderBytes };
}
