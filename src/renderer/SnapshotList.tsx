import { defaultRangeExtractor, useVirtualizer, type Range } from '@tanstack/react-virtual';
import { useCallback, useEffect, useMemo, useRef, useState, type KeyboardEvent } from 'react';
import type { ListView, ListedSnapshot, SnapshotRecord, UnfinishedRollback } from '../shared/api.js';
import { clockTime, costText, dateTime, humanBytes, relativeTime, snapshotSize } from '../shared/format.js';
import { listRows, type ListRow } from './listRows.js';

const STATE_HELP: Record<Exclude<SnapshotRecord['state'], 'ready'>, string> = {
  damaged: "Some of this snapshot's data is missing or changed on disk: a rollback that needs it is refused before anything changes; roll back to another snapshot",
  vanished: 'The system removed this snapshot: it cannot be rolled back to',
};

interface Props {
  list: ListView;
  /** The folder's rollback that stopped part way: its safety snapshot sits under it. */
  unfinished: UnfinishedRollback | null;
  now: number;
  busy: boolean;
  onRollback: (s: SnapshotRecord) => void;
  onDelete: (s: ListedSnapshot) => void;
}

const HEIGHT: Record<ListRow['type'], number> = { snapshot: 34, day: 22, rollback: 20 };

/** What a row's cost means: what deleting it frees, and what it holds in all. */
function costTitle(s: ListedSnapshot): string {
  const holds = `it holds ${snapshotSize(s)}${s.provider === 'clone' ? ', the rest shared with other snapshots' : ''}`;
  return `${s.provider}: ${s.uniqueBytes === null ? 'what deleting it frees is not known here' : `deleting it frees ${humanBytes(s.uniqueBytes)}`}; ${holds}`;
}

function rowLabel(row: Extract<ListRow, { type: 'snapshot' }>): string {
  const s = row.snapshot;
  const what = row.under ? `safety snapshot, the state before: ${row.underLabel ?? ''}` : `${s.tag ?? 'untagged'}, ${s.trigger} snapshot`;
  const state = s.state === 'ready' ? '' : `, ${s.state}`;
  return `${what}, ${row.day} ${clockTime(s.createdAt)}${state}, frees ${costText(s)}`;
}

/**
 * One folder's snapshots, newest first, under sticky day headings, searchable by tag; safety snapshots sit
 * under the rollback they protect. Only the rows in view exist in the DOM, so 10,000 scroll like 10.
 */
