import { useEffect, useRef, useState } from 'react';
import type { ApiCall, FileHistoryView, FileVersion } from '../../shared/api.js';
import { dateTime, humanBytes, relativeTime } from '../../shared/format.js';
import { FileDiff } from '../FileDiff.js';
import { shownPath } from './shownPath.js';
import { MiddlePath } from '../MiddlePath.js';

/** Where a copy of `path` from snapshot `id` goes: beside it, named for the snapshot. */
function besideName(p: string, id: string): string {
  const slash = p.lastIndexOf('/');
  const dir = slash >= 0 ? p.slice(0, slash + 1) : '';
  const base = p.slice(slash + 1);
  const dot = base.lastIndexOf('.');
  return dot > 0 ? `${dir}${base.slice(0, dot)} (from ${id})${base.slice(dot)}` : `${dir}${base} (from ${id})`;
}

/** One path's versions on a timeline, newest first: diff any of them against the file now, restore or copy it. */
export function FileVersions({ call, target, path, now, onBack, onChanged }: { call: ApiCall; target: string; path: string; now: number; onBack: () => void; onChanged: () => void }): React.JSX.Element {
  const [view, setView] = useState<FileHistoryView | null>(null);
  const [error, setError] = useState<string | null>(null);
  // The chosen version by its oldest snapshot, which stays its own when a restore adds a newer version above it.
  const [chosenKey, setChosenKey] = useState<string | null>(null);
  const [diffing, setDiffing] = useState(false);
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState<{ tone: 'ok' | 'error'; text: string } | null>(null);
  // Asked again after a restore, so the version the folder holds now is marked as it is.
  const [asked, setAsked] = useState(0);
  useEffect(() => {
    let live = true;
    void call('fileHistory', { target, path }).then((r) => { if (!live) return; if (r.ok) { setView(r.value); setError(null); } else setError(r.error); });
    return () => { live = false; };
  }, [call, target, path, asked]);

  const found = view && chosenKey !== null ? view.versions.findIndex((v) => v.snapshots.at(-1)?.id === chosenKey) : -1;
  const chosen = found < 0 ? 0 : found;
  const setChosen = (i: number): void => setChosenKey(view?.versions[i]?.snapshots.at(-1)?.id ?? null);
  const version: FileVersion | undefined = view?.versions[chosen];
  // Diffed and restored from the snapshot it is named by: "from 'before refactor'", not from a safety snapshot.
  const id = version?.knownBy.id;
  // Outside a dialog nothing moves focus for the diff: its back button takes it, and Escape leaves it.
  const diffBox = useRef<HTMLDivElement>(null);
  useEffect(() => { if (diffing) diffBox.current?.querySelector<HTMLElement>('[data-autofocus]')?.focus(); }, [diffing]);
  if (diffing && id) {
    return (
      <div ref={diffBox} className="file-versions" onKeyDown={(e) => { if (e.key === 'Escape') { e.stopPropagation(); setDiffing(false); } }}>
        <FileDiff call={call} id={id} path={path} backLabel="Versions" onBack={() => setDiffing(false)} />
      </div>
    );
  }

  const restore = async (copy: boolean): Promise<void> => {
    if (!id) return;
    setBusy(true);
    setDone(null);
    const r = await call('restoreFile', copy ? { id, path, to: besideName(path, id) } : { id, path });
    setBusy(false);
    if (!r.ok) { setDone({ tone: 'error', text: r.error }); return; }
    onChanged();
    setAsked((n) => n + 1);
    if (r.value.kind === 'copy') setDone({ tone: 'ok', text: `Saved a copy: ${r.value.written}` });
    else setDone({ tone: 'ok', text: r.value.rollback.nothingToChange ? 'The file already matches this version.' : 'Restored. Undo is offered above.' });
  };
  const deletedAt = new Set(view?.deletions.map((d) => d.id));
  return (
    <section className="file-versions" aria-label={`Versions of ${shownPath(path)}`} onKeyDown={(e) => { if (e.key === 'Escape') { e.stopPropagation(); onBack(); } }}>
      <div className="file-diff-head">
        <button type="button" className="link" onClick={onBack}>← Search</button>
        <MiddlePath path={shownPath(path)} />
      </div>
      {error && <p role="alert" className="error">{error}</p>}
      {!view && !error && <p role="status" className="muted">Reading its versions…</p>}
      {view && (
        <>
          <p className="muted small">{view.versions.length} {view.versions.length === 1 ? 'version' : 'versions'}{view.deletedNow ? ' · not in the folder now' : view.currentVersion === null ? ' · changed since its newest snapshot' : ''}{view.deletions.length > 0 ? ` · deleted ${view.deletions.length}×` : ''}{view.excludedIn > 0 ? ` · left out of ${view.excludedIn} by excludes` : ''}</p>
          <ol className="timeline" role="radiogroup" aria-label="Versions, newest first">
            {view.versions.map((v, i) => {
              const newest = v.snapshots[0];
              const known = v.knownBy;
              const what = v.type === 'file' ? humanBytes(v.size ?? 0) : v.type === 'dir' ? 'a folder' : 'a link';
              const deletedAfter = newest && deletedAt.size > 0 && view.deletions.some((d) => d.createdAt > newest.createdAt && (i === 0 || (view.versions[i - 1]?.snapshots.at(-1)?.createdAt ?? '') > d.createdAt));
              return (
                <li key={`${i}-${newest?.id ?? ''}`}>
                  {deletedAfter && <span className="badge deleted small">deleted after this</span>}
                  <button type="button" role="radio" aria-checked={i === chosen} className={`row version${i === chosen ? ' chosen' : ''}`} autoFocus={i === 0} onClick={() => setChosen(i)}
                    onKeyDown={(e) => {
                      if (e.key === 'ArrowDown' || e.key === 'ArrowUp') { e.preventDefault(); const next = Math.max(0, Math.min(view.versions.length - 1, i + (e.key === 'ArrowDown' ? 1 : -1))); setChosen(next); (e.currentTarget.closest('ol')?.querySelectorAll<HTMLElement>('button.version')[next])?.focus(); }
                    }}>
                    <span className="dot" aria-hidden="true" />
                    <span className="row-main">
                      <span className="when">{relativeTime(known.createdAt, now)}{known.tag ? ` · ${known.tag}` : ''}{i === view.currentVersion && <span className="badge now small" title="The folder holds this version now">now</span>}</span>
                      <span className="meta"><span>{dateTime(known.createdAt, { seconds: true, now })}</span><span>{what}</span><span>in {v.snapshots.length} {v.snapshots.length === 1 ? 'snapshot' : 'snapshots'}</span></span>
                    </span>
                  </button>
                </li>
              );
            })}
          </ol>
          {version && (
            <div className="actions">
              <button type="button" disabled={version.type !== 'file'} onClick={() => setDiffing(true)}>Diff with now</button>
              <button type="button" disabled={busy || version.type !== 'file'} onClick={() => void restore(true)}>Save a copy beside it</button>
              <button type="button" className="primary" disabled={busy} onClick={() => void restore(false)}>Restore</button>
            </div>
          )}
          {done && <p role={done.tone === 'error' ? 'alert' : 'status'} className={done.tone}>{done.text}</p>}
        </>
      )}
    </section>
  );
}
