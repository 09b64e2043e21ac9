import { useEffect, useState, type KeyboardEvent } from 'react';
import type { ApiCall, FileDiffView } from '../shared/api.js';
import { humanBytes } from '../shared/format.js';
import { MiddlePath } from './MiddlePath.js';

const WHY_NONE: Record<Exclude<FileDiffView['kind'], 'text'>, string> = {
  binary: 'It is a binary file: no text diff to show.',
  'too-large': 'It is too large to show as a diff.',
  'not-a-file': 'It is a folder or a link: no text diff to show.',
  same: 'Its content is the same; only its details (mode, time) differ.',
};

const MARK: Record<FileDiffView['lines'][number]['op'], string> = { same: ' ', now: '−', then: '+', gap: '…' };

/** One path's unified diff: what the rollback takes away (now) and what it writes (the snapshot's). */
export function FileDiff({ call, id, path, onBack, backLabel = 'All paths' }: { call: ApiCall; id: string; path: string; onBack: () => void; backLabel?: string }): React.JSX.Element {
  const [view, setView] = useState<FileDiffView | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    void call('fileDiff', { id, path }).then((r) => {
      if (!live) return;
      if (r.ok) setView(r.value); else setError(r.error);
    });
    return () => { live = false; };
  }, [call, id, path]);

  const onKeyDown = (e: KeyboardEvent): void => {
    // Escape leaves the diff, not the dialog.
    if (e.key === 'Escape') { e.stopPropagation(); onBack(); }
  };
  const size = (n: number | null): string => (n === null ? 'absent' : humanBytes(n));
  return (
    <section className="file-diff" aria-label={`Diff of ${path}`} onKeyDown={onKeyDown}>
      <div className="file-diff-head">
        <button type="button" className="link" onClick={onBack} data-autofocus>← {backLabel}</button>
        <MiddlePath path={path} />
      </div>
      {error && <p role="alert" className="error">{error}</p>}
      {!view && !error && <p role="status" className="muted">Reading both versions…</p>}
      {view && (
        <>
          <p className="muted small">Now {size(view.sizeNow)} · in the snapshot {size(view.sizeThen)} · <span className="now">− goes away</span> <span className="then">+ comes back</span></p>
          {view.kind === 'text'
            ? (
              <pre className="diff" tabIndex={0} aria-label={`Text diff of ${path}: lines marked minus go away, plus come back`}>
                {view.lines.map((l, i) => <div key={i} className={`line ${l.op}`}><span className="mark" aria-hidden="true">{MARK[l.op]}</span>{l.op === 'gap' ? ` ${l.text}` : l.text}</div>)}
              </pre>
            )
            : <p role="status">{WHY_NONE[view.kind]}</p>}
        </>
      )}
    </section>
  );
}
