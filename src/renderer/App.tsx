import { useCallback, useEffect, useMemo, useState } from 'react';
import type { ApiCall, ListedSnapshot, SettingsView, SnapshotInProgress, SnapshotRecord, TargetStatus } from '../shared/api.js';
import { dateTime, freesText, humanBytes, progressFraction, progressText, relativeTime, thousands, undoneText } from '../shared/format.js';
import { Dialog } from './Dialog.js';
import { Onboarding } from './Onboarding.js';
import { RollbackDialog } from './RollbackDialog.js';
import { SettingsPanel } from './SettingsPanel.js';
import { SnapshotList } from './SnapshotList.js';
import { UnfinishedBanner } from './UnfinishedBanner.js';
import { useLive } from './useApi.js';
import { SearchPanel } from './search/SearchPanel.js';
import { shownPath } from './search/shownPath.js';
import { popoverWords } from './popoverWords.js';
import { MiddlePath } from './MiddlePath.js';
import { folderChoice } from './pathParts.js';
import { PauseIcon, ResumeIcon, SearchIcon, SettingsIcon } from './icons.js';

type Modal = { kind: 'rollback'; snapshot: SnapshotRecord } | { kind: 'delete'; snapshot: ListedSnapshot } | null;

export function App({ call }: { call: ApiCall }): React.JSX.Element {
  const [target, setTarget] = useState<string | null>(null);
  const live = useLive(call, target);
  const { status, list, refresh } = live;
  const [now, setNow] = useState(Date.now());
  const [view, setView] = useState<'list' | 'settings' | 'search'>('list');
  const [settings, setSettings] = useState<SettingsView | null>(null);
  const [modal, setModal] = useState<Modal>(null);
  // The folder of the snapshot asked for here, while it is being taken.
  const [creatingFor, setCreatingFor] = useState<string | null>(null);
  const creating = creatingFor !== null;
  const [resolving, setResolving] = useState(false);
  const [tag, setTag] = useState('');
  const [notice, setNotice] = useState<{ tone: 'ok' | 'error'; text: string } | null>(null);
  const [dismissedProblems, setDismissedProblems] = useState(0);
  // A lost undo is said once where the Undo was; dismissed, it stays away until another undo is lost.
  const [dismissedLost, setDismissedLost] = useState<string | null>(null);

  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), 30_000);
    return () => clearInterval(t);
  }, []);

  // Rows made since the last tick must not read "in a moment": take the time whenever the list changes.
  useEffect(() => setNow(Date.now()), [list]);

  const loadSettings = useCallback(async () => {
    const r = await call('getSettings', {});
    if (r.ok) setSettings(r.value);
    else setNotice({ tone: 'error', text: r.error });
  }, [call]);
  useEffect(() => { void loadSettings(); }, [loadSettings]);

  const targets = useMemo(() => status?.targets ?? [], [status]);
  // The list belongs to one folder: the first until the person picks another (or the picked one goes away).
  useEffect(() => {
    if (!status) return;
    if (target === null || !targets.some((t) => t.path === target)) setTarget(targets[0]?.path ?? null);
  }, [status, targets, target]);
  const chosen = targets.find((t) => t.path === target) ?? null;
  const snapshots = useMemo(() => list?.snapshots ?? [], [list]);
  const nextRun = chosen?.nextRun ?? null;
  const totals = list?.totals ?? null;
  const lowSpace = totals !== null && totals.freeBytes !== null && totals.floorBytes !== null && totals.freeBytes < totals.floorBytes;

  // A snapshot of the chosen folder being taken (this one, or a scheduled one status reports): how far it has
  // got, asked a few times a second while it runs.
  const [taking, setTaking] = useState<SnapshotInProgress | null>(null);
  const chosenPath = chosen?.path ?? null;
  const mine = creatingFor !== null && creatingFor === chosenPath;
  const watching = chosenPath !== null && (mine || (chosen?.taking ?? null) !== null);
  useEffect(() => {
    if (!watching || chosenPath === null) { setTaking(null); return undefined; }
    let live = true;
    const ask = async (): Promise<void> => {
      const r = await call('progress', {});
      if (!live || !r.ok) return;
      const now = r.value.taking.find((t) => t.target === chosenPath && t.trigger !== 'safety') ?? null;
      setTaking(now);
      // A scheduled snapshot that status reported has ended: the list gets it now, not at the next refresh.
      if (now === null && !mine) void refresh();
    };
    void ask();
    const timer = setInterval(() => void ask(), PROGRESS_POLL_MS);
    return () => { live = false; clearInterval(timer); };
  }, [watching, chosenPath, mine, call, refresh]);

  const snapshotNow = async (): Promise<void> => {
    if (!chosen) return;
    setCreatingFor(chosen.path);
    setNotice(null);
    const r = await call('create', { target: chosen.path, tag: tag.trim() || null });
    await refresh();
    setCreatingFor(null);
    if (r.ok) {
      setTag('');
      const taken = r.value.provider === 'clone' ? `Snapshot taken: ${thousands(r.value.files)} ${r.value.files === 1 ? 'file' : 'files'}, ${humanBytes(r.value.addedBytes)} new.` : `Snapshot taken (${r.value.provider}).`;
      const { problems } = r.value;
      // Paths not kept as they were are said now, not discovered at rollback time.
      setNotice(problems.length === 0 ? { tone: 'ok', text: taken } : {
        tone: 'error',
        text: `${taken} Not kept as they were: ${problems.slice(0, 3).map((p) => `${p.path} (${p.reason})`).join(', ')}${problems.length > 3 ? ` and ${problems.length - 3} more` : ''}.`,
      });
    }
    else setNotice({ tone: 'error', text: `Snapshot failed: ${r.error}` });
  };
  const remove = async (s: SnapshotRecord): Promise<void> => {
    setModal(null);
    // The dialog said so when this snapshot is the one the undo restores (takesUndo), and the person chose it.
    const r = await call('delete', { id: s.id, ...(undoOffer?.rollback.safetyId === s.id ? { undoLossConfirmed: true } : {}) });
    await refresh();
    setNotice(r.ok ? { tone: 'ok', text: 'Snapshot deleted.' } : { tone: 'error', text: `Delete failed: ${r.error}` });
  };
  const togglePause = async (): Promise<void> => {
    if (!status) return;
    const r = await call('setPaused', { paused: !status.schedulePaused });
    if (!r.ok) setNotice({ tone: 'error', text: r.error });
    await Promise.all([refresh(), loadSettings()]);
  };
  const retry = async (t: TargetStatus): Promise<void> => {
    setResolving(true);
    const r = await call('retry', { target: t.path });
    await refresh();
    setResolving(false);
    setNotice(!r.ok ? { tone: 'error', text: `Retry failed: ${r.error}` }
      : r.value.unfinished ? { tone: 'error', text: `The rollback stopped again: ${popoverWords(r.value.unfinished.error ?? 'no reason given')}` }
      : { tone: 'ok', text: 'Finished: the rollback is complete.' });
  };
  const undo = async (t: TargetStatus): Promise<void> => {
    setResolving(true);
    const r = await call('undo', { target: t.path });
    await refresh();
    setResolving(false);
    setNotice(r.ok ? { tone: 'ok', text: `Undone: ${undoneText(r.value.paths, shownPath)}.` } : { tone: 'error', text: `Undo failed: ${r.error}` });
  };

  // The Undo offered (banner above the list) restores this safety snapshot: deleting it takes the Undo away.
  const undoOffer = chosen && !chosen.unfinished ? chosen.undo : null;
  const takesUndo = modal?.kind === 'delete' && undoOffer !== null && undoOffer.rollback.safetyId === modal.snapshot.id;
  const problems = [...(status?.problems ?? []), ...(chosen?.problems ?? [])].map(popoverWords);
  const freshProblems = problems.slice(Math.min(dismissedProblems, problems.length));
  const unfinished = targets.filter((t) => t.unfinished !== null);

  const headerNote = !status ? undefined : status.schedulePaused ? 'Every folder\'s schedule is paused: Resume all starts them again'
    : chosen?.paused ? 'Scheduled snapshots of this folder are paused: untick Paused in Settings to resume them'
    : nextRun ? `Next scheduled snapshot: ${dateTime(nextRun, { now })}` : undefined;

  if (status && settings && !status.onboarded) {
    return <main className="app"><Onboarding call={call} settings={settings} host={status.host} known={status.targets.map((t) => t.path)} onDone={() => void Promise.all([refresh(), loadSettings()])} /></main>;
  }

  return (
    <main className="app">
      <header>
        <div className="title">
          <h1>snapctl</h1>
          <span className="muted small status-line" aria-live="polite" title={headerNote}>
            {!status ? 'Connecting…' : status.schedulePaused ? 'Schedule paused'
              // A folder paused in Settings has no next run either: without this it read "No schedule".
              : chosen?.paused ? <span className="paused">Folder paused</span>
              : nextRun ? `Next snapshot ${relativeTime(nextRun, now)}` : 'No schedule'}
          </span>
        </div>
        <div className="header-actions">
          {status && (
            <button type="button" className="icon" aria-label={status.schedulePaused ? 'Resume all' : 'Pause all'} title={status.schedulePaused ? 'Resume the schedules of every folder' : 'Pause the schedules of every folder'} onClick={() => void togglePause()}>
              {status.schedulePaused ? <ResumeIcon /> : <PauseIcon />}
            </button>
          )}
          {chosen && <button type="button" className="icon" aria-label="Find a file" title="Find a file: every version of it in the snapshots" aria-pressed={view === 'search'} onClick={() => setView(view === 'search' ? 'list' : 'search')}><SearchIcon /></button>}
          <button type="button" className="icon" aria-label="Settings" title="Settings" aria-pressed={view === 'settings'} onClick={() => setView(view === 'settings' ? 'list' : 'settings')}><SettingsIcon /></button>
        </div>
      </header>

      {live.loadError && <div role="alert" className="banner error">{live.loadError}</div>}
      {unfinished.map((t) => t.unfinished && (
        <UnfinishedBanner key={t.path} unfinished={t.unfinished} busy={resolving} showPath={targets.length > 1} onRetry={() => void retry(t)} onUndo={() => void undo(t)} />
      ))}
      {freshProblems.length > 0 && (
        <div role="alert" className="banner error compact">
          <span className="banner-text" title={freshProblems.join('\n')}>{freshProblems[freshProblems.length - 1]}{freshProblems.length > 1 ? ` (+${freshProblems.length - 1} more)` : ''}</span>
          <button type="button" className="link" aria-label="Dismiss the problem" onClick={() => setDismissedProblems(problems.length)}>Dismiss</button>
        </div>
      )}
      {notice && (
        <div role={notice.tone === 'error' ? 'alert' : 'status'} className={`banner ${notice.tone} compact`}>
          <span className="banner-text">{notice.text}</span>
          <button type="button" className="link" aria-label="Dismiss" onClick={() => setNotice(null)}>Dismiss</button>
        </div>
      )}
      {view !== 'settings' && chosen?.undo && !chosen.unfinished && modal === null && (
        <div className="banner undo-offer" role="region" aria-label="Undo the last rollback">
          <span className="banner-text">{chosen.undo.label[0]?.toUpperCase()}{chosen.undo.label.slice(1)}.</span>
          <button type="button" disabled={resolving} onClick={() => void undo(chosen)} aria-label={`Undo: ${chosen.undo.label}`}>Undo</button>
        </div>
      )}

      {view !== 'settings' && chosen?.undoLost && !chosen.undo && !chosen.unfinished && modal === null && dismissedLost !== chosen.undoLost && (
        <div className="banner compact undo-lost" role="status" aria-label="The last rollback can no longer be undone">
          <span className="banner-text" title={chosen.undoLost}>{popoverWords(chosen.undoLost[0]?.toUpperCase() + chosen.undoLost.slice(1))}.</span>
          <button type="button" className="link" aria-label="Dismiss" onClick={() => setDismissedLost(chosen.undoLost)}>Dismiss</button>
        </div>
      )}

      {view === 'search' && chosen ? (
        <SearchPanel call={call} target={chosen.path} now={now} onClose={() => setView('list')} onChanged={() => void refresh()} />
      ) : view === 'settings' && settings && status ? (
        <SettingsPanel call={call} initial={settings} host={status.host} metrics={status.metrics} onClose={() => setView('list')} onSaved={() => void Promise.all([refresh(), loadSettings()])} />
      ) : (
        <>
          <section className="snap-now" aria-label="Take a snapshot">
            {chosen && (
              // The folder and, on the same line, what the app knows of its changes (no extra row: the list keeps its room).
              <div className="folder-line">
                {targets.length > 1 ? (
                  <select aria-label="Folder" value={chosen.path} title={chosen.path} onChange={(e) => setTarget(e.target.value)}>
                    {targets.map((t) => <option key={t.path} value={t.path} title={t.path}>{folderChoice(t.path)}</option>)}
                  </select>
                ) : <MiddlePath path={chosen.path} className="folder" />}
                {!(mine || taking) && <ChangesLine target={chosen} now={now} />}
              </div>
            )}
            {targets.length === 0 && status && <p className="muted">No folder is watched yet: add one in Settings.</p>}
            <div className="snap-row">
              <input aria-label="Tag for the new snapshot (optional)" placeholder="Tag (optional)" value={tag} maxLength={200} onChange={(e) => setTag(e.target.value)}
                onKeyDown={(e) => { if (e.key === 'Enter' && !creating) void snapshotNow(); }} />
              <button type="button" className="primary" disabled={!chosen || creating} aria-busy={creating} onClick={() => void snapshotNow()}>
                {creating ? 'Snapshotting…' : 'Snapshot now'}
              </button>
            </div>
            {(mine || taking) && <SnapshotProgress taking={taking} />}
          </section>
          {list && <SnapshotList list={list} unfinished={chosen?.unfinished ?? null} now={now} busy={creating} onRollback={(s) => setModal({ kind: 'rollback', snapshot: s })} onDelete={(s) => setModal({ kind: 'delete', snapshot: s })} />}
          <footer className="muted small">
            {snapshots.length} {snapshots.length === 1 ? 'snapshot' : 'snapshots'}
            {totals?.folderBytes != null && <> · <span title="what this folder's snapshots take in the store (what deleting all of them frees)">{humanBytes(totals.folderBytes)}</span></>}
            {totals?.storeBytes != null && totals.storeBytes !== totals.folderBytes && <> · <span title="what every snapshot takes in the store">store {humanBytes(totals.storeBytes)}</span></>}
            {totals?.freeBytes != null && (
              <> · <span className={lowSpace ? 'error' : ''} title={totals.floorBytes !== null ? `snapshots keep ${humanBytes(totals.floorBytes)} free on the store's filesystem` : ''}>
                {humanBytes(totals.freeBytes)} free{lowSpace ? ', below the floor' : ''}
              </span></>
            )}
            {status?.lastRollback && <> · last rollback {relativeTime(status.lastRollback.at, now)}</>}
            {status?.host === 'headless' && <> · headless</>}
          </footer>
        </>
      )}

      {modal?.kind === 'rollback' && <RollbackDialog call={call} snapshot={modal.snapshot} onClose={() => setModal(null)} onChanged={() => void refresh()} />}
      {modal?.kind === 'delete' && (
        <Dialog title="Delete this snapshot?" onClose={() => setModal(null)}>
          <p>{deleteSubject(modal.snapshot, dateTime(modal.snapshot.createdAt, { now }))} This cannot be undone.</p>
          {takesUndo && (
            <p className="takes-undo" role="note" aria-label="Deleting it takes away the undo">
              It is the state before the last rollback, which Undo puts back ({undoOffer?.label}): deleting it takes that Undo away.
            </p>
          )}
          <p className="frees">{freesText(modal.snapshot, totals?.sharesBlocks ?? false)}</p>
          <div className="actions">
            <button type="button" data-autofocus onClick={() => setModal(null)}>Cancel</button>
            <button type="button" className="danger primary" onClick={() => void remove(modal.snapshot)}>{takesUndo ? 'Delete it and the undo' : 'Delete'}</button>
          </div>
        </Dialog>
      )}
    </main>
  );
}

