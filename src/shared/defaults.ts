/**
 * How many snapshots to keep. The timeline (untagged scheduled snapshots) is thinned like Snapper's and
 * Timeshift's: the newest snapshot of each of the N most recent hours, days, ISO weeks and months that have
 * one. Other classes are never touched by the timeline and keep their own newest N.
 */
export interface RetentionPolicy {
  hourly: number;
  daily: number;
  weekly: number;
  monthly: number;
  /** Manual snapshots and tagged scheduled ones. */
  manual: number;
  /** Taken before a rollback or undo; they are what makes undo possible. */
  safety: number;
  /** Taken before a git operation or a command such as npm install. */
  preOperation: number;
}

export const DEFAULT_RETENTION: RetentionPolicy = { hourly: 24, daily: 7, weekly: 4, monthly: 6, manual: 50, safety: 20, preOperation: 30 };

/** Hourly, on the hour: the schedule a newly watched folder gets. */
export const DEFAULT_SCHEDULE = '0 * * * *';

/** The least a folder's maximum store size may be: 1 MB (sizes count in thousands, see format.ts humanBytes). */
export const MIN_STORE_LIMIT = 1_000_000;
