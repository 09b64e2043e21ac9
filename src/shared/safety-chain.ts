import type { RollbackRecord, SnapshotRecord } from './model.js';

type Linked = Pick<SnapshotRecord, 'id' | 'trigger'>;

/**
 * The snapshot a person took at the root of a safety snapshot's chain. A safety snapshot is taken before a
 * rollback or an undo restores another snapshot, which may itself be a safety snapshot (rolled back to, or
 * restored by an undo); following each back through the rollback it was taken for ends at the snapshot the
 * whole story is about, whatever the depth. Null when a link is gone (a rollback record dropped, a snapshot
 * deleted, a rollback not recorded yet) or the records loop. A snapshot that is not a safety snapshot is its
 * own root.
 */
export function chainRoot<T extends Linked>(record: T, snapshots: readonly T[], rollbacks: readonly Pick<RollbackRecord, 'safetyId' | 'snapshotId'>[]): T | null {
  const seen = new Set<string>();
  let at: T | undefined = record;
  while (at?.trigger === 'safety') {
    if (seen.has(at.id)) return null;
    seen.add(at.id);
    const safetyId: string = at.id;
    const takenFor = rollbacks.find((r) => r.safetyId === safetyId);
    if (!takenFor) return null;
    const next: string = takenFor.snapshotId;
    at = snapshots.find((s) => s.id === next);
  }
  return at ?? null;
}
