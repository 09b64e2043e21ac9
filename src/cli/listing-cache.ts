import type { SnapshotRecord } from '../shared/model.js';
import type { ServiceContext } from '../core/service/context.js';
import { floorBytes, floorSettingIn, fsSpace } from '../core/service/free-space.js';
import { keepListing, listingIsFixed, type ListingInputs } from '../core/state/listing-cache.js';

/**
 * Keeps a `list --json` just printed for the next fresh process (core/state/listing-cache.ts), unless it said
 * something besides the listing (a notice is said once, by the command that mends), holds a snapshot whose
 * listing the system decides (btrfs, ZFS, APFS), or would take the state folder's disk below the free-space
 * floor snapshots keep: a cache never takes the space a snapshot or a deletion needs.
 */
export async function keepListingIfRoom(ctx: ServiceContext, before: ListingInputs, startedMs: number, records: readonly SnapshotRecord[], text: string): Promise<void> {
  if (ctx.hasNotices() || !listingIsFixed(records)) return;
  const space = await fsSpace(ctx.layout.root);
  if (!space) return;
  const floor = floorBytes(await floorSettingIn(ctx.layout.settingsFile), space.size);
  if (space.free - 2 * Buffer.byteLength(text) < floor) return;
  await keepListing(ctx.layout, before, startedMs, text);
}
