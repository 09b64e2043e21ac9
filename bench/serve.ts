// `snapctl serve` for the bench: the long-running runtime (the tray app's, headless) on a state folder, its
// popover API called as the popover calls it, and its memory read from /proc.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { cli, snapctlEnv } from './measure.js';

export interface RunningApp {
  pid: number;
  /** One popover request (POST /api/call with the bearer token); the answer's value, or a throw with its error. */
  call(method: string, params: unknown): Promise<unknown>;
  stop(): Promise<void>;
}

/** Starts `snapctl serve --json` on `home` and waits for the line that gives its port and token. */
export async function startApp(home: string): Promise<RunningApp> {
  const child: ChildProcessWithoutNullStreams = spawn(process.execPath, [cli, 'serve', '--port', '0', '--json'], { env: snapctlEnv(home), stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  const line = await new Promise<string>((resolve, reject) => {
    let out = '';
    const onData = (d: Buffer): void => {
      out += d.toString();
      const end = out.indexOf('\n');
      if (end >= 0) { child.stdout.off('data', onData); resolve(out.slice(0, end)); }
    };
    child.stdout.on('data', onData);
    child.once('exit', (code) => reject(new Error(`snapctl serve exited ${code} before it served: ${stderr.trim()}`)));
  });
  const { port, token } = JSON.parse(line) as { port: number; token: string };
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    pid: child.pid as number,
    async call(method, params) {
      const res = await fetch(`http://127.0.0.1:${port}/api/call`, {
        method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` }, body: JSON.stringify({ method, params }),
      });
      const answer = (await res.json()) as { ok: true; value: unknown } | { ok: false; error: string };
      if (!answer.ok) throw new Error(`${method}: ${answer.error}`);
      return answer.value;
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

/** VmHWM (peak resident set) and VmRSS of a process, in bytes, and its CPU seconds so far. */
export async function memoryOf(pid: number): Promise<{ hwm: number; rss: number; cpu: number }> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string): number => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { hwm: kb('VmHWM'), rss: kb('VmRSS'), cpu: (Number(fields[11]) + Number(fields[12])) / 100 };
}

/**
 * Waits until the process has settled: under 2% of a core for `quietMs` in a row (it has done what it does
 * at start: reading settings, statuses, and once it has one, setting up its watches), or `maxMs` passed.
 * Returns how long that took and whether it settled.
 */
export async function settle(pid: number, quietMs: number, maxMs: number): Promise<{ ms: number; settled: boolean }> {
  const started = Date.now();
  let last = await memoryOf(pid);
  let quietSince = Date.now();
  while (Date.now() - started < maxMs) {
    await new Promise((r) => setTimeout(r, 500));
    const now = await memoryOf(pid);
    if (now.cpu - last.cpu > 0.01) quietSince = Date.now();
    last = now;
    if (Date.now() - quietSince >= quietMs) return { ms: Date.now() - started - quietMs, settled: true };
  }
  return { ms: Date.now() - started, settled: false };
}
