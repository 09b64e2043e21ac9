// Issue 30's rows: snapshots and rollbacks with the app running (`snapctl serve` on the same state folder),
// against the same without it, on the small-file tree. "CLI through it": the command hands its work to the
// app over its socket (src/cli/via-app.ts), so the app's change journal narrows the snapshot.
import { execFileSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { memoryOf, settle, startApp, type RunningApp } from './serve.js';
import { type Row, type Timed, row, sameTree, sideBySide, snapshotId, timeCall, timeCommand, timeSnapctl, remove } from './measure.js';
import { changeCount, generateSmallFileTree } from './tree.js';

export interface Folder { src: string; files: string[] }

/** A small-file tree of `count` files under `dir`/src. */
export async function smallFolder(dir: string, count: number): Promise<Folder> {
  const src = path.join(dir, 'src');
  process.stderr.write(`[small-file tree] generating ${count.toLocaleString('en')} files in ${dir}…\n`);
  const { files } = await generateSmallFileTree(src, count);
  return { src, files };
}

/**
 * The app's settings for these folders: clone provider, a schedule that does not come round during a run
 * (once a year), so the only snapshots are the bench's own. Not paused: a paused folder may be one the
 * runtime has no reason to watch.
 */
export async function writeAppSettings(home: string, targets: string[]): Promise<void> {
  await mkdir(home, { recursive: true, mode: 0o700 });
  await writeFile(path.join(home, 'settings.json'), JSON.stringify({
    version: 1, onboarded: true, targets: targets.map((p) => ({ path: p, provider: 'clone', schedule: '0 4 1 1 *' })),
  }));
}

/** Starts the app and waits for it to settle (its start-up work, later its watches), saying how long that took. */
export async function startSettledApp(home: string, notes: string[], label: string, maxMs: number): Promise<RunningApp> {
  const app = await startApp(home);
  const { ms, settled } = await settle(app.pid, 3000, maxMs);
  if (!settled) notes.push(`${label}: the app was still busy after ${Math.round(ms / 1000)} s; measured anyway`);
  return app;
}

/** Repeat snapshots after `change` files changed, `create` against `rsync -a --link-dest` of the previous copy. */
async function repeatAgainstRsync(work: string, folder: Folder, home: string, runs: number, change: number, round0: number): Promise<[Timed[], Timed[]]> {
  let prev = path.join(work, `rsync-${round0}`);
  execFileSync('rsync', ['-a', `${folder.src}/`, `${prev}/`]);
  // Each round changes the folder once, before whichever side goes first (sideBySide: `a` on even rounds).
  const result = await sideBySide(runs, async (r) => {
    if (r % 2 === 0) await changeCount(folder.src, folder.files, change, round0 + r + 1);
    return timeSnapctl(['create', '--path', folder.src, '--provider', 'clone'], home, work);
  }, async (r) => {
    if (r % 2 === 1) await changeCount(folder.src, folder.files, change, round0 + r + 1);
    const next = path.join(work, `rsync-${round0 + r + 1}`);
    const t = await timeCommand('rsync', ['-a', `--link-dest=${prev}`, `${folder.src}/`, `${next}/`], work);
    await remove(prev);
    prev = next;
    return t;
  });
  await remove(prev);
  return result;
}

/**
 * Rollbacks of a 1% change by `rollback` against `rsync -a --delete` from a copy of the same snapshot, each
 * after the same change; the first rollback is checked to restore the snapshot exactly. `id` is a snapshot of
 * the folder as it is now (each rollback's safety snapshot is newer, and holds the change).
 */
async function rollbackAgainstRsync(work: string, folder: Folder, id: string, runs: number, round0: number, rollback: (id: string) => Promise<Timed>): Promise<[Timed[], Timed[]]> {
  const backup = path.join(work, 'rollback-copy');
  await remove(backup);
  execFileSync('rsync', ['-a', `${folder.src}/`, `${backup}/`]);
  const change = Math.max(1, Math.round(folder.files.length / 100));
  let verified = false;
  const result = await sideBySide(runs, async (r) => {
    await changeCount(folder.src, folder.files, change, round0 + r);
    const t = await rollback(id);
    if (!verified) {
      if (!sameTree(folder.src, backup)) throw new Error('snapctl rollback did not restore the snapshot exactly');
      verified = true;
    }
    return t;
  }, async (r) => {
    await changeCount(folder.src, folder.files, change, round0 + r);
    return timeCommand('rsync', ['-a', '--delete', `${backup}/`, `${folder.src}/`], work);
  });
  await remove(backup);
  return result;
}

const n = (x: number): string => x.toLocaleString('en');

/**
 * The `app` part, on one small-file folder: repeat snapshot (1% changed) with the app running against
 * `rsync --link-dest`; rollback of a 1% change through the app's API (what the popover sends) and from the
 * CLI with the app running, against `rsync --delete`; then, the app stopped, the repeat snapshot again.
 */
export async function appRows(work: string, count: number, runs: number, notes: string[]): Promise<Row[]> {
  const folder = await smallFolder(path.join(work, 'app'), count);
  const home = path.join(work, 'home-app');
  await writeAppSettings(home, [folder.src]);
  await timeSnapctl(['create', '--path', folder.src, '--provider', 'clone'], home, work);
  const rows: Row[] = [];
  const app = await startSettledApp(home, notes, 'app', 60_000);
  try {
    const [withApp, link] = await repeatAgainstRsync(work, folder, home, runs, Math.max(1, Math.round(count / 100)), 0);
    rows.push(row(`repeat snapshot after 1% changed, ${n(count)} small files, app running (CLI through it)`, withApp, link, 'rsync -a --link-dest', 0.2));
    const id = await snapshotId(home, folder.src);
    const [api, rsync1] = await rollbackAgainstRsync(work, folder, id, runs, 100, (id) => timeCall(() => app.call('rollback', { id })));
    rows.push(row(`rollback of a 1% change, ${n(count)} small files, from the popover (app API)`, api, rsync1, 'rsync -a --delete', 0.5));
    const [cliRollback, rsync2] = await rollbackAgainstRsync(work, folder, id, runs, 200, (id) => timeSnapctl(['rollback', id, '--yes'], home, work));
    rows.push(row(`rollback of a 1% change, ${n(count)} small files, CLI, app running`, cliRollback, rsync2, 'rsync -a --delete', 1.0));
    const mem = await memoryOf(app.pid);
    notes.push(`app: snapctl serve's peak RSS over the app rows (${n(count)} small files): ${Math.round(mem.hwm / 1048576)} MB (VmHWM)`);
  } finally {
    await app.stop();
  }
  const [fresh, link] = await repeatAgainstRsync(work, folder, home, runs, Math.max(1, Math.round(count / 100)), 300);
  rows.push(row(`repeat snapshot after 1% changed, ${n(count)} small files, no app (fresh process)`, fresh, link, 'rsync -a --link-dest', 0.8));
  await remove(path.join(work, 'app'));
  await remove(home);
  return rows;
}

/**
 * The `app-large` part: the repeat snapshot with the app running at `large` files (1% changed) against
 * `rsync --link-dest`, and the same 200 changed files in the `large` folder against the `count` one
 * (one app, both folders in its settings), alternating.
 */
export async function appLargeRows(work: string, count: number, large: number, runs: number, notes: string[]): Promise<Row[]> {
  const big = await smallFolder(path.join(work, 'app-large'), large);
  const small = await smallFolder(path.join(work, 'app-small'), count);
  const home = path.join(work, 'home-app-large');
  await writeAppSettings(home, [big.src, small.src]);
  await timeSnapctl(['create', '--path', big.src, '--provider', 'clone'], home, work);
  await timeSnapctl(['create', '--path', small.src, '--provider', 'clone'], home, work);
  const rows: Row[] = [];
  const app = await startSettledApp(home, notes, 'app-large', 300_000);
  try {
    const [withApp, link] = await repeatAgainstRsync(work, big, home, runs, Math.max(1, Math.round(large / 100)), 0);
    rows.push(row(`repeat snapshot after 1% changed, ${n(large)} small files, app running (CLI through it)`, withApp, link, 'rsync -a --link-dest', 0.03));
    const same = Math.max(1, Math.round(count / 100));
    const [inBig, inSmall] = await sideBySide(runs, async (r) => {
      await changeCount(big.src, big.files, same, 400 + r);
      return timeSnapctl(['create', '--path', big.src, '--provider', 'clone'], home, work);
    }, async (r) => {
      await changeCount(small.src, small.files, same, 400 + r);
      return timeSnapctl(['create', '--path', small.src, '--provider', 'clone'], home, work);
    });
    rows.push(row(`repeat snapshot, the same ${n(same)} changed files in ${n(large)} files, app running`, inBig, inSmall, `same in ${n(count)} files`, 1.3));
    const mem = await memoryOf(app.pid);
    notes.push(`app-large: snapctl serve's peak RSS over these rows (${n(large)} + ${n(count)} files): ${Math.round(mem.hwm / 1048576)} MB (VmHWM)`);
  } finally {
    await app.stop();
  }
  await remove(path.join(work, 'app-large'));
  await remove(path.join(work, 'app-small'));
  await remove(home);
  return rows;
}

/**
 * The `rss` part: `snapctl serve` with 3 folders of `count` files in its settings, each with a first
 * snapshot (what a user's app holds), its peak RSS read from /proc once it has settled. The three folders
 * are hard-linked copies of one tree (their folders are their own; their files share inodes), so the bench
 * writes the data once.
 */
export async function rssRow(work: string, count: number, notes: string[]): Promise<Row> {
  const one = await smallFolder(path.join(work, 'rss-1'), count);
  const srcs = [one.src];
  for (const k of [2, 3]) {
    const dir = path.join(work, `rss-${k}`, 'src');
    await mkdir(path.dirname(dir), { recursive: true });
    execFileSync('cp', ['-al', one.src, dir]);
    srcs.push(dir);
  }
  const home = path.join(work, 'home-rss');
  await writeAppSettings(home, srcs);
  for (const src of srcs) await timeSnapctl(['create', '--path', src, '--provider', 'clone'], home, work);
  const app = await startApp(home);
  let hwm: number;
  try {
    const { ms, settled } = await settle(app.pid, 5000, count > 50_000 ? 600_000 : 120_000);
    const mem = await memoryOf(app.pid);
    hwm = mem.hwm;
    notes.push(`rss: snapctl serve with 3 folders of ${n(count)} files ${settled ? `settled after ${(ms / 1000).toFixed(1)} s` : `had not settled after ${(ms / 1000).toFixed(0)} s`}; VmHWM ${Math.round(mem.hwm / 1048576)} MB, VmRSS then ${Math.round(mem.rss / 1048576)} MB, ${mem.cpu.toFixed(1)} CPU s`);
  } finally {
    await app.stop();
  }
  for (const k of [1, 2, 3]) await remove(path.join(work, `rss-${k}`));
  await remove(home);
  return { measure: `peak RSS of the app, 3 folders of ${n(count)} files in its settings`, snapctl: hwm, peer: 0, peerName: '', goal: 300 * 1024 * 1024, rss: hwm, peerRss: null, unit: 'bytes', spread: [0, 0] };
}
