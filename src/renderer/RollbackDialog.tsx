import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { ApiCall, DiffView, RollbackView, SnapshotRecord, UnfinishedRollback } from '../shared/api.js';
import { undoneText } from '../shared/format.js';
import { ChangeTree } from './ChangeTree.js';
import { buildChangeTree, gitUnticked, initiallyOpen, scopeFor, tickedChanges } from './pathTree.js';
import { Dialog } from './Dialog.js';
import { MiddlePath } from './MiddlePath.js';
import { FileDiff } from './FileDiff.js';
import { gitSentence } from './gitWords.js';
import { snapshotName } from './listRows.js';
import { UnfinishedBanner } from './UnfinishedBanner.js';
import { popoverWords } from './popoverWords.js';
import { shownPath } from './search/shownPath.js';

type Phase =
  | { step: 'preview' }
  | { step: 'working'; what: string }
  | { step: 'done'; result: RollbackView }
  | { step: 'undone'; paths: string[] | null }
  | { step: 'retried' }
  | { step: 'failed'; error: string; unfinished: UnfinishedRollback | null; retry: 'rollback' | 'undo' };

/** The most that one rollback request may name (the API's limit); whole folders count as one. */
const MAX_PATHS = 1000;

function counts(r: RollbackView['restored']): string {
  const parts = [`${r.restored} restored`, `${r.broughtBack} brought back`, `${r.removed} removed`];
  return parts.join(', ');
}

/**
 * Preview what will change (deletions first, as a tree; a path's diff on demand; only some paths if wished),
 * roll back, then offer Undo: a rollback is never a blind click.
 */
