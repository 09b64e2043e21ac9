import { createContext, useContext, useEffect, useId, useRef, useState } from 'react';
import { MAX_PATTERNS, excludePatternProblem } from '../shared/excludes.js';
import { clockTime, humanBytes, parseSize, shortDate, thousands } from '../shared/format.js';
import type { ApiCall, DetectView, ScheduleView } from '../shared/api.js';
import { useDebouncedCall } from './useDebounced.js';

export type Validity = 'ok' | 'invalid' | 'checking';

/**
 * Whether the person has tried to submit the form the fields are in (Save, Start): from then on every field
 * says what is wrong with it. Before, a field says so only once it has been typed in, so nothing is red
 * before anything was typed.
 */
export const Attempted = createContext(false);

/** A field's error as shown: once it was typed in, or the form was submitted; null before, or when there is none. */
function useShownError(error: string | null): { shown: string | null; touch: () => void } {
  const attempted = useContext(Attempted);
  const [touched, setTouched] = useState(false);
  return { shown: error !== null && (touched || attempted) ? error : null, touch: () => setTouched(true) };
}

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
  const { shown, touch } = useShownError(error);
  return (
    <div className="field">
      <label htmlFor={inputId}>{label}</label>
      <input id={inputId} value={value} spellCheck={false} onChange={(e) => { touch(); onChange(e.target.value); }} aria-invalid={shown !== null} aria-describedby={id} />
      <span id={id} className={`field-note ${shown ? 'error' : 'muted'}`} aria-live="polite">
        {shown ?? (view?.ok ? scheduleWords(view, paused) : error ? 'Five fields: minute hour day month weekday.' : 'Reading the schedule…')}
      </span>
    </div>
  );
}

