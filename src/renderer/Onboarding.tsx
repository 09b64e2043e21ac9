import { useEffect, useState } from 'react';
import type { ApiCall, DetectView, SettingsView, StatusView } from '../shared/api.js';
import { newTarget } from './newTarget.js';

/** First run: say what snapctl will do, pick a folder, and ask before turning on the schedule and login item. */
export function Onboarding({ call, settings, host, onDone }: { call: ApiCall; settings: SettingsView; host: StatusView['host']; onDone: () => void }): React.JSX.Element {
  const [folder, setFolder] = useState(settings.targets[0]?.path ?? '');
  const [schedule, setSchedule] = useState(false);
  const [login, setLogin] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [detected, setDetected] = useState<DetectView | null>(null);
  const [detectError, setDetectError] = useState<string | null>(null);

  // Ask the core which provider this folder would get, as the user types (debounced).
  useEffect(() => {
    const path = folder.trim();
    setDetected(null);
    setDetectError(null);
    if (!path.startsWith('/')) return;
    let live = true;
    const timer = setTimeout(() => {
      void call('detect', { path }).then((r) => {
        if (!live) return;
        if (r.ok) setDetected(r.value); else setDetectError(r.error);
      });
    }, 300);
    return () => { live = false; clearTimeout(timer); };
  }, [call, folder]);

  const finish = async (withFolder: boolean): Promise<void> => {
    const path = folder.trim();
    const chosen = detected?.target === path ? detected.chosen : undefined;
    // The schedule is on only if asked for here, also for a folder `snapctl serve --path` added already.
    const targets = !withFolder || !path ? settings.targets
      : settings.targets.some((t) => t.path === path)
        ? settings.targets.map((t) => (t.path === path ? { ...t, paused: !schedule, ...(chosen ? { provider: chosen } : {}) } : t))
        : [...settings.targets, { ...newTarget(path, !schedule), ...(chosen ? { provider: chosen } : {}) }];
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
      <p className="muted small" aria-live="polite">
        {detected ? <>Provider: <strong>{detected.chosen}</strong>: {detected.reports.find((r) => r.name === detected.chosen)?.reason}</>
          : detectError ? <span className="error">{detectError}</span>
          : 'Type the folder’s full path to see how it will be snapshotted.'}
      </p>
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
