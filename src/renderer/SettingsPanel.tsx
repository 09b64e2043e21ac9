import { useState } from 'react';
import type { ApiCall, SettingsView, StatusView } from '../shared/api.js';
import { newTarget } from './newTarget.js';

type Target = SettingsView['targets'][number];
const RETENTION_FIELDS: [keyof Target['retention'], string][] = [
  ['hourly', 'Hourly'], ['daily', 'Daily'], ['weekly', 'Weekly'], ['monthly', 'Monthly'],
  ['manual', 'Manual / tagged'], ['safety', 'Before rollback'], ['preOperation', 'Before git / npm'],
];

/** Edits a copy of the settings; nothing changes until Save, and the core validates what is saved. */
export function SettingsPanel({ call, initial, host, metrics, onSaved, onClose }: { call: ApiCall; initial: SettingsView; host: StatusView['host']; metrics: StatusView['metrics']; onSaved: () => void; onClose: () => void }): React.JSX.Element {
  const [draft, setDraft] = useState<SettingsView>(() => structuredClone(initial));
  const [newFolder, setNewFolder] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const [saved, setSaved] = useState(false);

  const patchTarget = (i: number, patch: Partial<Target>): void => {
    setSaved(false);
    setDraft((d) => ({ ...d, targets: d.targets.map((t, j) => (j === i ? { ...t, ...patch } : t)) }));
  };
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
    setSaving(true);
    setSaved(false);
    setError(null);
    const r = await call('setSettings', { settings: draft });
    setSaving(false);
    if (!r.ok) { setError(r.error); return; }
    setDraft(structuredClone(r.value));
    setSaved(true);
    onSaved();
  };

  return (
    <form className="settings" aria-label="Settings" onSubmit={(e) => { e.preventDefault(); void save(); }}>
      <h2>Settings</h2>
      <fieldset>
        <legend>Watched folders</legend>
        {draft.targets.length === 0 && <p className="muted">No folder yet: add one below.</p>}
        {draft.targets.map((t, i) => (
          <div className="target" key={t.path + i}>
            <div className="target-head">
              <code title={t.path}>{t.path}</code>
              <span className="badge" title="snapshot provider">{t.provider}</span>
              <button type="button" className="link danger" aria-label={`Stop watching ${t.path}`} onClick={() => setDraft((d) => ({ ...d, targets: d.targets.filter((_, j) => j !== i) }))}>Remove</button>
            </div>
            <label>Schedule (cron)
              <input value={t.schedule} spellCheck={false} onChange={(e) => patchTarget(i, { schedule: e.target.value })} aria-describedby="cron-help" />
            </label>
            <label className="inline"><input type="checkbox" checked={t.paused} onChange={(e) => patchTarget(i, { paused: e.target.checked })} /> Paused</label>
            <details>
              <summary>Keep (retention)</summary>
              <div className="grid">
                {RETENTION_FIELDS.map(([key, label]) => (
                  <label key={key}>{label}
                    <input type="number" min={key === 'manual' || key === 'safety' || key === 'preOperation' ? 1 : 0} max={10000} value={t.retention[key]}
                      onChange={(e) => patchTarget(i, { retention: { ...t.retention, [key]: Number(e.target.value) } })} />
                  </label>
                ))}
              </div>
            </details>
          </div>
        ))}
        <p id="cron-help" className="muted small">Five fields: minute hour day month weekday. “0 * * * *” is hourly.</p>
        <div className="add-folder">
          <label>Add a folder (absolute path)
            <input value={newFolder} placeholder="/home/me/code/app" spellCheck={false} onChange={(e) => setNewFolder(e.target.value)}
              onKeyDown={(e) => { if (e.key === 'Enter') { e.preventDefault(); void addFolder(); } }} />
          </label>
          <button type="button" onClick={() => void addFolder()} disabled={!newFolder.trim()}>Add</button>
        </div>
      </fieldset>
      <fieldset>
        <legend>Datadog (DogStatsD)</legend>
        <label className="inline"><input type="checkbox" checked={draft.statsd.enabled} onChange={(e) => setDraft((d) => ({ ...d, statsd: { ...d.statsd, enabled: e.target.checked } }))} /> Send metrics</label>
        <div className="row2">
          <label>Host<input value={draft.statsd.host} spellCheck={false} onChange={(e) => setDraft((d) => ({ ...d, statsd: { ...d.statsd, host: e.target.value } }))} /></label>
          <label>Port<input type="number" min={1} max={65535} value={draft.statsd.port} onChange={(e) => setDraft((d) => ({ ...d, statsd: { ...d.statsd, port: Number(e.target.value) } }))} /></label>
        </div>
        {metrics.enabled && metrics.sendErrors > 0 && (
          <p role="status" className="error small">
            No Datadog agent took the last metrics ({metrics.lastError ?? `${metrics.sendErrors} send errors`}). Snapshots are not affected.
            Start the agent with DogStatsD on {draft.statsd.host}:{draft.statsd.port}, or turn metrics off.
          </p>
        )}
      </fieldset>
      <fieldset>
        <legend>App</legend>
        <label className="inline">
          <input type="checkbox" checked={draft.launchAtLogin} disabled={host !== 'electron'} onChange={(e) => setDraft((d) => ({ ...d, launchAtLogin: e.target.checked }))} /> Open at login
        </label>
        {host !== 'electron' && <p className="muted small">Served headless: start `snapctl serve` from your service manager instead.</p>}
      </fieldset>
      {error && <p role="alert" className="error">{error}</p>}
      {saved && <p role="status" className="ok">Saved.</p>}
      <div className="actions">
        <button type="button" onClick={onClose}>Back</button>
        <button type="submit" className="primary" disabled={saving}>{saving ? 'Saving…' : 'Save'}</button>
      </div>
    </form>
  );
}
