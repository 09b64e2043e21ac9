// Where a repeat snapshot taken by the running app spends its time: `snapctl serve` with SNAPCTL_TRACE=1 on
// a small-file tree, 200 files changed per round, `snapctl create` through the app; prints each round's wall
// time and the app's phase trace for it. With --cpu-prof the app writes a V8 CPU profile to WORK/prof on exit.
// node dist/bench/repeat-trace.js WORK [--files 200000] [--small 20000] [--rounds 3] [--settle SECONDS] [--home NAME] [--cpu-prof]
// (one WORK can hold the state folders of two builds, by --home, on the same trees)
import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { loadavg } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { cli, snapctlEnv } from './measure.js';
import { settle } from './serve.js';
import { writeAppSettings } from './app-rows.js';
import { changeCount, generateSmallFileTree } from './tree.js';
import { walk } from '../src/core/tree/walk.js';

const { values, positionals } = parseArgs({ allowPositionals: true, options: { files: { type: 'string' }, small: { type: 'string' }, rounds: { type: 'string' }, settle: { type: 'string' }, home: { type: 'string' }, 'cpu-prof': { type: 'boolean' } } });
const work = path.resolve(positionals[0] ?? 'repeat-trace');
const sizes = [Number(values.files ?? 200_000), Number(values.small ?? 20_000)].filter((n) => n > 0);
const rounds = Number(values.rounds ?? 3);

async function tree(count: number): Promise<{ src: string; files: string[] }> {
  const src = path.join(work, `t-${count}`);
  if (!existsSync(src)) await generateSmallFileTree(src, count);
  return { src, files: (await walk(src)).entries.filter((e) => e.type === 'file').map((e) => e.path).sort() };
}

/** Wall time of one CLI command; the event loop stays free meanwhile, so the app's trace lines are read as they come. */
async function timed(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  execFileSync('sync');
  const started = process.hrtime.bigint();
  await new Promise<void>((resolve, reject) => {
    const child = spawn(process.execPath, [cli, ...args], { env, stdio: ['ignore', 'ignore', 'inherit'] });
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`snapctl ${args.join(' ')}: exit ${code}`))));
  });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  await new Promise((resolve) => setTimeout(resolve, 200));
  return ms;
}

await mkdir(work, { recursive: true });
const trees = [];
for (const n of sizes) trees.push(await tree(n));
const home = path.join(work, values.home ?? 'home');
const env = snapctlEnv(home);
if (!existsSync(home)) {
  await writeAppSettings(home, trees.map((t) => t.src));
  for (const t of trees) process.stderr.write(`first snapshot of ${t.src}: ${(await timed(['create', '--path', t.src, '--provider', 'clone'], { ...env, SNAPCTL_NO_APP: '1' })).toFixed(0)} ms\n`);
}
const nodeArgs = values['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${path.join(work, 'prof')}`] : [];
const app = spawn(process.execPath, [...nodeArgs, cli, 'serve', '--port', '0', '--json'], { env: { ...env, SNAPCTL_TRACE: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
let trace = '';
app.stderr.on('data', (d: Buffer) => { trace += d.toString(); });
await new Promise((resolve) => app.stdout.once('data', resolve));
const s = await settle(app.pid as number, 3000, Number(values.settle ?? 120) * 1000);
process.stderr.write(`app settled after ${(s.ms / 1000).toFixed(1)} s\n`);
try {
  for (let r = 1; r <= rounds; r++) {
    for (const t of trees) {
      await changeCount(t.src, t.files, 200, 500 + r);
      trace = '';
      const ms = await timed(['create', '--path', t.src], env);
      process.stdout.write(`round ${r}, ${t.files.length} files, 200 changed: ${ms.toFixed(0)} ms (load ${loadavg()[0]?.toFixed(2)})\n${trace.split('\n').filter((l) => l.includes('trace')).map((l) => `  ${l}`).join('\n')}\n`);
    }
  }
} finally {
  app.kill('SIGTERM');
  await new Promise((resolve) => app.once('exit', resolve));
}