export function RollbackDialog({ call, snapshot, onClose, onChanged }: { call: ApiCall; snapshot: SnapshotRecord; onClose: () => void; onChanged: () => void }): React.JSX.Element {
  const [phase, setPhase] = useState<Phase>({ step: 'preview' });
  const [diff, setDiff] = useState<DiffView | null>(null);
  const [diffError, setDiffError] = useState<string | null>(null);
  // keepGit is what the shown preview was computed with; wantKeepGit the switch while its new preview is asked.
  const [keepGit, setKeepGit] = useState<boolean | null>(null);
  const [wantKeepGit, setWantKeepGit] = useState<boolean | null>(null);
  const [comparing, setComparing] = useState(false);
  const asked = useRef(0);
  const [gitSeen, setGitSeen] = useState(false);
  const [open, setOpen] = useState<Set<string>>(new Set());
  const [excluded, setExcluded] = useState<Set<string>>(new Set());
  const [picked, setPicked] = useState<string | null>(null);
  const [lastPicked, setLastPicked] = useState<string | null>(null);
  const pick = (p: string | null): void => { if (picked) setLastPicked(picked); setPicked(p); };
  const target = snapshot.target;

  const loadDiff = useCallback(async (withKeepGit: boolean | null): Promise<void> => {
    const question = ++asked.current;
    setDiffError(null);
    setComparing(true);
    const r = await call('diff', withKeepGit === null ? { id: snapshot.id } : { id: snapshot.id, keepGit: withKeepGit });
    // A later question (the switch flipped again) decides what is shown; an earlier answer arriving late must not.
    if (question !== asked.current) return;
    setComparing(false);
    setWantKeepGit(null);
    if (!r.ok) { setDiffError(r.error); setDiff(null); return; }
    setDiff(r.value);
    setKeepGit(r.value.keepGit);
    if (r.value.git.length > 0 || r.value.keepGit) setGitSeen(true);
  }, [call, snapshot.id]);

  useEffect(() => { void loadDiff(null); }, [loadDiff]);

  const tree = useMemo(() => (diff ? buildChangeTree(diff) : null), [diff]);
  // A new answer (keepGit toggled, an unfinished rollback resolved) starts from its own tree.
  useEffect(() => {
    if (!tree) return;
    setOpen(initiallyOpen(tree));
    setExcluded(new Set());
  }, [tree]);

  const scope = tree ? scopeFor(tree, excluded) : null;
  // One count everywhere: the diff's changed paths the ticks cover (the result is counted in the same words).
  const ticked = tree ? tickedChanges(tree, excluded) : 0;
  const nothingTicked = tree !== null && tree.leaves.length > 0 && tree.leaves.every((l) => excluded.has(l));
  // A repository whose .git is left alone (the switch, or every .git path unticked) keeps its commits.
  const gitShown = diff && tree ? diff.git.filter((g) => !keepGit && !gitUnticked(tree, excluded, g.repo)) : [];
  const tooMany = scope !== null && scope.length > MAX_PATHS;

  const failWith = async (error: string, retry: 'rollback' | 'undo'): Promise<void> => {
    // Whether it stopped part way decides the words and the ways out: status knows.
    const s = await call('status', {});
    const unfinished = s.ok ? s.value.targets.find((t) => t.path === target)?.unfinished ?? null : null;
    setPhase({ step: 'failed', error: popoverWords(error), unfinished, retry });
  };

  const rollBack = async (): Promise<void> => {
    setPhase({ step: 'working', what: 'Keeping the current state, then restoring…' });
    const r = await call('rollback', { id: snapshot.id, paths: scope, ...(keepGit === null ? {} : { keepGit }) });
    onChanged();
    if (r.ok) setPhase({ step: 'done', result: r.value });
    else await failWith(r.error, 'rollback');
  };
  const undo = async (): Promise<void> => {
    setPhase({ step: 'working', what: 'Undoing…' });
    const r = await call('undo', { target });
    onChanged();
    if (r.ok) setPhase({ step: 'undone', paths: r.value.paths });
    else await failWith(r.error, 'undo');
  };
  const retry = async (): Promise<void> => {
    setPhase({ step: 'working', what: 'Trying again…' });
    const r = await call('retry', { target });
    onChanged();
    if (r.ok && r.value.unfinished === null) setPhase({ step: 'retried' });
    else await failWith(r.ok ? r.value.unfinished?.error ?? 'it stopped again' : r.error, 'rollback');
  };
  /** From the preview: resolve the unfinished rollback it met, then compare again. */
  const resolveFirst = async (how: 'retry' | 'undo'): Promise<void> => {
    setPhase({ step: 'working', what: how === 'retry' ? 'Finishing the unfinished rollback…' : 'Undoing the unfinished rollback…' });
    const r = how === 'retry' ? await call('retry', { target }) : await call('undo', { target });
    onChanged();
    setPhase({ step: 'preview' });
    if (!r.ok) setDiffError(r.error);
    await loadDiff(keepGit);
  };

  const busy = phase.step === 'working';
  // When a phase or the diff view replaces what had focus, focus goes to what comes next, inside the dialog.
  useEffect(() => {
    const box = document.querySelector('.dialog.tall');
    if (!box || box.contains(document.activeElement)) return;
    const next = ['.tree [tabindex="0"]', '.file-diff [data-autofocus]', '[data-autofocus]:not([disabled])', 'button:not([disabled])']
      .map((q) => box.querySelector<HTMLElement>(q)).find((el) => el !== null);
    next?.focus();
  }, [phase.step, picked, diff]);
  const title = `Roll back to ${snapshotName(snapshot, snapshot.id)}`;
  const total = tree?.total ?? 0;

  return (
    <Dialog title={title} className="tall" onClose={busy ? () => undefined : picked ? () => pick(null) : onClose}>
      <p className="muted path"><MiddlePath path={target} /></p>
      <div className="dialog-body">
        {snapshot.provider === 'apfs' && <p className="muted small">macOS asks for your password to mount this APFS snapshot, read-only; your files are restored as you.</p>}
        {phase.step === 'preview' && (
          <>
            {diff?.unfinished && <UnfinishedBanner unfinished={diff.unfinished} busy={busy} onRetry={() => void resolveFirst('retry')} onUndo={() => void resolveFirst('undo')} />}
            {diffError && <p role="alert" className="error">{diffError}</p>}
            {!diff && !diffError && <p role="status"><progress aria-label="Comparing" /> Comparing with the folder now…</p>}
            {diff && (diff.git.length > 0 || gitSeen) && (
              <div className="git-impact" role="group" aria-label="What this does to git">
                {gitShown.map((g) => <p key={g.repo} className="git-line" aria-busy={comparing}>{gitSentence(g)}</p>)}
                {gitShown.length === 0 && (keepGit || diff.git.length > 0) && <p className="git-line muted">.git is left alone: commits and HEAD stay as they are.</p>}
                <label className="inline"><input type="checkbox" checked={wantKeepGit ?? keepGit ?? false} onChange={(e) => { setWantKeepGit(e.target.checked); void loadDiff(e.target.checked); }} /> Leave .git alone</label>
              </div>
            )}
            {diff && comparing && <p role="status" className="muted small"><progress aria-label="Comparing" /> Comparing again…</p>}
            {diff && diff.leftAlone.count > 0 && (
              <p className="muted small left-alone" title={diff.leftAlone.examples.join('\n')}>
                {diff.leftAlone.count} {diff.leftAlone.count === 1 ? 'path excluded from snapshots is' : 'paths excluded from snapshots are'} left alone ({diff.leftAlone.examples.join(', ')}{diff.leftAlone.count > diff.leftAlone.examples.length ? ', …' : ''}).
              </p>
            )}
            {diff && (diff.mounts ?? []).length > 0 && (
              <p className="muted small mounts">Filesystems mounted inside the folder are left alone: {(diff.mounts ?? []).join(', ')}.</p>
            )}
            {diff && (diff.kept ?? []).length > 0 && (
              <p className="muted small kept">These folders stay, emptied of the rest, because they hold paths left alone: {(diff.kept ?? []).join(', ')}.</p>
            )}
            {diff?.refusal && <p role="alert" className="error refused">The rollback will be refused: {popoverWords(diff.refusal)}</p>}
            {diff && tree && total === 0 && <p role="status">The folder is the same as this snapshot: nothing will change.</p>}
            {diff && tree && total > 0 && !picked && (
              <div className="preview" aria-busy={comparing}>
                <p className="summary">
                  {excluded.size > 0 ? `${ticked} of ${total} changed paths ticked: ${ticked} will change` : `${total} ${total === 1 ? 'path' : 'paths'} will change`}. The current state is kept first, so you can undo.
                </p>
                <ChangeTree tree={tree} open={open} onOpenChange={setOpen} excluded={excluded} onExcludedChange={setExcluded} onPick={(p) => pick(p)} focusOnMount={lastPicked !== null} initialPath={lastPicked} />
              </div>
            )}
            {picked && <FileDiff call={call} id={snapshot.id} path={picked} onBack={() => pick(null)} />}
          </>
        )}
        {busy && <p role="status"><progress aria-label="Working" /> {phase.what}</p>}
        {phase.step === 'done' && (phase.result.nothingToChange
          ? <p role="status" className="ok">Nothing to change: the folder already matches this snapshot, so no safety snapshot was taken.</p>
          : (
            <div role="status" className="ok">
              <p>Rolled back: {counts(phase.result.restored)}.</p>
              <p className="muted">The state before is kept as a safety snapshot: Undo puts it back.</p>
              {phase.result.restored.kept.length > 0 && <p className="error">Left as they were (the safety snapshot could not hold them): {phase.result.restored.kept.join(', ')}</p>}
              {(phase.result.restored.keptFolders ?? []).length > 0 && <p className="muted">Stayed, emptied of the rest (they hold paths left alone): {(phase.result.restored.keptFolders ?? []).join(', ')}</p>}
            </div>
          ))}
        {phase.step === 'undone' && <p role="status" className="ok">Undone: {undoneText(phase.paths, shownPath)}.</p>}
        {phase.step === 'retried' && <p role="status" className="ok">Finished: the rollback is complete.</p>}
        {phase.step === 'failed' && (
          <div role="alert" className="failed">
            <p className="error">
              {phase.unfinished ? `The ${phase.retry === 'undo' ? 'undo' : 'rollback'} stopped part way: the folder is partly restored.` : `The ${phase.retry === 'undo' ? 'undo' : 'rollback'} did not run: nothing in the folder was changed.`}
            </p>
            <details>
              <summary>Details</summary>
              <p className="small">{phase.error}</p>
            </details>
          </div>
        )}
      </div>
      <div className="actions">
        {phase.step === 'preview' && (
          <>
            {tooMany && <span className="error small">Too many separate paths: tick whole folders.</span>}
            <button type="button" onClick={onClose}>Cancel</button>
            <button type="button" className="primary" data-autofocus disabled={!diff || comparing || total === 0 || nothingTicked || tooMany} onClick={() => void rollBack()}>
              {scope === null ? 'Roll back' : `Roll back ${ticked} ${ticked === 1 ? 'path' : 'paths'}`}
            </button>
          </>
        )}
        {phase.step === 'failed' && (
          <>
            <button type="button" onClick={() => void (phase.unfinished ? retry() : phase.retry === 'undo' ? undo() : rollBack())}>Retry</button>
            {(phase.unfinished || phase.retry === 'undo') && <button type="button" onClick={() => void undo()}>Undo</button>}
          </>
        )}
        {phase.step === 'done' && !phase.result.nothingToChange && <button type="button" onClick={() => void undo()}>Undo</button>}
        {(phase.step === 'done' || phase.step === 'undone' || phase.step === 'retried' || phase.step === 'failed') && <button type="button" className="primary" data-autofocus onClick={onClose}>Close</button>}
      </div>
    </Dialog>
  );
}
