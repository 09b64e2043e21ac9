import type { SnapshotRecord } from '../../shared/model.js';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (n: number): string => String(n).padStart(2, '0');

/** "14:02", local time. */
export function clockTime(iso: string | Date): string {
  const d = new Date(iso);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** "1 Dec, 14:02", local time. */
export function dayAndTime(iso: string | Date): string {
  const d = new Date(iso);
  return `${d.getDate()} ${MONTHS[d.getMonth()] ?? ''}, ${clockTime(d)}`;
}

/** What a person knows a snapshot by: its tag, quoted, else its local time ("'before upgrade'", "1 Dec, 14:02"). */
export function snapshotLabel(record: Pick<SnapshotRecord, 'tag' | 'createdAt'>, maxTag = 120): string {
  if (record.tag) return `'${record.tag.length > maxTag ? `${record.tag.slice(0, maxTag - 1)}…` : record.tag}'`;
  return dayAndTime(record.createdAt);
}

/** The tag of a rollback's safety snapshot: what it protects, and when ("before rolling back to 'x', 14:02"). */
export function safetyTag(kind: 'rollback' | 'undo', restoring: Pick<SnapshotRecord, 'tag' | 'createdAt'>, undoing: Pick<SnapshotRecord, 'tag' | 'createdAt'> | null, now = new Date()): string {
  if (kind === 'undo') return `before undoing the rollback to ${undoing ? snapshotLabel(undoing) : 'an earlier snapshot'}, ${clockTime(now)}`;
  return `before rolling back to ${snapshotLabel(restoring)}, ${clockTime(now)}`;
}
