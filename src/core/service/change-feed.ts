import type { WalkSide } from '../tree/walk-changed.js';
import type { SnapshotRecord } from '../../shared/model.js';

/** What the change journal says of a folder since one of its snapshots. */
export type FolderChanges = { tracked: true; paths: string[]; /** Inodes of files with several names changed through one (walk-changed.ts). */ inodes?: string[] } | { tracked: false; reason: string };

/**
 * The running app's change journal as the service sees it (`core/runtime/change-tracker.ts` keeps one per
 * watched folder). A hint that narrows a walk, never the truth: `mark` is taken after a sync point before a
 * snapshot's walk starts, and `since` answers only for a snapshot this process marked, in this watch's life.
 * Absent (the CLI as a fresh process, a folder not watched): every snapshot walks.
 */
export interface ChangeFeed {
  /** A point in the folder's stream of changes, taken before a snapshot's walk; null when the folder cannot be vouched for now. */
  mark(target: string): Promise<unknown>;
  /** What changed since the snapshot `id` was marked, with the walk side lists kept from it; or why not. */
  since(target: string, id: string): Promise<FolderChanges & { side?: WalkSide }>;
  /** The same answer for a reader (a preview): what the status says of the next snapshot is left as it is. */
  peek(target: string, id: string): Promise<FolderChanges & { side?: WalkSide }>;
  /**
   * The snapshot `id` is recorded: its mark (from `mark`) and its walk's side lists, for the next one, and
   * whether its walk was narrowed (a whole walk is the truth again).
   */
  recorded(target: string, id: string, mark: unknown, side: WalkSide | undefined, narrowed: boolean): void;
}

/** A listing narrowed from `base` keeps what its walk left out: only right while the excludes are the ones it was taken with. */
export function samePatterns(base: SnapshotRecord, patterns: readonly string[]): boolean {
  const before = base.excluded?.patterns ?? [];
  return before.length === patterns.length && before.every((p, i) => p === patterns[i]);
}