/** A folder path checked by detect as it is typed: a folder that does not exist is said beside the field. */
export function FolderField({ call, value, onChange, onDetected, onValidity, label, skipCheck = false, placeholder }: {
  call: ApiCall; value: string; onChange: (v: string) => void; onDetected: (d: DetectView) => void; onValidity: (v: Validity) => void; label: string; skipCheck?: boolean; placeholder?: string;
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
  const { shown, touch } = useShownError(skipCheck ? null : error);
  // A long path shows its end (the folder's name) while it is not being edited; the whole path on hover.
  const input = useRef<HTMLInputElement>(null);
  const showEnd = (): void => { if (input.current && document.activeElement !== input.current) input.current.scrollLeft = input.current.scrollWidth; };
  useEffect(showEnd, []);
  const note = skipCheck ? '' : shown ?? (detected ? `Found: snapshots with ${detected.chosen} (${detected.reports.find((r) => r.name === detected.chosen)?.reason ?? ''})` : absolute ? 'Checking the folder…' : placeholder ? '' : 'The folder’s full path, starting with /.');
  return (
    <div className="field">
      <label htmlFor={inputId}>{label}</label>
      <input ref={input} id={inputId} value={value} title={value} spellCheck={false} placeholder={placeholder} onBlur={showEnd} onChange={(e) => { touch(); onChange(e.target.value); }} aria-invalid={shown !== null} aria-describedby={id} />
      <span id={id} className={`field-note ${shown ? 'error' : 'muted'}`} aria-live="polite">{note}</span>
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
  const { shown, touch } = useShownError(error);
  return (
    <div className="field">
      <label htmlFor={inputId}>{label}</label>
      {/* No example inside the box: greyed patterns there read as excludes already set. */}
      <textarea id={inputId} rows={3} value={text} spellCheck={false} aria-invalid={shown !== null} aria-describedby={id}
        onChange={(e) => { touch(); setText(e.target.value); onChange(patternLines(e.target.value)); }} />
      <span id={id} className={`field-note ${shown ? 'error' : 'muted'}`} aria-live="polite">
        {shown ?? 'Gitignore patterns, one a line, e.g. node_modules/ or *.log: left out of snapshots and left alone by rollbacks. Folders holding a CACHEDIR.TAG are always left out.'}
      </span>
    </div>
  );
}

/** A size in a field ("2 GB"), empty meaning `emptyMeans`; `percent` also takes "10%". Checked as typed. */
export function SizeField({ value, onChange, onValidity, label, emptyMeans, example, percent = false, min = 0 }: {
  value: number | string | null; onChange: (v: number | string | null) => void; onValidity: (v: Validity) => void; label: string; emptyMeans: string; example: string; percent?: boolean; min?: number;
}): React.JSX.Element {
  const id = useId();
  const inputId = useId();
  const [text, setText] = useState(() => (value === null ? '' : typeof value === 'string' ? value : humanBytes(value)));
  const parse = (t: string): { ok: true; v: number | string | null } | { ok: false; why: string } => {
    if (t.trim() === '') return { ok: true, v: null };
    if (percent && /^\s*\d{1,2}(\.\d{1,2})?\s*%\s*$|^\s*100\s*%\s*$/.test(t)) return { ok: true, v: t.replace(/\s/g, '') };
    const size = parseSize(t);
    if (!size.ok) return { ok: false, why: percent ? size.why.replace(/\.$/, ', or a percentage such as 10%.') : size.why };
    if (size.bytes < min) return { ok: false, why: `At least ${humanBytes(min)}.` };
    return { ok: true, v: size.bytes };
  };
  const parsed = parse(text);
  const error = parsed.ok ? null : parsed.why;
  useEffect(() => onValidity(error ? 'invalid' : 'ok'), [error, onValidity]);
  const { shown, touch } = useShownError(error);
  return (
    <div className="field">
      <label htmlFor={inputId}>{label}</label>
      <input id={inputId} value={text} spellCheck={false} placeholder={`e.g. ${example}`} aria-invalid={shown !== null} aria-describedby={id}
        onChange={(e) => { touch(); setText(e.target.value); const p = parse(e.target.value); if (p.ok) onChange(p.v); }} />
      <span id={id} className={`field-note ${shown ? 'error' : 'muted'}`} aria-live="polite">
        {shown ?? (!parsed.ok ? '' : parsed.v === null ? `Empty: ${emptyMeans}.` : typeof parsed.v === 'number' ? `${humanBytes(parsed.v)} (${thousands(parsed.v)} bytes)` : `${parsed.v} of the disk the store is on`)}
      </span>
    </div>
  );
}

/**
 * A whole number in a field, from `min` to `max`, checked by the popover as typed (no browser bubble: the
 * form is noValidate); `problem` is a failure the core reports about the saved value (a port nothing listens
 * on), shown whatever was typed.
 */
export function NumberField({ value, onChange, onValidity, label, min, max, problem = null }: {
  value: number; onChange: (v: number) => void; onValidity: (v: Validity) => void; label: string; min: number; max: number; problem?: string | null;
}): React.JSX.Element {
  const id = useId();
  const inputId = useId();
  const [text, setText] = useState(() => String(value));
  const error = numberError(text, min, max);
  useEffect(() => onValidity(error ? 'invalid' : 'ok'), [error, onValidity]);
  const { shown, touch } = useShownError(error);
  const said = shown ?? problem;
  return (
    <div className="field">
      <label htmlFor={inputId}>{label}</label>
      <input id={inputId} value={text} inputMode="numeric" spellCheck={false} aria-invalid={said !== null} aria-describedby={said ? id : undefined}
        onChange={(e) => { touch(); setText(e.target.value); if (numberError(e.target.value, min, max) === null) onChange(Number(e.target.value)); }} />
      {said && <span id={id} className="field-note error" aria-live="polite">{said}</span>}
    </div>
  );
}

/** Why `text` is not a whole number from `min` to `max`, or null: the one rule for what is shown and what is saved. */
function numberError(text: string, min: number, max: number): string | null {
  const n = /^\s*\d+\s*$/.test(text) ? Number(text) : Number.NaN;
  return text.trim() === '' ? `Type a number from ${thousands(min)} to ${thousands(max)}.`
    : Number.isNaN(n) ? `A whole number from ${thousands(min)} to ${thousands(max)}, digits only.`
    : n < min || n > max ? `From ${thousands(min)} to ${thousands(max)}${n < min ? `: ${thousands(n)} is too few` : `: ${thousands(n)} is too many`}.` : null;
}

/** A line of text checked by `check` as typed; `problem` as in NumberField. */
export function TextField({ value, onChange, onValidity, label, check, problem = null }: {
  value: string; onChange: (v: string) => void; onValidity: (v: Validity) => void; label: string; check: (v: string) => string | null; problem?: string | null;
}): React.JSX.Element {
  const id = useId();
  const inputId = useId();
  const error = check(value);
  useEffect(() => onValidity(error ? 'invalid' : 'ok'), [error, onValidity]);
  const { shown, touch } = useShownError(error);
  const said = shown ?? problem;
  return (
    <div className="field">
      <label htmlFor={inputId}>{label}</label>
      <input id={inputId} value={value} spellCheck={false} aria-invalid={said !== null} aria-describedby={said ? id : undefined} onChange={(e) => { touch(); onChange(e.target.value); }} />
      {said && <span id={id} className="field-note error" aria-live="polite">{said}</span>}
    </div>
  );
}
