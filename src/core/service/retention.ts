import type { RetentionPolicy } from '../../shared/defaults.js';
import { newestFirst, type SnapshotRecord, type Trigger } from '../../shared/model.js';

export type { RetentionPolicy };

export type RetentionClass = 'timeline' | 'manual' | 'safety' | 'preOperation';

/** The fields retention looks at, so it stays a pure function testable without a store. */
export type RetainedSnapshot = Pick<SnapshotRecord, 'id' | 'createdAt' | 'trigger' | 'tag'>;

export interface RetentionPlan {
  keep: string[];
  drop: string[];
}

const PRE_OPERATION: readonly Trigger[] = ['git-commit', 'npm-install'];

export function retentionClass(s: RetainedSnapshot): RetentionClass {
  if (s.trigger === 'safety') return 'safety';
  if (PRE_OPERATION.includes(s.trigger)) return 'preOperation';
  if (s.trigger === 'schedule' && s.tag === null) return 'timeline';
  return 'manual';
}

type Bucket = 'hourly' | 'daily' | 'weekly' | 'monthly';

/** The UTC period a time falls in, per bucket kind. */
export function periodKey(bucket: Bucket, time: Date): string {
  const iso = time.toISOString();
  switch (bucket) {
    case 'hourly': return iso.slice(0, 13);
    case 'daily': return iso.slice(0, 10);
    case 'monthly': return iso.slice(0, 7);
    case 'weekly': {
      // ISO 8601 week: the week belongs to the year of its Thursday.
      const d = new Date(Date.UTC(time.getUTCFullYear(), time.getUTCMonth(), time.getUTCDate()));
      const day = d.getUTCDay() || 7;
      d.setUTCDate(d.getUTCDate() + 4 - day);
      const yearStart = Date.UTC(d.getUTCFullYear(), 0, 1);
      const week = Math.ceil(((d.getTime() - yearStart) / 86_400_000 + 1) / 7);
      return `${d.getUTCFullYear()}-W${String(week).padStart(2, '0')}`;
    }
  }
}

/**
 * Decides which snapshots to keep. Pure: the same input always gives the same plan, and applying a plan
 * then planning again drops nothing more (idempotent). Snapshots dated after `now` (a clock that jumped) are
 * always kept: retention never deletes what it cannot place in time, nor a `protect`ed snapshot (one a rollback
 * needs: an unfinished one's, the safety snapshot undo would restore), which counts toward no class's number.
 */
export function planRetention(snapshots: readonly RetainedSnapshot[], policy: RetentionPolicy, now: Date, protect: ReadonlySet<string> = new Set()): RetentionPlan {
  const sorted = [...snapshots].sort(newestFirst);
  const keep = new Set<string>(sorted.filter((s) => protect.has(s.id)).map((s) => s.id));
  const byClass = new Map<RetentionClass, RetainedSnapshot[]>();
  for (const s of sorted) {
    if (keep.has(s.id)) continue;
    if (Date.parse(s.createdAt) > now.getTime()) { keep.add(s.id); continue; }
    const cls = retentionClass(s);
    const list = byClass.get(cls) ?? [];
    list.push(s);
    byClass.set(cls, list);
  }

  for (const cls of ['manual', 'safety', 'preOperation'] as const) {
    const list = byClass.get(cls) ?? [];
    list.slice(0, Math.max(1, policy[cls])).forEach((s) => keep.add(s.id));
  }

  const timeline = byClass.get('timeline') ?? [];
  if (timeline[0]) keep.add(timeline[0].id);
  for (const bucket of ['hourly', 'daily', 'weekly', 'monthly'] as const) {
    const seen = new Set<string>();
    for (const s of timeline) {
      if (seen.size >= policy[bucket]) break;
      const key = periodKey(bucket, new Date(s.createdAt));
      if (seen.has(key)) continue;
      seen.add(key);
      keep.add(s.id);
    }
  }

  const drop = sorted.filter((s) => !keep.has(s.id)).map((s) => s.id);
  return { keep: sorted.filter((s) => keep.has(s.id)).map((s) => s.id), drop };
}

/** A snapshot as the size limit sees it: what deleting it frees now (null: not known, so not counted on). */
export type SizedSnapshot = RetainedSnapshot & { uniqueBytes: number | null };

export interface SizeLimit {
  /** The most the folder's snapshots may take (maxStoreBytes). */
  limit: number;
  /** What they take now. */
  folderBytes: number;
  /** Snapshots a rollback needs (an unfinished one's, the safety snapshot undo would restore): never dropped. */
  protect?: ReadonlySet<string>;
}

/**
 * The step after the count policy: while the folder's snapshots take more than the limit, drops timeline
 * snapshots, oldest first, counting each as freeing its uniqueBytes, and stops as soon as they fit. Never the
 * folder's newest snapshot, never another class (manual, safety, pre-operation), never a protected one, never
 * one dated after `now`. Pure and deterministic; when even all of those would not bring the folder under the
 * limit, it drops all of them (the most it may) and the limit stays exceeded.
 */
export function planSizeLimit(snapshots: readonly SizedSnapshot[], size: SizeLimit, now: Date): RetentionPlan {
  const sorted = [...snapshots].sort(newestFirst);
  const newest = sorted[0]?.id;
  const newestTimeline = sorted.find((s) => retentionClass(s) === 'timeline')?.id;
  let bytes = size.folderBytes;
  const drop = new Set<string>();
  for (const s of [...sorted].reverse()) {
    if (bytes <= size.limit) break;
    if (s.id === newest || s.id === newestTimeline || retentionClass(s) !== 'timeline' || size.protect?.has(s.id) || Date.parse(s.createdAt) > now.getTime()) continue;
    // Deleting a snapshot that frees nothing (all it holds, others hold too) costs history and gains no space.
    if ((s.uniqueBytes ?? 0) <= 0) continue;
    drop.add(s.id);
    bytes -= s.uniqueBytes ?? 0;
  }
  return { keep: sorted.filter((s) => !drop.has(s.id)).map((s) => s.id), drop: sorted.filter((s) => drop.has(s.id)).map((s) => s.id) };
}

/**
 * The count policy, then the size limit on what it keeps (what the count policy drops is gone either way and
 * counted as freed). What the count policy keeps is dropped only when the limit needs it.
 */
export function planRetentionWithSize(snapshots: readonly SizedSnapshot[], policy: RetentionPolicy, now: Date, size: SizeLimit | null): RetentionPlan {
  const counted = planRetention(snapshots, policy, now, size?.protect);
  if (!size) return counted;
  const dropped = new Set(counted.drop);
  const freed = snapshots.filter((s) => dropped.has(s.id)).reduce((sum, s) => sum + (s.uniqueBytes ?? 0), 0);
  const bySize = planSizeLimit(snapshots.filter((s) => !dropped.has(s.id)), { ...size, folderBytes: size.folderBytes - freed }, now);
  const drop = new Set([...counted.drop, ...bySize.drop]);
  const sorted = [...snapshots].sort(newestFirst);
  return { keep: sorted.filter((s) => !drop.has(s.id)).map((s) => s.id), drop: sorted.filter((s) => drop.has(s.id)).map((s) => s.id) };
}
