import { useEffect, useId, useState } from 'react';
import { MAX_PATTERNS, excludePatternProblem } from '../shared/excludes.js';
import { clockTime, humanBytes, shortDate } from '../shared/format.js';
import type { ApiCall, DetectView, ScheduleView } from '../shared/api.js';
import { useDebouncedCall } from './useDebounced.js';

export type Validity = 'ok' | 'invalid' | 'checking';

/** "15:00", "00:00 tomorrow", "09:30 on Mon 7 Dec": the time first, 24-hour like every other time shown. */
export function nextAt(iso: string, now: Date = new Date()): string {
  const d = new Date(iso);
  const time = clockTime(d);
  if (d.toDateString() === now.toDateString()) return time;
  const tomorrow = new Date(now.getFullYear(), now.getMonth(), now.getDate() + 1);
  if (d.toDateString() === tomorrow.toDateString()) return `${time} tomorrow`;
  return `${time} on ${shortDate(d, { weekday: true, now: now.getTime() })}`;
}

/** "every hour at :00; next at 15:00", or what is wrong, beside the field while the person types. */
export function scheduleWords(v: ScheduleView, paused = false): string {
  if (!v.ok) return v.error;
  // Paused, there is no next run to promise.
  if (paused) return `${v.description}; paused: no snapshot runs until it is resumed`;
  const first = v.next[0];
  return first ? `${v.description}; next at ${nextAt(first)}` : v.description;
}

/** A schedule field read back by the core as it is typed (debounced), its error tied to the field. */
export function ScheduleField({ call, value, onChange, onValidity, label, paused = false }: { call: ApiCall; value: string; onChange: (v: string) => void; onValidity: (v: Validity) => void; label: string; paused?: boolean }): React.JSX.Element {
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
        {error ?? (view ? scheduleWords(view, paused) : 'Reading the schedule…')}
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

/** One pattern a line, blank lines ignored: what the settings keep. */
export function patternLines(text: string): string[] {
  return text.split('\n').map((l) => l.replace(/\r$/, '')).filter((l) => l.trim() !== '');
}

/** Excludes as gitignore lines, each checked as it is typed (the core's own rule), the first problem named. */
export function ExcludesField({ value, onChange, onValidity, label }: { value: string[]; onChange: (v: string[]) => void; onValidity: (v: Validity) => void; label: string }): React.JSX.Element {
  const id = useId();
  const inputId = useId();
  const [text, setText] = useState(() => value.join('\n'));
  const lines = patternLines(text);
  const problem = lines.map((l, i) => ({ i, why: excludePatternProblem(l) })).find((p) => p.why !== null) ?? null;
  const tooMany = lines.length > MAX_PATTERNS ? `at most ${MAX_PATTERNS} patterns` : null;
  const error = tooMany ?? (problem ? `Line ${problem.i + 1}: ${problem.why ?? ''}` : null);
  useEffect(() => onValidity(error ? 'invalid' : 'ok'), [error, onValidity]);
  return (
    <div className="field">
      <label htmlFor={inputId}>{label}</label>
      <textarea id={inputId} rows={3} value={text} spellCheck={false} placeholder={'node_modules/\n*.log\n!keep.log'} aria-invalid={error !== null} aria-describedby={id}
        onChange={(e) => { setText(e.target.value); onChange(patternLines(e.target.value)); }} />
      <span id={id} className={`field-note ${error ? 'error' : 'muted'}`} aria-live="polite">
        {error ?? 'Gitignore patterns, one a line: left out of snapshots and left alone by rollbacks. Folders holding a CACHEDIR.TAG are always left out.'}
      </span>
    </div>
  );
}

const UNITS: Record<string, number> = { kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3, tb: 1024 ** 4 };

/** "500 MB", "2 GB", "1.5gb" as bytes; null when it is not a size. */
export function parseSize(text: string): number | null {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(kb|mb|gb|tb)?\s*$/i.exec(text);
  if (!m?.[1]) return null;
  const bytes = Math.round(Number(m[1]) * (UNITS[(m[2] ?? 'mb').toLowerCase()] ?? 1));
  return Number.isSafeInteger(bytes) ? bytes : null;
}

/** A size in a field ("2 GB"), empty meaning `emptyMeans`; `percent` also takes "10%". Checked as typed. */
export function SizeField({ value, onChange, onValidity, label, emptyMeans, percent = false, min = 0 }: {
  value: number | string | null; onChange: (v: number | string | null) => void; onValidity: (v: Validity) => void; label: string; emptyMeans: string; percent?: boolean; min?: number;
}): React.JSX.Element {
  const id = useId();
  const inputId = useId();
  const [text, setText] = useState(() => (value === null ? '' : typeof value === 'string' ? value : humanBytes(value)));
  const parse = (t: string): { ok: true; v: number | string | null } | { ok: false; why: string } => {
    if (t.trim() === '') return { ok: true, v: null };
    if (percent && /^\s*\d{1,2}(\.\d{1,2})?\s*%\s*$|^\s*100\s*%\s*$/.test(t)) return { ok: true, v: t.replace(/\s/g, '') };
    const bytes = parseSize(t);
    if (bytes === null) return { ok: false, why: `Type a size such as 500 MB or 2 GB${percent ? ', or a percentage such as 10%' : ''}.` };
    if (bytes < min) return { ok: false, why: `At least ${humanBytes(min)}.` };
    return { ok: true, v: bytes };
  };
  const parsed = parse(text);
  const error = parsed.ok ? null : parsed.why;
  useEffect(() => onValidity(error ? 'invalid' : 'ok'), [error, onValidity]);
  return (
    <div className="field">
      <label htmlFor={inputId}>{label}</label>
      <input id={inputId} value={text} spellCheck={false} placeholder={emptyMeans} aria-invalid={error !== null} aria-describedby={id}
        onChange={(e) => { setText(e.target.value); const p = parse(e.target.value); if (p.ok) onChange(p.v); }} />
      <span id={id} className={`field-note ${error ? 'error' : 'muted'}`} aria-live="polite">
        {error ?? (parsed.ok && parsed.v === null ? `Empty: ${emptyMeans}.` : parsed.ok && typeof parsed.v === 'number' ? `${humanBytes(parsed.v)} (${parsed.v} bytes)` : parsed.ok && typeof parsed.v === 'string' ? `${parsed.v} of the disk the store is on` : '')}
      </span>
    </div>
  );
}