export function SnapshotList({ list, unfinished, now, busy, onRollback, onDelete }: Props): React.JSX.Element {
  const [query, setQuery] = useState('');
  const [byDay, setByDay] = useState(true);
  const rows = useMemo(() => listRows(list.snapshots, list.rollbacks, { query, byDay, now, unfinished }), [list, query, byDay, now, unfinished]);
  const snapshotIndexes = useMemo(() => rows.flatMap((r, i) => (r.type === 'snapshot' ? [i] : [])), [rows]);
  const dayIndexes = useMemo(() => rows.flatMap((r, i) => (r.type === 'day' ? [i] : [])), [rows]);
  const scroller = useRef<HTMLDivElement>(null);
  const [activeId, setActiveId] = useState<string | null>(null);
  const focusPending = useRef(false);
  const stickyIndex = useRef(-1);

  const rangeExtractor = useCallback((range: Range): number[] => {
    stickyIndex.current = [...dayIndexes].reverse().find((i) => range.startIndex >= i) ?? -1;
    const shown = new Set(defaultRangeExtractor(range));
    if (stickyIndex.current >= 0) shown.add(stickyIndex.current);
    return [...shown].sort((a, b) => a - b);
  }, [dayIndexes]);

  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scroller.current,
    estimateSize: (i) => HEIGHT[rows[i]?.type ?? 'snapshot'],
    overscan: 6,
    rangeExtractor,
  });

  const activeRow = rows.findIndex((r) => r.key === activeId);
  const active = activeRow >= 0 ? activeRow : snapshotIndexes[0] ?? -1;

  useEffect(() => {
    if (!focusPending.current) return;
    // Far rows exist only once the virtualiser has scrolled to them: try again on the next render.
    const row = scroller.current?.querySelector<HTMLElement>(`[data-index="${active}"]`);
    if (!row) return;
    focusPending.current = false;
    row.focus();
  });

  const move = (e: KeyboardEvent<HTMLDivElement>): void => {
    const keys: Record<string, number> = { ArrowDown: 1, ArrowUp: -1, PageDown: 8, PageUp: -8, Home: -Infinity, End: Infinity };
    const step = keys[e.key];
    if (step === undefined || snapshotIndexes.length === 0 || (e.target as HTMLElement).tagName === 'BUTTON' && (e.key === 'Home' || e.key === 'End')) return;
    e.preventDefault();
    const at = Math.max(0, snapshotIndexes.indexOf(active));
    const next = snapshotIndexes[Math.min(snapshotIndexes.length - 1, Math.max(0, at + step))] ?? 0;
    const row = rows[next];
    if (!row) return;
    setActiveId(row.key);
    virtualizer.scrollToIndex(next, { align: 'auto' });
    focusPending.current = true;
  };

  const count = snapshotIndexes.length;
  const toolbar = (
    <div className="list-tools">
      <input type="search" aria-label="Search snapshots by tag" placeholder="Search tags" value={query} onChange={(e) => setQuery(e.target.value)} />
      <label className="inline small"><input type="checkbox" checked={byDay} onChange={(e) => setByDay(e.target.checked)} /> By day</label>
    </div>
  );
  if (list.snapshots.length === 0) {
    return <p className="empty">No snapshots of this folder yet. Take one with “Snapshot now”.</p>;
  }
  return (
    <>
      {toolbar}
      {count === 0 && <p className="empty" role="status">No snapshot tagged “{query}”.</p>}
      <div className="list" ref={scroller} role="list" hidden={count === 0} aria-label={`${count} snapshots, newest first${query ? `, tagged “${query}”` : ''}`} onKeyDown={move}>
        <div style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
          {virtualizer.getVirtualItems().map((item) => {
            const row = rows[item.index];
            if (!row) return null;
            const sticky = row.type === 'day' && item.index === stickyIndex.current;
            const place = sticky
              ? { position: 'sticky' as const, top: 0, height: item.size, zIndex: 2 }
              : { position: 'absolute' as const, top: 0, left: 0, right: 0, height: item.size, transform: `translateY(${item.start}px)` };
            if (row.type === 'day') return <div key={row.key} className="day" aria-hidden="true" data-index={item.index} style={place}>{row.label}</div>;
            if (row.type === 'rollback') return <div key={row.key} className={`rollback-head ${row.rollback.kind}`} aria-hidden="true" data-index={item.index} style={place} title={row.label}>↩ {row.label}</div>;
            const s = row.snapshot;
            const label = rowLabel(row);
            return (
              <div
                key={row.key}
                role="listitem"
                className={`row ${row.under ? 'under' : ''}`}
                data-index={item.index}
                data-id={s.id}
                tabIndex={item.index === active ? 0 : -1}
                aria-label={label}
                onFocus={() => setActiveId(row.key)}
                style={place}
              >
                <span className="when" title={dateTime(s.createdAt, { seconds: true, now })}>{byDay ? clockTime(s.createdAt) : relativeTime(s.createdAt, now)}</span>
                <span className="tag" title={s.tag ?? ''}>{s.tag ?? <em>untagged</em>}</span>
                <span className="meta">
                  {s.state !== 'ready' && <span className={`badge ${s.state}`} title={STATE_HELP[s.state]}>{s.state}</span>}
                  <span className={`badge trigger-${s.trigger}`}>{s.trigger}</span>
                  <span className="cost" title={costTitle(s)}>frees {costText(s)}</span>
                </span>
                <span className="row-actions">
                  <button type="button" disabled={busy || s.state === 'vanished'} onClick={() => onRollback(s)} aria-label={`Roll back to ${label}`}>Roll back</button>
                  <button type="button" className="danger" disabled={busy} onClick={() => onDelete(s)} aria-label={`Delete ${label}`}>Delete</button>
                </span>
              </div>
            );
          })}
        </div>
      </div>
    </>
  );
}
