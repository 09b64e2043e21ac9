import { useEffect, useState } from 'react';
import type { ApiCall, DiffView, RollbackView, SnapshotRecord } from '../shared/api.js';
import { Dialog } from './Dialog.js';

type Phase =
  | { step: 'preview'; diff: DiffView | null; error: string | null }
  | { step: 'rolling-back' }
  | { step: 'done'; result: RollbackView }
  | { step: 'undoing'; result: RollbackView }
  | { step: 'undone'; undo: RollbackView }
  | { step: 'failed'; error: string; result: RollbackView | null };

const SHOWN = 200;

/** Preview what will change, roll back with progress, then offer Undo: a rollback is never a blind click. */
export function RollbackDialog({ call, snapshot, onClose, onChanged }: { call: ApiCall; snapshot: SnapshotRecord; onClose: () => void; onChanged: () => void }): React.JSX.Element {
  const [phase, setPhase] = useState<Phase>({ step: 'preview', diff: null, error: null });

  useEffect(() => {
    let live = true;
    void call('diff', { id: snapshot.id }).then((r) => {
      if (live) setPhase({ step: 'preview', diff: r.ok ? r.value : null, error: r.ok ? null : r.error });
    });
    return () => { live = false; };
  }, [call, snapshot.id]);

  const rollBack = async (): Promise<void> => {
    setPhase({ step: 'rolling-back' });
    const r = await call('rollback', { id: snapshot.id });
    onChanged();
    setPhase(r.ok ? { step: 'done', result: r.value } : { step: 'failed', error: r.error, result: null });
  };
  const undo = async (result: RollbackView): Promise<void> => {
    setPhase({ step: 'undoing', result });
    const r = await call('undo', { target: result.snapshot.target });
    onChanged();
    setPhase(r.ok ? { step: 'undone', undo: r.value } : { step: 'failed', error: r.error, result });
  };
  const busy = phase.step === 'rolling-back' || phase.step === 'undoing';

  return (
    <Dialog title={`Roll back to ${snapshot.tag ?? new Date(snapshot.createdAt).toLocaleString()}`} onClose={busy ? () => undefined : onClose}>
      <p className="muted path" title={snapshot.target}>{snapshot.target}</p>
      {snapshot.provider === 'apfs' && <p className="muted small">macOS asks for your password to mount this APFS snapshot, read-only; your files are restored as you.</p>}
      {phase.step === 'preview' && phase.error && <p role="alert" className="error">{phase.error}</p>}
      {phase.step === 'preview' && !phase.diff && !phase.error && <p role="status"><progress aria-label="Comparing" /> Comparing with the folder now…</p>}
      {phase.step === 'preview' && phase.diff && <Preview diff={phase.diff} />}
      {busy && <p role="status"><progress aria-label="Working" /> {phase.step === 'undoing' ? 'Undoing…' : 'Keeping the current state, then restoring…'}</p>}
      {phase.step === 'done' && (
        <p role="status" className="ok">
          Rolled back: {phase.result.restored.written} written, {phase.result.restored.removed} removed. The state before was kept as
          snapshot <code>{phase.result.safety.id}</code>.
        </p>
      )}
      {phase.step === 'undone' && <p role="status" className="ok">Undone: the folder is as it was before the rollback.</p>}
      {phase.step === 'failed' && <p role="alert" className="error">{phase.error}</p>}
      <div className="actions">
        {phase.step === 'preview' && (
          <>
            <button type="button" onClick={onClose}>Cancel</button>
            <button type="button" className="primary" data-autofocus disabled={!phase.diff} onClick={() => void rollBack()}>Roll back</button>
          </>
        )}
        {(phase.step === 'done' || (phase.step === 'failed' && phase.result)) && (
          <button type="button" onClick={() => { if (phase.result) void undo(phase.result); }}>Undo</button>
        )}
        {(phase.step === 'done' || phase.step === 'undone' || phase.step === 'failed') && <button type="button" className="primary" onClick={onClose}>Close</button>}
      </div>
    </Dialog>
  );
}

function Preview({ diff }: { diff: DiffView }): React.JSX.Element {
  const total = diff.added.length + diff.removed.length + diff.modified.length;
  if (total === 0) return <p>The folder is the same as this snapshot: nothing will change.</p>;
  const groups: [string, string, string[]][] = [
    ['restore', 'Restored (changed since)', diff.modified],
    ['recreate', 'Brought back (deleted since)', diff.removed],
    ['remove', 'Removed (added since)', diff.added],
  ];
  return (
    <div className="preview" aria-label="What the rollback will change">
      <p>{total} {total === 1 ? 'path' : 'paths'} will change. The current state is kept first, so you can undo.</p>
      {groups.filter(([, , paths]) => paths.length > 0).map(([key, title, paths]) => (
        <details key={key} open={paths.length <= 20}>
          <summary>{title}: {paths.length}</summary>
          <ul className={`paths ${key}`}>
            {paths.slice(0, SHOWN).map((p) => <li key={p}>{p}</li>)}
            {paths.length > SHOWN && <li className="muted">…and {paths.length - SHOWN} more</li>}
          </ul>
        </details>
      ))}
    </div>
  );
}
