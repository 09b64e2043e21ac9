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
 * always kept: retention never deletes what it cannot place in time.
 */
export function planRetention(snapshots: readonly RetainedSnapshot[], policy: RetentionPolicy, now: Date): RetentionPlan {
  const sorted = [...snapshots].sort(newestFirst);
  const keep = new Set<string>();
  const byClass = new Map<RetentionClass, RetainedSnapshot[]>();
  for (const s of sorted) {
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
