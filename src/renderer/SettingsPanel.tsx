import { useCallback, useEffect, useRef, useState } from 'react';
import type { ApiCall, DetectView, SettingsView, StatusView } from '../shared/api.js';
import { MIN_STORE_LIMIT } from '../shared/defaults.js';
import { dateTime, relativeTime } from '../shared/format.js';
import { PORT_MAX, PORT_MIN, statsdHostProblem } from '../shared/statsd.js';
import { Dialog } from './Dialog.js';
import { Attempted, ExcludesField, FolderField, NumberField, ScheduleField, SizeField, TextField, type Validity } from './fields.js';
import { newTarget } from './newTarget.js';
import { popoverWords } from './popoverWords.js';
import { useEscape } from './useEscape.js';

type Target = SettingsView['targets'][number];
const RETENTION_FIELDS: [keyof Target['retention'], string][] = [
  ['hourly', 'Hourly'], ['daily', 'Daily'], ['weekly', 'Weekly'], ['monthly', 'Monthly'],
  ['manual', 'Manual / tagged'], ['safety', 'Before rollback'], ['preOperation', 'Before git / npm'],
];

function TargetEditor({ call, target, index, savedPath, onPatch, onRemove, onValidity, retentionInvalid }: {
  call: ApiCall; target: Target; index: number; savedPath: string | null;
  onPatch: (i: number, patch: Partial<Target>) => void; onRemove: (i: number) => void; onValidity: (key: string, v: Validity) => void; retentionInvalid: boolean;
}): React.JSX.Element {
  const [retentionValidity] = useState(() => Object.fromEntries(RETENTION_FIELDS.map(([key]) => [key, (v: Validity) => onValidity(`${index}:retention.${key}`, v)])) as Record<keyof Target['retention'], (v: Validity) => void>);
  const pathValidity = useCallback((v: Validity) => onValidity(`${index}:path`, v), [onValidity, index]);
  const scheduleValidity = useCallback((v: Validity) => onValidity(`${index}:schedule`, v), [onValidity, index]);
  const excludesValidity = useCallback((v: Validity) => onValidity(`${index}:excludes`, v), [onValidity, index]);
  const maxValidity = useCallback((v: Validity) => onValidity(`${index}:maxStoreBytes`, v), [onValidity, index]);
  const detected = useCallback((d: DetectView) => onPatch(index, { provider: d.chosen }), [onPatch, index]);
  const t = target;
  return (
    <div className="target">
      <div className="target-head">
        <span className="badge" title="snapshot provider">{t.provider}</span>
        <button type="button" className="link danger" aria-label={`Stop watching ${t.path}`} onClick={() => onRemove(index)}>Remove</button>
      </div>
      <FolderField call={call} label="Folder" value={t.path} skipCheck={t.path === savedPath} onChange={(path) => onPatch(index, { path })} onDetected={detected} onValidity={pathValidity} />
      <ScheduleField call={call} label="Schedule (cron)" value={t.schedule} paused={t.paused} onChange={(schedule) => onPatch(index, { schedule })} onValidity={scheduleValidity} />
      <label className="inline"><input type="checkbox" checked={t.paused} onChange={(e) => onPatch(index, { paused: e.target.checked })} /> Paused</label>
      <label className="inline"><input type="checkbox" checked={t.keepGit} onChange={(e) => onPatch(index, { keepGit: e.target.checked })} /> Leave .git alone on rollback</label>
      <ExcludesField label="Excludes" value={t.excludes} onChange={(excludes) => onPatch(index, { excludes })} onValidity={excludesValidity} />
      <SizeField label="Max store size" value={t.maxStoreBytes} min={MIN_STORE_LIMIT} emptyMeans="no limit" example="20 GB" onValidity={maxValidity}
        onChange={(v) => onPatch(index, { maxStoreBytes: typeof v === 'number' ? v : null })} />
      {/* Open while a count in it is wrong, so Save's "fix the fields marked" can be followed. */}
      <details open={retentionInvalid || undefined}>
        <summary>Keep (retention)</summary>
        <div className="grid">
          {RETENTION_FIELDS.map(([key, label]) => (
            <NumberField key={key} label={label} value={t.retention[key]} min={key === 'manual' || key === 'safety' || key === 'preOperation' ? 1 : 0} max={10_000}
              onValidity={retentionValidity[key]} onChange={(n) => onPatch(index, { retention: { ...t.retention, [key]: n } })} />
          ))}
        </div>
      </details>
    </div>
  );
}

/** The core's words for a failed send, as the popover says them; null when there is none. */
function sendError(metrics: StatusView['metrics']): string | null {
  return metrics.lastError ? popoverWords(metrics.lastError) : null;
}

