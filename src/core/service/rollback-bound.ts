import type { SnapshotProvider } from '../providers/provider.js';
import { parentOf, type PathFilter } from '../tree/manifest.js';
import { isRestoreTemp } from '../tree/temp-names.js';
import type { SnapshotRecord } from '../../shared/model.js';

/**
 * A filter for what a rollback between two snapshots never changed: every path but those where the two
 * differ and the folders on the way to them. An undo (and the finishing of an interrupted rollback or undo)
 * leaves it out. A safety snapshot narrowed by the change journal holds such paths as the newest snapshot
 * did, which may be older than the folder was (a write through mmap raises no event): putting them back would
 * not be exact, and they were never changed. What was changed since the rollback outside these paths stays
 * too. null when either snapshot is gone or the provider cannot say: the whole folder is compared, as before.
 */
export async function outsideRollback(provider: SnapshotProvider, a: SnapshotRecord | null, b: SnapshotRecord | null): Promise<PathFilter | null> {
  if (!a || !b || !provider.differingPaths) return null;
  const paths = await provider.differingPaths(a, b).catch(() => null);
  if (!paths) return null;
  const within = new Set<string>();
  // A path's folders are added with it, so one already known has its own folders known too.
  for (const p of paths) for (let d = p; d !== '' && !within.has(d); d = parentOf(d)) within.add(d);
  // A restore's own temporary files (a killed one's leftovers) are always its business.
  return (p) => !within.has(p) && !isRestoreTemp(p);
}
