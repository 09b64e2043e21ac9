// How the bench times a command, pairs it with its peer and summarises a row (shared by every part).
import { execFileSync, spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { installLayout } from '../src/core/base/install.js';

export const { root: repo, cliScript: cli } = installLayout();

export interface Timed { ms: number; rss: number | null }
export interface Row {
  measure: string; snapctl: number; peer: number; peerName: string; goal: number | null; rss: number | null; peerRss: number | null;
  /** 'ms': a ratio of times against a peer; 'bytes': an amount (peak RSS) held to `goal` in bytes, no peer. */
  unit: 'ms' | 'bytes';
  /** The lowest and highest ratio of one run to its peer's run in the same round: the noise, made visible. */
  spread: [number, number];
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

/**
 * Peak RSS comes from GNU time (wait4's rusage), wrapped around snapctl and its peer alike, so measuring
 * memory costs both sides the same one exec. (A `node --import` hook inside snapctl cost it ~10 ms that the
 * peer did not pay.) Without GNU time, memory is not reported.
 */
export const GNU_TIME = '/usr/bin/time';
export const haveGnuTime = ((): boolean => {
  try {
    return execFileSync(GNU_TIME, ['--version'], { stdio: ['ignore', 'pipe', 'pipe'] }).toString().includes('GNU');
  } catch {
    return false;
  }
})();

/** Whether a command runs (a peer the machine may lack: restic, borg), asked for its version as it wants. */
export function have(cmd: string, versionArgs = ['--version']): boolean {
  try {
    execFileSync(cmd, versionArgs, { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

let rssCounter = 0;
/** Runs a command to completion and returns its wall time and peak RSS; output is discarded, a failure throws. */
export function timeCommand(cmd: string, args: string[], work: string, env: NodeJS.ProcessEnv = process.env): Promise<Timed> {
  const rssFile = path.join(work, `rss-${rssCounter++}`);
  // Written-back before each run: otherwise a tool that fsyncs (snapctl, for its index and manifests) pays for
  // the writeback of what the previous tool (cp, which never syncs) or the tree generator left dirty.
  execFileSync('sync');
  const [file, argv] = haveGnuTime ? [GNU_TIME, ['-f', '%M', '-o', rssFile, cmd, ...args]] : [cmd, args];
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(file, argv, { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    child.on('error', reject);
    child.on('close', (code) => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      if (code !== 0) { reject(new Error(`${cmd} ${args.join(' ')} exited ${code}: ${err.trim()}`)); return; }
      readFile(rssFile, 'utf8').then((text) => Number(text.trim()) * 1024, () => NaN).then((rss) => {
        resolve({ ms, rss: Number.isFinite(rss) ? rss : null });
      }, reject);
    });
  });
}

/** The environment every snapctl process of one state folder gets: the CLI and `snapctl serve` alike. */
export function snapctlEnv(home: string): NodeJS.ProcessEnv {
  return { ...process.env, SNAPCTL_HOME: home, DD_AGENT_HOST: '127.0.0.1' };
}

/** Times one snapctl command as a user runs it: a fresh process. */
export function timeSnapctl(args: string[], home: string, work: string): Promise<Timed> {
  return timeCommand(process.execPath, [cli, ...args], work, snapctlEnv(home));
}

/** Times an in-process step (a request to the running app): wall time, no RSS of its own. */
export async function timeCall(call: () => Promise<unknown>): Promise<Timed> {
  execFileSync('sync');
  const started = process.hrtime.bigint();
  await call();
  return { ms: Number(process.hrtime.bigint() - started) / 1e6, rss: null };
}

/** Runs `a` and `b` once a round, alternating which goes first (each prepares its own data). */
export async function sideBySide(runs: number, a: (round: number) => Promise<Timed>, b: (round: number) => Promise<Timed>): Promise<[Timed[], Timed[]]> {
  const as: Timed[] = [];
  const bs: Timed[] = [];
  for (let r = 0; r < runs; r++) {
    if (r % 2) { bs.push(await b(r)); as.push(await a(r)); } else { as.push(await a(r)); bs.push(await b(r)); }
  }
  return [as, bs];
}

export async function snapshotId(home: string, target: string): Promise<string> {
  const out = execFileSync(process.execPath, [cli, 'list', '--path', target, '--json'], { env: snapctlEnv(home) }).toString();
  const [newest] = JSON.parse(out) as { id: string }[];
  if (!newest) throw new Error('no snapshot');
  return newest.id;
}

/** Removes a folder, however large (GNU rm: several times faster than fs.rm on 200,000 files). */
export async function remove(dir: string): Promise<void> {
  execFileSync('rm', ['-rf', '--one-file-system', dir]);
}

export function sameTree(a: string, b: string): boolean {
  try {
    execFileSync('diff', ['-r', '--no-dereference', a, b], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function peakRss(runs: Timed[]): number | null {
  const rss = runs.map((t) => t.rss).filter((x): x is number => x !== null);
  return rss.length ? Math.max(...rss) : null;
}

export function row(measure: string, snapctl: Timed[], peer: Timed[], peerName: string, goal: number | null): Row {
  const paired = snapctl.map((t, i) => t.ms / (peer[i] as Timed).ms);
  return {
    measure, snapctl: median(snapctl.map((t) => t.ms)), peer: median(peer.map((t) => t.ms)), peerName, goal,
    rss: peakRss(snapctl), peerRss: peakRss(peer), unit: 'ms', spread: [Math.min(...paired), Math.max(...paired)],
  };
}

export function fmt(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`;
}
