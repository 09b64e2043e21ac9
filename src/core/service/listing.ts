import type { SnapshotRecord } from '../../shared/model.js';
import type { ListView, ListedSnapshot, StoreTotals } from '../../shared/api.js';
import { clonesOnFilesystemOf } from '../base/fs-types.js';
import type { ServiceContext } from './context.js';
import { floorBytes, floorSettingIn, fsSpace } from './free-space.js';
import { listSnapshots } from './queries.js';

/** One folder's snapshots (or all) and its rollbacks, so a safety snapshot can be shown under its rollback. */
export async function listView(ctx: ServiceContext, target?: string): Promise<ListView> {
  const { snapshots, totals } = await listWithSpace(ctx, target);
  const { rollbacks } = await ctx.store.read();
  return { snapshots, totals, rollbacks: target ? rollbacks.filter((r) => r.target === target) : [...rollbacks] };
}

/** Snapshots (newest first) with what deleting each would free, and the store's totals. */
export async function listWithSpace(ctx: ServiceContext, target?: string): Promise<{ snapshots: ListedSnapshot[]; totals: StoreTotals }> {
  const all = await listSnapshots(ctx);
  const costs = await snapshotSpace(ctx, all);
  const snapshots = all.filter((s) => target === undefined || s.target === target).map((s) => ({ ...s, uniqueBytes: costs.unique.get(s.id) ?? null }));
  const space = await fsSpace(ctx.layout.cloneDir);
  // An invalid floor is said here too, not only by the commands that check the whole settings file.
  const invalid = (given: string): void => { ctx.notices.push(`the settings' free-space floor ${given} is not bytes or a percentage such as "10%": the default is used`); };
  const floor = space ? floorBytes(await floorSettingIn(ctx.layout.settingsFile, invalid), space.size) : null;
  return {
    snapshots,
    totals: { storeBytes: costs.total, folderBytes: target === undefined ? null : costs.folderBytes.get(target) ?? 0, freeBytes: space?.free ?? null, floorBytes: floor, sharesBlocks: await clonesOnFilesystemOf(ctx.layout.cloneDir) },
  };
}

/**
 * What each snapshot costs, asked of its provider about all of its snapshots at once (clone's index covers
 * every clone snapshot). A provider that cannot tell, or fails to, leaves its costs unknown.
 */
export async function snapshotSpace(ctx: ServiceContext, records: readonly SnapshotRecord[]): Promise<{ unique: Map<string, number | null>; folderBytes: Map<string, number>; total: number | null }> {
  const unique = new Map<string, number | null>();
  const folderBytes = new Map<string, number>();
  let total: number | null = 0;
  for (const name of new Set(records.map((r) => r.provider))) {
    const provider = ctx.providerOrNone(name);
    const theirs = records.filter((r) => r.provider === name && r.state !== 'vanished');
    const costs = provider?.space ? await provider.space(theirs).catch(() => null) : null;
    for (const [id, bytes] of costs?.unique ?? []) unique.set(id, bytes);
    for (const [folder, bytes] of costs?.folderBytes ?? []) folderBytes.set(folder, (folderBytes.get(folder) ?? 0) + bytes);
    if (name === 'clone') total = costs?.total ?? null;
  }
  return { unique, folderBytes, total };
}
