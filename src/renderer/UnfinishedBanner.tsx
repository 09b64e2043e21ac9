import { useId, useState } from 'react';
import type { UnfinishedRollback } from '../shared/api.js';
import { dateTime } from '../shared/format.js';
import { popoverWords } from './popoverWords.js';
import { MiddlePath } from './MiddlePath.js';

export function unfinishedSentence(u: UnfinishedRollback): string {
  const when = dateTime(u.startedAt);
  const what = u.kind === 'undo' ? 'An undo' : `A rollback to ${u.snapshotLabel}`;
  return `${what} stopped part way (${when}): the folder is partly restored.`;
}

/**
 * A rollback that stopped part way, in one line with its ways out: Retry finishes it, Undo puts the folder back
 * as it was before it. Shown from status, so it goes however the rollback was resolved.
 */
export function UnfinishedBanner({ unfinished, busy, onRetry, onUndo, showPath }: {
  unfinished: UnfinishedRollback; busy: boolean; onRetry: () => void; onUndo: () => void; showPath?: boolean;
}): React.JSX.Element {
  const [open, setOpen] = useState(false);
  const detailsId = useId();
  return (
    <div role="alert" className="banner error unfinished" aria-label="Unfinished rollback">
      {showPath && <MiddlePath path={unfinished.target} />}
      <span className="banner-text">{unfinishedSentence(unfinished)}</span>
      <div className="banner-line">
        <span className="banner-actions">
          <button type="button" disabled={busy} onClick={onRetry}>Retry</button>
          <button type="button" disabled={busy} onClick={onUndo}>Undo</button>
          <button type="button" className="link" aria-expanded={open} aria-controls={detailsId} onClick={() => setOpen(!open)}>Details</button>
        </span>
      </div>
      {open && (
        <div id={detailsId} className="banner-details">
          <p>{unfinished.error ? popoverWords(unfinished.error) : 'It was interrupted (snapctl or the computer stopped) before it finished.'}</p>
          <p className="muted">Retry finishes restoring the snapshot. Undo restores the safety snapshot {unfinished.safetyId}, the folder as it was before.
            {unfinished.paths ? ` It was restoring only: ${unfinished.paths.join(', ')}.` : ''}</p>
        </div>
      )}
    </div>
  );
}
