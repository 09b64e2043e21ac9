import type { ListedSnapshot, RollbackRecord, SnapshotRecord, UnfinishedRollback } from '../shared/api.js';
import { clockTime, dateTime, dayHeader } from '../shared/format.js';
import { newestFirst } from '../shared/model.js';

export type ListRow =
  | { type: 'day'; key: string; label: string }
  | { type: 'rollback'; key: string; rollback: RollbackRecord; label: string }
  | { type: 'snapshot'; key: string; snapshot: ListedSnapshot; day: string; under: RollbackRecord | null; underLabel: string | null };

/** What a person knows a snapshot by: its tag, else its time. */
export function snapshotName(s: SnapshotRecord | undefined, fallbackId: string): string {
  if (!s) return `snapshot ${fallbackId}`;
  return s.tag ? `‘${s.tag}’` : dateTime(s.createdAt);
}

/**
 * The list as rows: newest first, filtered by tag, optionally under day headings, and each safety snapshot
 * under the rollback (or undo) it was taken for.
 */
export function listRows(snapshots: ListedSnapshot[], rollbacks: RollbackRecord[], options: { query: string; byDay: boolean; now: number; unfinished?: UnfinishedRollback | null }): ListRow[] {
  const q = options.query.trim().toLocaleLowerCase();
  const byId = new Map(snapshots.map((s) => [s.id, s]));
  const bySafety = new Map(rollbacks.map((r) => [r.safetyId, r]));
  // A rollback that stopped part way is not recorded yet, but its safety snapshot is already in the list.
  const u = options.unfinished;
  const unfinishedSafety = u ? u.safetyId : null;
  if (u && !bySafety.has(u.safetyId)) bySafety.set(u.safetyId, { at: u.startedAt, target: u.target, snapshotId: u.snapshotId, safetyId: u.safetyId, paths: u.paths, kind: u.kind });
  const rows: ListRow[] = [];
  let lastDay = '';
  for (const s of [...snapshots].sort(newestFirst)) {
    if (q && !(s.tag ?? '').toLocaleLowerCase().includes(q)) continue;
    const day = dayHeader(s.createdAt, options.now);
    if (options.byDay && day !== lastDay) {
      rows.push({ type: 'day', key: `day:${day}`, label: day });
      lastDay = day;
    }
    const under = s.trigger === 'safety' ? bySafety.get(s.id) ?? null : null;
    let underLabel: string | null = null;
    if (under) {
      const nameOf = (id: string): string => { const to = byId.get(id); return to?.tag ? snapshotName(to, id) : `the snapshot of ${snapshotName(to, id)}`; };
      // An undo restores the safety snapshot of the rollback it undoes: it is named by that rollback.
      const undone = under.kind === 'undo' ? rollbacks.find((r) => r.safetyId === under.snapshotId && r.kind === 'rollback') : undefined;
      underLabel = under.kind === 'undo' ? (undone ? `Undo of the rollback to ${nameOf(undone.snapshotId)}` : 'Undo of a rollback') : `Rollback to ${nameOf(under.snapshotId)}`;
      if (s.id === unfinishedSafety) underLabel = `Unfinished: ${underLabel[0]?.toLowerCase() ?? ''}${underLabel.slice(1)}`;
      if (under.paths) underLabel += ` (${under.paths.length} ${under.paths.length === 1 ? 'path' : 'paths'})`;
      rows.push({ type: 'rollback', key: `rollback:${s.id}`, rollback: under, label: `${underLabel} · ${clockTime(under.at)}` });
    }
    rows.push({ type: 'snapshot', key: s.id, snapshot: s, day, under, underLabel });
  }
  return rows;
}
