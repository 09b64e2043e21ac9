import { useCallback, useRef, useState } from 'react';
import type { ApiCall, DetectView, SettingsView, StatusView } from '../shared/api.js';
import { Attempted, FolderField, type Validity } from './fields.js';
import { newTarget } from './newTarget.js';

/** First run: say what snapctl will do, pick a folder that exists, and ask before turning on the schedule and login item. */
export function Onboarding({ call, settings, host, known, onDone }: { call: ApiCall; settings: SettingsView; host: StatusView['host']; known: readonly string[]; onDone: () => void }): React.JSX.Element {
  // A folder in the settings already, else one with snapshots (taken from the CLI, say).
  const [folder, setFolder] = useState(settings.targets[0]?.path ?? known[0] ?? '');
  const [scheduleChoice, setScheduleChoice] = useState<boolean | null>(null);
  const [login, setLogin] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [detected, setDetected] = useState<DetectView | null>(null);
  const [validity, setValidity] = useState<Validity>('checking');
  // '/code/app/' is the folder '/code/app': the same one the settings may hold already.
  const path = folder.trim().replace(/(.)\/+$/, '$1');
  const existing = settings.targets.find((t) => t.path === path);
  // Until ticked or unticked here, the box says what the settings already do (a folder paused there stays
  // paused); a new folder is snapshotted every hour unless unticked: protecting it is what the person came for,
  // and an unticked box made every new folder read "Folder paused".
  const schedule = scheduleChoice ?? (existing === undefined || !existing.paused);
  // Start with no folder found yet marks the field (nothing is red before that, or before typing).
  const [attempted, setAttempted] = useState(false);
  const box = useRef<HTMLElement>(null);
  const onDetected = useCallback((view: DetectView) => setDetected(view), []);
  // Start waits for the core to have found this very folder: one that does not exist is refused beside the field.
  const found = validity === 'ok' && detected !== null ? detected : null;

  const start = (): void => {
    if (found) { void finish(true); return; }
    setAttempted(true);
    box.current?.querySelector<HTMLInputElement>('input')?.focus();
  };
  const finish = async (withFolder: boolean): Promise<void> => {
    const chosen = found?.chosen;
    const targets = !withFolder || !path ? settings.targets
      : settings.targets.some((t) => t.path === path)
        ? settings.targets.map((t) => (t.path === path ? { ...t, paused: !schedule } : t))
        : [...settings.targets, { ...newTarget(found?.target ?? path, !schedule), ...(chosen ? { provider: chosen } : {}) }];
    const r = await call('setSettings', { settings: { ...settings, targets, launchAtLogin: host === 'electron' && login, onboarded: true } });
    if (!r.ok) { setError(r.error); return; }
    onDone();
  };

  return (
    <section className="onboarding" aria-labelledby="welcome" ref={box}>
      <h2 id="welcome">Welcome to snapctl</h2>
      <p>snapctl snapshots a project folder before risky moments (a schedule, a commit, an npm install).</p>
      <p>Roll back in one click; every rollback keeps the state before it, so it can be undone.</p>
      <Attempted.Provider value={attempted}>
        <FolderField call={call} label="Folder to protect" value={folder} onChange={setFolder} onDetected={onDetected} onValidity={setValidity} />
      </Attempted.Provider>
      <label className="inline"><input type="checkbox" checked={schedule} onChange={(e) => setScheduleChoice(e.target.checked)} /> Snapshot it every hour</label>
      {existing && scheduleChoice === null && <p className="muted small">{existing.paused ? 'Its schedule is paused in the settings.' : 'It is scheduled in the settings already.'}</p>}
      {host === 'electron' && <label className="inline"><input type="checkbox" checked={login} onChange={(e) => setLogin(e.target.checked)} /> Open snapctl at login</label>}
      {error && <p role="alert" className="error">{error}</p>}
      <div className="actions">
        <button type="button" onClick={() => void finish(false)}>Skip</button>
        <button type="button" className="primary" onClick={start}>Start</button>
      </div>
    </section>
  );
}
