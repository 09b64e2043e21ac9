import type { ListedSnapshot, RollbackRecord, SnapshotRecord, UnfinishedRollback } from '../shared/api.js';
import { clockTime, dateTime, dayHeader } from '../shared/format.js';
import { newestFirst } from '../shared/model.js';
import { chainRoot } from '../shared/safety-chain.js';
import { shownPath } from './search/shownPath.js';

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
 * A rollback as its heading says it: "rollback to 'x'", "restore of src/a.ts from 'x'", or one of some paths
 * by name ("rollback of src, README.md and 2 more to 'x'"): the request's paths are top-level picks (a removed
 * folder is one), so their count is not the count of changed paths the dialog and the result gave.
 */
function rollbackText(paths: readonly string[] | null, to: string): string {
  if (!paths) return `rollback to ${to}`;
  const [first, second] = paths.map(shownPath);
  if (paths.length === 1) return `restore of ${first ?? ''} from ${to}`;
  const picks = paths.length === 2 ? `${first ?? ''} and ${second ?? ''}` : `${first ?? ''}, ${second ?? ''} and ${paths.length - 2} more`;
  return `rollback of ${picks} to ${to}`;
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
  const links = [...rollbacks, ...(u ? [{ safetyId: u.safetyId, snapshotId: u.snapshotId }] : [])];
  // A safety snapshot is named by its time and the snapshot at the root of its chain, once: never by its tag,
  // which names another snapshot ("before undoing the rollback to 'x', 08:50"), so labels would nest.
  const nameOf = (id: string): string => {
    const to = byId.get(id);
    if (to?.trigger === 'safety') {
      const root = chainRoot(to, snapshots, links);
      return `the safety snapshot of ${dateTime(to.createdAt)}${root ? ` (${root.tag ? snapshotName(root, root.id) : dateTime(root.createdAt)})` : ''}`;
    }
    return to?.tag ? snapshotName(to, id) : `the snapshot of ${snapshotName(to, id)}`;
  };
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
      // An undo restores the safety snapshot of the rollback it undoes: it is named by that rollback.
      const undone = under.kind === 'undo' ? rollbacks.find((r) => r.safetyId === under.snapshotId && r.kind === 'rollback') : undefined;
      const named = under.kind === 'undo' ? undone : under;
      const about = named ? rollbackText(named.paths, nameOf(named.snapshotId)) : null;
      underLabel = under.kind === 'undo' ? `Undo of ${about ? `the ${about}` : 'a rollback'}` : `${about?.[0]?.toUpperCase() ?? ''}${about?.slice(1) ?? ''}`;
      if (s.id === unfinishedSafety) underLabel = `Unfinished: ${underLabel[0]?.toLowerCase() ?? ''}${underLabel.slice(1)}`;
      rows.push({ type: 'rollback', key: `rollback:${s.id}`, rollback: under, label: `${underLabel} · ${clockTime(under.at)}` });
    }
    rows.push({ type: 'snapshot', key: s.id, snapshot: s, day, under, underLabel });
  }
  return rows;
}
