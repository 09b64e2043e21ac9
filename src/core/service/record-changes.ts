import { SnapctlError } from '../base/errors.js';
import type { ProviderName, SnapshotRecord } from '../../shared/model.js';
import type { ServiceContext } from './context.js';

/** Marks records (only those in state `from`, when given), in the index and beside their data. */
export async function setState(ctx: ServiceContext, ids: readonly string[], state: SnapshotRecord['state'], from?: SnapshotRecord['state']): Promise<void> {
  if (ids.length === 0) return;
  const wanted = new Set(ids);
  const changed: SnapshotRecord[] = [];
  await ctx.store.update((store) => {
    for (const s of store.snapshots) {
      if (!wanted.has(s.id) || s.state === state || (from !== undefined && s.state !== from)) continue;
      s.state = state;
      changed.push({ ...s });
    }
  });
  for (const r of changed) await ctx.recordsOf(r.provider).write(r).catch(() => undefined);
}

/** Deletes records of one folder and then reclaims space once, however many there are; `check` first, under the lock. */
export async function deleteRecords(ctx: ServiceContext, target: string, records: readonly SnapshotRecord[], check?: () => Promise<void>): Promise<void> {
  await ctx.withTarget(target, async () => {
    await check?.();
    const pending = await ctx.journal.read(target);
    const busy = pending ? records.find((r) => r.id === pending.snapshotId || r.id === pending.safetyId) : undefined;
    if (busy) {
      throw new SnapctlError('busy', `snapshot ${busy.id} is part of an unfinished rollback of ${target}`, `'snapctl recover --path ${target}' finishes it, or 'snapctl undo --path ${target}' gives it up; then delete it`);
    }
    await forget(ctx, records);
  });
  for (const record of records) ctx.emit({ type: 'snapshot-deleted', record });
}

/**
 * Removes snapshots; the caller holds their folder's lock. The records leave first (beside the data, then
 * the index): killed from here on, snapctl leaves data no record points at (the next collection reclaims
 * it), never a record whose data is gone. Collection runs under the store lock, so it sees every record
 * another process has committed.
 */
export async function forget(ctx: ServiceContext, records: readonly SnapshotRecord[]): Promise<void> {
  const ids = new Set(records.map((r) => r.id));
  await ctx.store.update(async (store) => {
    for (const record of records) await ctx.recordsOf(record.provider).remove(record.id);
    store.snapshots = store.snapshots.filter((s) => !ids.has(s.id));
  }, { givesSpaceBack: true });
  for (const target of new Set(records.map((r) => r.target))) await ctx.history.removed(target, records.filter((r) => r.target === target).map((r) => r.id)).catch(() => undefined);
  await ctx.store.withLock(async (store) => {
    for (const record of records) await ctx.provider(record.provider).remove(record);
    for (const name of new Set(records.map((r) => r.provider))) {
      const refs = new Set(store.snapshots.filter((s) => s.provider === name).map((s) => s.ref));
      await ctx.provider(name).collectGarbage(refs);
    }
  });
  // The reserve a full disk made it use is taken again from what was freed.
  await ctx.store.keepReserve();
}

/** Reclaims what no snapshot of these providers holds, under the store lock (see collectGarbage). */
export async function collect(ctx: ServiceContext, names: readonly ProviderName[]): Promise<void> {
  if (names.length === 0) return;
  await ctx.store.withLock(async (store) => {
    for (const name of new Set(names)) await ctx.provider(name).collectGarbage(new Set(store.snapshots.filter((s) => s.provider === name).map((s) => s.ref)));
  });
}
