import { useCallback, useState } from 'react';
import type { ApiCall, DetectView, SettingsView, StatusView } from '../shared/api.js';
import { FolderField, type Validity } from './fields.js';
import { newTarget } from './newTarget.js';

/** First run: say what snapctl will do, pick a folder that exists, and ask before turning on the schedule and login item. */
export function Onboarding({ call, settings, host, onDone }: { call: ApiCall; settings: SettingsView; host: StatusView['host']; onDone: () => void }): React.JSX.Element {
  const [folder, setFolder] = useState(settings.targets[0]?.path ?? '');
  const [schedule, setSchedule] = useState(false);
  const [login, setLogin] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [detected, setDetected] = useState<DetectView | null>(null);
  const [validity, setValidity] = useState<Validity>('checking');
  const path = folder.trim();
  const onDetected = useCallback((view: DetectView) => setDetected(view), []);
  // Start waits for the core to have found this very folder: one that does not exist is refused beside the field.
  const found = validity === 'ok' && detected !== null ? detected : null;

  const finish = async (withFolder: boolean): Promise<void> => {
    const chosen = found?.chosen;
    // The schedule is on only if asked for here, also for a folder `snapctl serve --path` added already.
    const targets = !withFolder || !path ? settings.targets
      : settings.targets.some((t) => t.path === path)
        ? settings.targets.map((t) => (t.path === path ? { ...t, paused: !schedule, ...(chosen ? { provider: chosen } : {}) } : t))
        : [...settings.targets, { ...newTarget(found?.target ?? path, !schedule), ...(chosen ? { provider: chosen } : {}) }];
    const r = await call('setSettings', { settings: { ...settings, targets, launchAtLogin: host === 'electron' && login, onboarded: true } });
    if (!r.ok) { setError(r.error); return; }
    onDone();
  };

  return (
    <section className="onboarding" aria-labelledby="welcome">
      <h2 id="welcome">Welcome to snapctl</h2>
      <p>snapctl snapshots a project folder before risky moments (a schedule, a commit, an npm install).</p>
      <p>Roll back in one click; every rollback keeps the state before it, so it can be undone.</p>
      <FolderField call={call} label="Folder to protect" value={folder} onChange={setFolder} onDetected={onDetected} onValidity={setValidity} />
      {!found && <p className="muted small">Start waits until snapctl has found the folder.</p>}
      <label className="inline"><input type="checkbox" checked={schedule} onChange={(e) => setSchedule(e.target.checked)} /> Snapshot it every hour</label>
      {host === 'electron' && <label className="inline"><input type="checkbox" checked={login} onChange={(e) => setLogin(e.target.checked)} /> Open snapctl at login</label>}
      {error && <p role="alert" className="error">{error}</p>}
      <div className="actions">
        <button type="button" onClick={() => void finish(false)}>Skip</button>
        <button type="button" className="primary" disabled={!found} onClick={() => void finish(true)}>Start</button>
      </div>
    </section>
  );
}
