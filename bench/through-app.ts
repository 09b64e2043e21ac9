// `snapctl create` of a tree with 1% changed, side by side: through the running app (`snapctl serve` watching the
// folder, on its state folder) and, on a copy of the same tree with a state folder of its own, in the command's
// own process, each a fresh CLI process as a user runs it. Two trees, so neither way's snapshots are the
// other's (a snapshot taken outside the app is one its change journal cannot vouch for).
// node dist/bench/through-app.js [--files 20000] [--rounds 5] [--work DIR]
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { installLayout } from '../src/core/base/install.js';
import { changeFiles, generateTree } from './tree.js';

const { values } = parseArgs({ options: { files: { type: 'string' }, rounds: { type: 'string' }, work: { type: 'string' } } });
const files = Number(values.files ?? 20_000);
const rounds = Number(values.rounds ?? 5);
const cli = installLayout().cliScript;

function timed(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  execFileSync('sync');
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(process.execPath, [cli, ...args], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    child.on('close', (code) => (code === 0 ? resolve(Number(process.hrtime.bigint() - started) / 1e6) : reject(new Error(`exit ${code}: ${err}`))));
  });
}

async function main(): Promise<void> {
  const work = values.work ? path.resolve(values.work) : await mkdtemp(path.join(tmpdir(), 'snapctl-through-app-'));
  await mkdir(work, { recursive: true });
  const src = path.join(work, 'src');
  const home = path.join(work, 'home');
  const env = { ...process.env, SNAPCTL_HOME: home };
  const other = path.join(work, 'other');
  const otherEnv = { ...process.env, SNAPCTL_HOME: path.join(work, 'other-home'), SNAPCTL_NO_APP: '1' };
  let serve: ChildProcess | null = null;
  try {
    process.stderr.write(`generating ${files} files…\n`);
    const tree = await generateTree(src, { files, folders: Math.max(10, Math.round(files / 10)), bytes: files * 4096, symlinks: 20 });
    await generateTree(other, { files, folders: Math.max(10, Math.round(files / 10)), bytes: files * 4096, symlinks: 20 });
    await timed(['create', '--path', src, '--provider', 'clone'], { ...env, SNAPCTL_NO_APP: '1' });
    await timed(['create', '--path', other, '--provider', 'clone'], otherEnv);
    serve = spawn(process.execPath, [cli, 'serve', '--path', src, '--json'], { env, stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise((resolve) => serve?.stdout?.once('data', resolve));
    const status = execFileSync(process.execPath, [cli, 'status', '--json'], { env }).toString();
    if (!(JSON.parse(status) as { app: { answering: boolean } }).app.answering) throw new Error('the app does not answer');
    const rows: { round: number; app: number; alone: number; load: string }[] = [];
    for (let r = 1; r <= rounds; r++) {
      const viaApp = async (): Promise<number> => { await changeFiles(src, tree.files, 0.01, r * 2); return timed(['create', '--path', src], env); };
      const alone = async (): Promise<number> => { await changeFiles(other, tree.files, 0.01, r * 2); return timed(['create', '--path', other], otherEnv); };
      // Alternating which goes first, so neither always meets the other's writeback.
      let a: number;
      let b: number;
      if (r % 2) { a = await viaApp(); b = await alone(); } else { b = await alone(); a = await viaApp(); }
      rows.push({ round: r, app: a, alone: b, load: loadavg().map((l) => l.toFixed(2)).join(' ') });
      process.stderr.write(`round ${r}: through the app ${a.toFixed(0)} ms, in its own process ${b.toFixed(0)} ms (load ${rows[rows.length - 1]?.load})\n`);
    }
    const median = (xs: number[]): number => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)] ?? NaN;
    const app = median(rows.map((x) => x.app));
    const alone = median(rows.map((x) => x.alone));
    process.stdout.write(`| round | through the app (ms) | own process (ms) | ratio | load (1/5/15 min) |\n|---|---|---|---|---|\n`);
    for (const x of rows) process.stdout.write(`| ${x.round} | ${x.app.toFixed(0)} | ${x.alone.toFixed(0)} | ${(x.app / x.alone).toFixed(2)} | ${x.load} |\n`);
    process.stdout.write(`| median | ${app.toFixed(0)} | ${alone.toFixed(0)} | ${(app / alone).toFixed(2)} | |\n`);
  } finally {
    serve?.kill('SIGTERM');
    if (serve) await new Promise((resolve) => serve?.once('close', resolve));
    if (!values.work) await rm(work, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => { process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`); process.exit(1); });