function MetricsHealthView({ metrics }: { metrics: StatusView['metrics'] }): React.JSX.Element {
  if (!metrics.enabled) return <p className="muted small">Metrics are off.</p>;
  const where = metrics.transport === 'uds' ? `Unix socket ${metrics.destination ?? ''}` : `UDP to ${metrics.destination ?? '?'}`;
  return (
    <dl className="health small" aria-label="Metrics health">
      <dt>Sending</dt><dd>{where}</dd>
      <dt>Last sent</dt><dd>{metrics.lastSentAt ? <span title={dateTime(metrics.lastSentAt, { seconds: true })}>{relativeTime(metrics.lastSentAt)}</span> : 'nothing yet'}</dd>
      <dt>Last error</dt><dd className={metrics.lastError ? 'error' : ''}>{metrics.lastError ? `${sendError(metrics) ?? ''} (${metrics.sendErrors} ${metrics.sendErrors === 1 ? 'error' : 'errors'})` : 'none'}</dd>
    </dl>
  );
}

/** Edits a copy of the settings, checked as typed; nothing changes until Save; Back asks before dropping edits. */
export function SettingsPanel({ call, initial, host, metrics, onSaved, onClose }: { call: ApiCall; initial: SettingsView; host: StatusView['host']; metrics: StatusView['metrics']; onSaved: () => void; onClose: () => void }): React.JSX.Element {
  const [base, setBase] = useState<SettingsView>(() => structuredClone(initial));
  const [draft, setDraft] = useState<SettingsView>(() => structuredClone(initial));
  const [newFolder, setNewFolder] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const [saved, setSaved] = useState(false);
  const [asking, setAsking] = useState(false);
  const [generation, setGeneration] = useState(0);
  const [validity, setValidity] = useState<Record<string, Validity>>({});

  // Set by a Save with fields still wrong: from then on every field says what is wrong with it.
  const [attempted, setAttempted] = useState(false);
  const form = useRef<HTMLFormElement>(null);

  const dirty = JSON.stringify(draft) !== JSON.stringify(base);
  const invalidKeys = Object.entries(validity).filter(([k, v]) => v === 'invalid' && Number(k.split(':')[0]) < draft.targets.length).map(([k]) => k);
  const invalid = invalidKeys.length;
  const [focusFirstInvalid, setFocusFirstInvalid] = useState(0);
  useEffect(() => {
    const first = focusFirstInvalid > 0 ? form.current?.querySelector<HTMLElement>('[aria-invalid="true"]') : null;
    first?.focus();
    // Its note under it in view too, not behind the Save bar.
    first?.closest('.field')?.scrollIntoView({ block: 'nearest' });
  }, [focusFirstInvalid]);

  const onValidity = useCallback((key: string, v: Validity) => setValidity((prev) => (prev[key] === v ? prev : { ...prev, [key]: v })), []);
  // Not a folder's: counted whatever the folders (see `invalid`).
  const floorValidity = useCallback((v: Validity) => onValidity('-1:floor', v), [onValidity]);
  const patchTarget = useCallback((i: number, patch: Partial<Target>): void => {
    setSaved(false);
    setDraft((d) => {
      const current = d.targets[i];
      // A patch that changes nothing (a detect answer naming the same provider) keeps the draft as it is.
      if (!current || JSON.stringify({ ...current, ...patch }) === JSON.stringify(current)) return d;
      return { ...d, targets: d.targets.map((t, j) => (j === i ? { ...t, ...patch } : t)) };
    });
  }, []);
  const removeTarget = useCallback((i: number): void => {
    setSaved(false);
    setValidity({});
    setGeneration((g) => g + 1);
    setDraft((d) => ({ ...d, targets: d.targets.filter((_, j) => j !== i) }));
  }, []);
  const addFolder = async (): Promise<void> => {
    const p = newFolder.trim();
    if (!p) return;
    // The folder gets the provider snapctl detects for it (its filesystem's own snapshots, else clone).
    const detected = await call('detect', { path: p });
    if (!detected.ok) { setError(detected.error); return; }
    setError(null);
    setSaved(false);
    setDraft((d) => ({ ...d, targets: [...d.targets, { ...newTarget(detected.value.target, false), provider: detected.value.chosen }] }));
    setNewFolder('');
  };
  const save = async (): Promise<void> => {
    if (invalid > 0) {
      setAttempted(true);
      setFocusFirstInvalid((n) => n + 1);
      return;
    }
    setSaving(true);
    setSaved(false);
    setError(null);
    const r = await call('setSettings', { settings: draft });
    setSaving(false);
    if (!r.ok) { setError(r.error); return; }
    setDraft(structuredClone(r.value));
    setBase(structuredClone(r.value));
    setSaved(true);
    onSaved();
  };
  const back = (): void => { if (dirty) setAsking(true); else onClose(); };
  // Escape is Back, as in any settings sheet; a dialog open over it (Drop your changes?) takes Escape itself.
  useEscape(back, !asking);
  // What the last sends say of the saved host or port, beside that field while it holds the saved value, when
  // the sends went there (DD_AGENT_HOST and the like win over the settings, and are no field's fault).
  const kept = base.statsd;
  const sentToSettings = !kept.socket && metrics.destination === (kept.host.includes(':') ? `[${kept.host}]:${kept.port}` : `${kept.host}:${kept.port}`);
  const unchanged = draft.statsd.host === kept.host && draft.statsd.port === kept.port;
  // The words name the host: an error about the host saved before this one is not this one's.
  const hostProblem = sentToSettings && unchanged && metrics.lastErrorSetting === 'host' && (metrics.lastError ?? '').includes(`'${kept.host}'`) ? sendError(metrics) : null;
  const portProblem = sentToSettings && unchanged && metrics.lastErrorSetting === 'port' ? sendError(metrics) : null;
  const statsdValidity = useCallback((field: string) => (v: Validity) => onValidity(`-1:statsd.${field}`, v), [onValidity]);
  const [hostValidity] = useState(() => statsdValidity('host'));
  const [portValidity] = useState(() => statsdValidity('port'));

  return (
    <form ref={form} className="settings" aria-label="Settings" noValidate onSubmit={(e) => { e.preventDefault(); void save(); }}>
      <Attempted.Provider value={attempted}>
      <div className="settings-body">
        <h2>Settings</h2>
        <fieldset>
          <legend>Watched folders</legend>
          {draft.targets.length === 0 && <p className="muted">No folder yet: add one below.</p>}
          {draft.targets.map((t, i) => (
            <TargetEditor key={`${generation}-${i}`} call={call} target={t} index={i} savedPath={base.targets[i]?.path ?? null}
              onPatch={patchTarget} onRemove={removeTarget} onValidity={onValidity} retentionInvalid={attempted && invalidKeys.some((k) => k.startsWith(`${i}:retention.`))} />
          ))}
          <p className="muted small">A schedule has five fields: minute hour day month weekday. “0 * * * *” is hourly.</p>
          <div className="add-folder">
            <label>Add a folder (absolute path)
              <input value={newFolder} placeholder="e.g. /home/me/code/app" spellCheck={false} onChange={(e) => setNewFolder(e.target.value)}
                onKeyDown={(e) => { if (e.key === 'Enter') { e.preventDefault(); void addFolder(); } }} />
            </label>
            <button type="button" onClick={() => void addFolder()} disabled={!newFolder.trim()}>Add</button>
          </div>
        </fieldset>
        <fieldset>
          <legend>Disk space</legend>
          <SizeField label="Free space to keep" value={draft.freeSpaceFloor} percent emptyMeans="5% of the disk, at least 1 GB" example="10% or 5 GB" onValidity={floorValidity}
            onChange={(v) => { setSaved(false); setDraft((d) => ({ ...d, freeSpaceFloor: v })); }} />
          <p className="muted small">A scheduled snapshot that would go below it deletes old ones retention allows, else is skipped; a manual one is refused.</p>
        </fieldset>
        <fieldset>
          <legend>Datadog (DogStatsD)</legend>
          <label className="inline"><input type="checkbox" checked={draft.statsd.enabled} onChange={(e) => setDraft((d) => ({ ...d, statsd: { ...d.statsd, enabled: e.target.checked } }))} /> Send metrics</label>
          <div className="row2">
            <TextField label="Host" value={draft.statsd.host} check={statsdHostProblem} problem={hostProblem} onValidity={hostValidity}
              onChange={(host) => { setSaved(false); setDraft((d) => ({ ...d, statsd: { ...d.statsd, host } })); }} />
            <NumberField label="Port" value={draft.statsd.port} min={PORT_MIN} max={PORT_MAX} problem={portProblem} onValidity={portValidity}
              onChange={(port) => { setSaved(false); setDraft((d) => ({ ...d, statsd: { ...d.statsd, port } })); }} />
          </div>
          <MetricsHealthView metrics={metrics} />
        </fieldset>
        <fieldset>
          <legend>App</legend>
          <label className="inline">
            <input type="checkbox" checked={draft.launchAtLogin} disabled={host !== 'electron'} onChange={(e) => setDraft((d) => ({ ...d, launchAtLogin: e.target.checked }))} /> Open at login
          </label>
          {host !== 'electron' && <p className="muted small">Served headless: start `snapctl serve` from your service manager instead.</p>}
        </fieldset>
      </div>
      <div className="actions sticky">
        {error && <p role="alert" className="error action-note" title={error}>{error}</p>}
        {!error && attempted && invalid > 0 && <p role="alert" className="error action-note small">Fix the {invalid === 1 ? 'field' : `${invalid} fields`} marked above to save.</p>}
        {!error && !(attempted && invalid > 0) && saved && <p role="status" className="ok action-note">Saved.</p>}
        {!error && !(attempted && invalid > 0) && !saved && dirty && <p className="muted action-note small">Unsaved changes</p>}
        <button type="button" onClick={back} aria-keyshortcuts="Escape">Back</button>
        <button type="submit" className="primary" disabled={saving}>{saving ? 'Saving…' : 'Save'}</button>
      </div>
      </Attempted.Provider>
      {asking && (
        <Dialog title="Drop your changes?" role="alertdialog" onClose={() => setAsking(false)}>
          <p>The settings you changed are not saved yet.</p>
          <div className="actions">
            <button type="button" data-autofocus onClick={() => setAsking(false)}>Keep editing</button>
            <button type="button" className="danger primary" onClick={() => { setAsking(false); onClose(); }}>Drop changes</button>
          </div>
        </Dialog>
      )}
    </form>
  );
}
