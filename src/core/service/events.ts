import type { CreateProgress, ProviderName, SnapshotRecord, Trigger } from '../../shared/model.js';
import type { RollbackView, SnapshotInProgress } from '../../shared/api.js';

/** What the service tells its listeners (metrics, the popover's status) as operations start and end. */
export type ServiceEvent =
  | { type: 'snapshot-created'; record: SnapshotRecord; durationMs: number }
  /** How far a snapshot being taken has got (providers that walk: clone), a few times a second; ends with created, failed or skipped. */
  | ({ type: 'snapshot-progress'; progress: CreateProgress } & Omit<SnapshotInProgress, 'progress'>)
  | { type: 'snapshot-failed'; target: string; trigger: Trigger; provider: ProviderName; error: string; durationMs: number }
  | { type: 'snapshot-deleted'; record: SnapshotRecord }
  /** A snapshot not taken because it would take the store's filesystem below its floor (after pruning, if scheduled). */
  | { type: 'snapshot-skipped'; target: string; trigger: Trigger; provider: ProviderName; reason: 'low_space'; needBytes: number; freeBytes: number; floorBytes: number; pruned: number; message: string }
  | { type: 'rollback-completed'; result: RollbackView; kind: 'rollback' | 'undo'; durationMs: number }
  | { type: 'rollback-failed'; snapshotId: string; target: string; provider: ProviderName; error: string; durationMs: number }
  /** An interrupted rollback finished by the recovery every command runs first. */
  | { type: 'rollback-recovered'; snapshotId: string; target: string; provider: ProviderName }
  /** A scheduled snapshot not taken: the change journal vouched that nothing changed since the newest one (`since`). */
  | { type: 'snapshot-unchanged'; target: string; since: string }
  /** The audit found the change journal wrong: a full walk differs from what it claimed (the next snapshot walks). */
  | { type: 'journal-defect'; target: string; paths: number; examples: string[] };
