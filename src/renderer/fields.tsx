import { useEffect, useId } from 'react';
import type { ApiCall, DetectView, ScheduleView } from '../shared/api.js';
import { useDebouncedCall } from './useDebounced.js';

export type Validity = 'ok' | 'invalid' | 'checking';

/** "15:00", "00:00 tomorrow", "09:30 on Mon 7 Dec": the time first, 24-hour like every other time shown. */
export function nextAt(iso: string, now: Date = new Date()): string {
  const d = new Date(iso);
  const time = d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
  if (d.toDateString() === now.toDateString()) return time;
  const tomorrow = new Date(now.getFullYear(), now.getMonth(), now.getDate() + 1);
  if (d.toDateString() === tomorrow.toDateString()) return `${time} tomorrow`;
  return `${time} on ${d.toLocaleDateString([], { weekday: 'short', day: 'numeric', month: 'short' })}`;
}

/** "every hour at :00; next at 15:00", or what is wrong, beside the field while the person types. */
export function scheduleWords(v: ScheduleView): string {
  if (!v.ok) return v.error;
  const first = v.next[0];
  return first ? `${v.description}; next at ${nextAt(first)}` : v.description;
}

/** A schedule field read back by the core as it is typed (debounced), its error tied to the field. */
export function ScheduleField({ call, value, onChange, onValidity, label }: { call: ApiCall; value: string; onChange: (v: string) => void; onValidity: (v: Validity) => void; label: string }): React.JSX.Element {
  const id = useId();
  const inputId = useId();
  const answer = useDebouncedCall(call, 'checkSchedule', { schedule: value.trim() });
  const view = answer?.ok ? answer.value : null;
  const error = answer && !answer.ok ? answer.error : view && !view.ok ? view.error : null;
  const validity: Validity = answer === null ? 'checking' : error ? 'invalid' : 'ok';
  useEffect(() => onValidity(validity), [validity, onValidity]);
  return (
    <div className="field">
      <label htmlFor={inputId}>{label}</label>
      <input id={inputId} value={value} spellCheck={false} onChange={(e) => onChange(e.target.value)} aria-invalid={validity === 'invalid'} aria-describedby={id} />
      <span id={id} className={`field-note ${error ? 'error' : 'muted'}`} aria-live="polite">
        {error ?? (view ? scheduleWords(view) : 'Reading the schedule…')}
      </span>
    </div>
  );
}

/** A folder path checked by detect as it is typed: a folder that does not exist is said beside the field. */
export function FolderField({ call, value, onChange, onDetected, onValidity, label, skipCheck = false }: {
  call: ApiCall; value: string; onChange: (v: string) => void; onDetected: (d: DetectView) => void; onValidity: (v: Validity) => void; label: string; skipCheck?: boolean;
}): React.JSX.Element {
  const id = useId();
  const inputId = useId();
  const path = value.trim();
  const absolute = path.startsWith('/');
  const answer = useDebouncedCall(call, 'detect', absolute && !skipCheck ? { path } : null);
  const error = !absolute ? 'Type the folder’s full path, starting with /.' : answer && !answer.ok ? answer.error : null;
  const validity: Validity = skipCheck ? 'ok' : error ? 'invalid' : answer === null ? 'checking' : 'ok';
  useEffect(() => onValidity(validity), [validity, onValidity]);
  const detected = answer?.ok ? answer.value : null;
  useEffect(() => { if (detected) onDetected(detected); }, [detected, onDetected]);
  return (
    <div className="field">
      <label htmlFor={inputId}>{label}</label>
      <input id={inputId} value={value} spellCheck={false} onChange={(e) => onChange(e.target.value)} aria-invalid={validity === 'invalid'} aria-describedby={id} />
      <span id={id} className={`field-note ${error ? 'error' : 'muted'}`} aria-live="polite">
        {skipCheck ? '' : error ?? (detected ? `Found: snapshots with ${detected.chosen} (${detected.reports.find((r) => r.name === detected.chosen)?.reason ?? ''})` : 'Checking the folder…')}
      </span>
    </div>
  );
}
