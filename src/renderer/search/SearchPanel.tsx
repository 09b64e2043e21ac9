import { useVirtualizer } from '@tanstack/react-virtual';
import { useEffect, useRef, useState, type KeyboardEvent } from 'react';
import type { ApiCall, FileMatch } from '../../shared/api.js';
import { relativeTime } from '../../shared/format.js';
import { useDebouncedCall } from '../useDebounced.js';
import { FileVersions } from './FileVersions.js';
import { shownPath } from './shownPath.js';
import { MiddlePath } from '../MiddlePath.js';
import { useEscape } from '../useEscape.js';

const ROW_HEIGHT = 44;

/** Type part of a name (or a glob) and see every matching path across the folder's snapshots. */
export function SearchPanel({ call, target, now, onClose, onChanged }: { call: ApiCall; target: string; now: number; onClose: () => void; onChanged: () => void }): React.JSX.Element {
  const [query, setQuery] = useState('');
  const [picked, setPicked] = useState<string | null>(null);
  const asked = query.trim();
  const answer = useDebouncedCall(call, 'searchFiles', asked ? { target, query: asked } : null, 200);
  // A first search on a store older than its index builds it (a minute for a thousand snapshots): said, so a
  // wait that long is not taken for a hang.
  const [slow, setSlow] = useState(false);
  const waiting = asked !== '' && answer === null;
  useEffect(() => {
    setSlow(false);
    if (!waiting) return undefined;
    const timer = setTimeout(() => setSlow(true), 2_000);
    return () => clearTimeout(timer);
  }, [waiting, asked]);
  const matches: FileMatch[] = answer?.ok ? answer.value.matches : [];
  const scroller = useRef<HTMLDivElement>(null);
  const input = useRef<HTMLInputElement>(null);
  const virtualizer = useVirtualizer({ count: matches.length, getScrollElement: () => scroller.current, estimateSize: () => ROW_HEIGHT, overscan: 8 });
  // Escape with focus on nothing in particular: back from a file's versions, else out of the search.
  useEscape(picked !== null ? () => setPicked(null) : onClose);

  const focusRow = (index: number): void => {
    if (index < 0) { input.current?.focus(); return; }
    const i = Math.min(matches.length - 1, index);
    virtualizer.scrollToIndex(i);
    requestAnimationFrame(() => scroller.current?.querySelector<HTMLElement>(`[data-index="${i}"]`)?.focus());
  };
  const onInputKey = (e: KeyboardEvent): void => {
    if (e.key === 'ArrowDown' && matches.length > 0) { e.preventDefault(); focusRow(0); }
    if (e.key === 'Escape') { e.preventDefault(); onClose(); }
  };
  const onRowKey = (e: KeyboardEvent, index: number): void => {
    if (e.key === 'ArrowDown') { e.preventDefault(); focusRow(index + 1); }
    if (e.key === 'ArrowUp') { e.preventDefault(); focusRow(index - 1); }
    if (e.key === 'Escape') { e.preventDefault(); input.current?.focus(); }
  };

  if (picked !== null) return <FileVersions call={call} target={target} path={picked} now={now} onBack={() => setPicked(null)} onChanged={onChanged} />;
  const total = answer?.ok ? answer.value.total : 0;
  return (
    <section className="search" aria-label="Find a file in the snapshots">
      <div className="snap-row">
        <input ref={input} type="search" autoFocus aria-label="Find a file in the snapshots (part of a name, or a glob such as *.ts)" placeholder="Find a file: part of a name, or *.ts"
          value={query} maxLength={1000} onChange={(e) => setQuery(e.target.value)} onKeyDown={onInputKey} />
        <button type="button" onClick={onClose}>Close</button>
      </div>
      <p className="muted small" role="status" aria-live="polite">
        {!asked ? 'Deleted files are found too.' : answer === null ? (slow ? 'Still searching: the first search of a folder with many snapshots reads them all once, which can take a minute…' : 'Searching…') : !answer.ok ? '' : total === 0 ? 'No file matches in any snapshot.' : `${total} ${total === 1 ? 'path' : 'paths'}${total > matches.length ? ` (first ${matches.length} shown)` : ''}`}
        {answer?.ok && answer.value.skipped.length > 0 && ` · ${answer.value.skipped.length} damaged snapshot(s) skipped`}
      </p>
      {answer && !answer.ok && <p role="alert" className="error">{answer.error}</p>}
      <div className="list" ref={scroller} role="list" aria-label="Matching files" hidden={matches.length === 0}>
        <div style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
          {virtualizer.getVirtualItems().map((item) => {
            const m = matches[item.index];
            if (!m) return null;
            return (
              <div key={m.path} role="listitem" style={{ position: 'absolute', top: 0, left: 0, right: 0, height: ROW_HEIGHT, transform: `translateY(${item.start}px)` }}>
                <button type="button" className="row match" data-index={item.index} onClick={() => setPicked(m.path)} onKeyDown={(e) => onRowKey(e, item.index)}
                  aria-label={`${shownPath(m.path)}${m.deleted ? ', deleted' : ''}: ${m.versions} ${m.versions === 1 ? 'version' : 'versions'} in ${m.count} snapshots`}>
                  <span className="row-main">
                    <MiddlePath path={shownPath(m.path)} suffix={m.type === 'dir' ? '/' : ''} />
                    <span className="meta">
                      {m.deleted && <span className="badge deleted">deleted</span>}
                      <span>{m.versions} {m.versions === 1 ? 'version' : 'versions'} · {m.count} {m.count === 1 ? 'snapshot' : 'snapshots'} · last {relativeTime(m.newest, now)}</span>
                    </span>
                  </span>
                </button>
              </div>
            );
          })}
        </div>
      </div>
    </section>
  );
}
