import { useState } from 'react';
import type { ApiCall, SettingsView, StatusView } from '../shared/api.js';
import { newTarget } from './newTarget.js';

/** First run: say what snapctl will do, pick a folder, and ask before turning on the schedule and login item. */
export function Onboarding({ call, settings, host, onDone }: { call: ApiCall; settings: SettingsView; host: StatusView['host']; onDone: () => void }): React.JSX.Element {
  const [folder, setFolder] = useState(settings.targets[0]?.path ?? '');
  const [schedule, setSchedule] = useState(false);
  const [login, setLogin] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const finish = async (withFolder: boolean): Promise<void> => {
    const targets = withFolder && folder.trim() && !settings.targets.some((t) => t.path === folder.trim())
      ? [...settings.targets, newTarget(folder.trim(), !schedule)]
      : settings.targets;
    const r = await call('setSettings', { settings: { ...settings, targets, launchAtLogin: host === 'electron' && login, onboarded: true } });
    if (!r.ok) { setError(r.error); return; }
    onDone();
  };

  return (
    <section className="onboarding" aria-labelledby="welcome">
      <h2 id="welcome">Welcome to snapctl</h2>
      <p>snapctl snapshots a project folder before risky moments (a schedule, a commit, an npm install).</p>
      <p>Roll back in one click; every rollback keeps the state before it, so it can be undone.</p>
      <label>Folder to protect
        <input value={folder} placeholder="/home/me/code/app" spellCheck={false} onChange={(e) => setFolder(e.target.value)} />
      </label>
      <p className="muted small">Provider: clone (works on any filesystem; unchanged files are shared between snapshots).</p>
      <label className="inline"><input type="checkbox" checked={schedule} onChange={(e) => setSchedule(e.target.checked)} /> Snapshot it every hour</label>
      {host === 'electron' && <label className="inline"><input type="checkbox" checked={login} onChange={(e) => setLogin(e.target.checked)} /> Open snapctl at login</label>}
      {error && <p role="alert" className="error">{error}</p>}
      <div className="actions">
        <button type="button" onClick={() => void finish(false)}>Skip</button>
        <button type="button" className="primary" disabled={!folder.trim()} onClick={() => void finish(true)}>Start</button>
      </div>
    </section>
  );
}
