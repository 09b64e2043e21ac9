import type { RollbackRecord, SnapshotRecord } from '../shared/api.js';
import { newestFirst } from '../shared/model.js';

export type ListRow =
  | { type: 'day'; key: string; label: string }
  | { type: 'rollback'; key: string; rollback: RollbackRecord; label: string }
  | { type: 'snapshot'; key: string; snapshot: SnapshotRecord; day: string; under: RollbackRecord | null; underLabel: string | null };

const dayKey = (d: Date): string => `${d.getFullYear()}-${d.getMonth()}-${d.getDate()}`;

/** "Today", "Yesterday", else "Mon 1 Dec" (with the year when it is not this one). */
export function dayLabel(iso: string, now: number): string {
  const d = new Date(iso);
  const today = new Date(now);
  const yesterday = new Date(now);
  yesterday.setDate(today.getDate() - 1);
  if (dayKey(d) === dayKey(today)) return 'Today';
  if (dayKey(d) === dayKey(yesterday)) return 'Yesterday';
  return d.toLocaleDateString([], { weekday: 'short', day: 'numeric', month: 'short', ...(d.getFullYear() !== today.getFullYear() ? { year: 'numeric' } : {}) });
}

export function clock(iso: string): string {
  return new Date(iso).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}

/** What a person knows a snapshot by: its tag, else its time. */
export function snapshotName(s: SnapshotRecord | undefined, fallbackId: string): string {
  if (!s) return `snapshot ${fallbackId}`;
  return s.tag ? `‘${s.tag}’` : new Date(s.createdAt).toLocaleString([], { day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' });
}

/**
 * The list as rows: newest first, filtered by tag, optionally under day headings, and each safety snapshot
 * under the rollback (or undo) it was taken for.
 */
export function listRows(snapshots: SnapshotRecord[], rollbacks: RollbackRecord[], options: { query: string; byDay: boolean; now: number }): ListRow[] {
  const q = options.query.trim().toLocaleLowerCase();
  const byId = new Map(snapshots.map((s) => [s.id, s]));
  const bySafety = new Map(rollbacks.map((r) => [r.safetyId, r]));
  const rows: ListRow[] = [];
  let lastDay = '';
  for (const s of [...snapshots].sort(newestFirst)) {
    if (q && !(s.tag ?? '').toLocaleLowerCase().includes(q)) continue;
    const day = dayLabel(s.createdAt, options.now);
    if (options.byDay && day !== lastDay) {
      rows.push({ type: 'day', key: `day:${day}`, label: day });
      lastDay = day;
    }
    const under = s.trigger === 'safety' ? bySafety.get(s.id) ?? null : null;
    let underLabel: string | null = null;
    if (under) {
      const to = byId.get(under.snapshotId);
      const name = to?.tag ? snapshotName(to, under.snapshotId) : `the snapshot of ${snapshotName(to, under.snapshotId)}`;
      underLabel = under.kind === 'undo' ? `Undo of a rollback, back to ${name}` : `Rollback to ${name}`;
      if (under.paths) underLabel += ` (${under.paths.length} ${under.paths.length === 1 ? 'path' : 'paths'})`;
      rows.push({ type: 'rollback', key: `rollback:${s.id}`, rollback: under, label: `${underLabel} · ${clock(under.at)}` });
    }
    rows.push({ type: 'snapshot', key: s.id, snapshot: s, day, under, underLabel });
  }
  return rows;
}