/** How often the progress of a snapshot being taken is asked for. */
const PROGRESS_POLL_MS = 400;

/** A snapshot being taken: a bar that fills as it goes (moving while the folder is read) and how far it has got. */
function SnapshotProgress({ taking }: { taking: SnapshotInProgress | null }): React.JSX.Element {
  const p = taking?.progress ?? null;
  const fraction = p ? progressFraction(p) : null;
  const said = p ? progressText(p) : 'starting';
  const text = taking?.trigger === 'schedule' ? `Scheduled snapshot: ${said}` : `${said[0]?.toUpperCase() ?? ''}${said.slice(1)}`;
  return (
    <div className="progress-line">
      <progress className="wide" max={1} value={fraction ?? undefined} aria-label="Taking a snapshot" aria-valuetext={text} />
      <span className="muted small progress-text">{text}</span>
    </div>
  );
}

/**
 * What the running app knows of the folder's changes since its newest snapshot: a live count when it tracks
 * them (a snapshot then looks only at those), else that the next one looks at every file, and why on hover.
 */
function ChangesLine({ target, now }: { target: TargetStatus; now: number }): React.JSX.Element | null {
  const c = target.changes;
  if (!c) return null;
  if (target.unchangedSince && c.tracked && c.count === 0) {
    return <span className="muted small changes-line" role="status" title={`The scheduled snapshot took nothing new: unchanged since ${dateTime(target.unchangedSince, { now })}`}>Unchanged since {dateTime(target.unchangedSince, { now })}</span>;
  }
  if (c.tracked) {
    const n = c.count ?? 0;
    const said = n === 0 ? 'No changes since the last snapshot' : `${thousands(n)} ${n === 1 ? 'change' : 'changes'} since the last snapshot`;
    return <span className="muted small changes-line" role="status" aria-label={said} title={`${said}: a snapshot looks only at what changed`}>{n === 0 ? 'No changes' : `${thousands(n)} ${n === 1 ? 'change' : 'changes'}`}</span>;
  }
  const why = popoverWords(c.why ?? 'the app cannot say what changed');
  return <span className="muted small changes-line" role="status" aria-label="The next snapshot looks at every file" title={`The next snapshot looks at every file: ${why}`}>Full scan next</span>;
}

/** Which snapshot the delete dialog is about: a safety snapshot by what it was taken for, others by tag and time. */
function deleteSubject(s: SnapshotRecord, when: string): string {
  if (s.trigger === 'safety' && s.tag) return `The safety snapshot taken ${s.tag} (${when}).`;
  return s.tag ? `‘${s.tag}’, taken ${when}.` : `The untagged snapshot taken ${when}.`;
}
