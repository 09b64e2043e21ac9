import { useVirtualizer } from '@tanstack/react-virtual';
import { useEffect, useRef, useState, type KeyboardEvent } from 'react';
import type { SnapshotRecord } from '../shared/api.js';
import { relativeTime, snapshotSize } from '../shared/format.js';

const STATE_HELP: Record<Exclude<SnapshotRecord['state'], 'ready'>, string> = {
  damaged: "Some of this snapshot's data is missing or changed on disk: a rollback that needs it is refused before anything changes (snapctl verify lists the paths)",
  vanished: 'The system removed this snapshot: it cannot be rolled back to',
};

interface Props {
  snapshots: SnapshotRecord[];
  now: number;
  busy: boolean;
  onRollback: (s: SnapshotRecord) => void;
  onDelete: (s: SnapshotRecord) => void;
}

const ROW_HEIGHT = 58;

/** Newest first; only the rows in view exist in the DOM, so 10,000 snapshots scroll as smoothly as 10. */
export function SnapshotList({ snapshots, now, busy, onRollback, onDelete }: Props): React.JSX.Element {
  const scroller = useRef<HTMLDivElement>(null);
  const [active, setActive] = useState(0);
  const focusPending = useRef(false);
  const virtualizer = useVirtualizer({
    count: snapshots.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 6,
  });

  useEffect(() => {
    if (active >= snapshots.length) setActive(Math.max(0, snapshots.length - 1));
  }, [snapshots.length, active]);

  useEffect(() => {
    if (!focusPending.current) return;
    focusPending.current = false;
    scroller.current?.querySelector<HTMLElement>(`[data-index="${active}"]`)?.focus();
  });

  const move = (e: KeyboardEvent<HTMLDivElement>): void => {
    const keys: Record<string, number> = { ArrowDown: 1, ArrowUp: -1, PageDown: 8, PageUp: -8, Home: -Infinity, End: Infinity };
    const step = keys[e.key];
    if (step === undefined || snapshots.length === 0 || (e.target as HTMLElement).tagName === 'BUTTON' && (e.key === 'Home' || e.key === 'End')) return;
    e.preventDefault();
    const next = Math.min(snapshots.length - 1, Math.max(0, active + step));
    setActive(next);
    virtualizer.scrollToIndex(next);
    focusPending.current = true;
  };

  if (snapshots.length === 0) {
    return <p className="empty">No snapshots yet. Take one with “Snapshot now”.</p>;
  }
  return (
    <div className="list" ref={scroller} role="list" aria-label={`${snapshots.length} snapshots, newest first`} onKeyDown={move}>
      <div style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
        {virtualizer.getVirtualItems().map((item) => {
          const s = snapshots[item.index];
          if (!s) return null;
          const label = `${s.tag ?? 'untagged'} snapshot from ${new Date(s.createdAt).toLocaleString()}`;
          return (
            <div
              key={s.id}
              role="listitem"
              className="row"
              data-index={item.index}
              data-id={s.id}
              tabIndex={item.index === active ? 0 : -1}
              aria-label={label}
              onFocus={() => setActive(item.index)}
              style={{ position: 'absolute', top: 0, left: 0, right: 0, height: ROW_HEIGHT, transform: `translateY(${item.start}px)` }}
            >
              <div className="row-main">
                <span className="when" title={new Date(s.createdAt).toLocaleString()}>{relativeTime(s.createdAt, now)}</span>
                <span className="tag" title={s.tag ?? ''}>{s.tag ?? <em>untagged</em>}</span>
                <span className="meta">
                  <span className={`badge trigger-${s.trigger}`}>{s.trigger}</span>
                  <span>{s.provider}</span>
                  <span title={s.provider === 'clone' ? 'bytes the snapshot holds' : 'size reported by the filesystem'}>{snapshotSize(s)}</span>
                  {s.state !== 'ready' && <span className={`badge ${s.state}`} title={STATE_HELP[s.state]}>{s.state}</span>}
                </span>
              </div>
              <div className="row-actions">
                <button type="button" disabled={busy || s.state === 'vanished'} onClick={() => onRollback(s)} aria-label={`Roll back to ${label}`}>Roll back</button>
                <button type="button" className="danger" disabled={busy} onClick={() => onDelete(s)} aria-label={`Delete ${label}`}>Delete</button>
              </div>
            </div>
          );
        })}
      </div>
    </div>
  );
}
