// npm run bench: snapctl against the tools users would pick instead, on the same data in the same run.
// Prints medians and ratios (snapctl / peer); machines here are noisy, so nothing gates on an absolute time.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { appLargeRows, appRows, rssRow, smallFolder } from './app-rows.js';
import { copyPeer, firstSnapshotRows, onBtrfsLoop } from './first-rows.js';
import { type Row, type Timed, GNU_TIME, cli, fmt, haveGnuTime, repo, row, sameTree, snapshotId, timeCommand, timeSnapctl } from './measure.js';
import { realRows, realSource } from './real-rows.js';
import { changeFiles, generateTree, type TreeShape } from './tree.js';

const { values: opts } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    files: { type: 'string' },
    mb: { type: 'string' },
    runs: { type: 'string' },
    'btrfs-files': { type: 'string' },
    'no-btrfs': { type: 'boolean', default: false },
    json: { type: 'string' },
    only: { type: 'string' },
    'history-snapshots': { type: 'string' },
    'btrfs-history-files': { type: 'string' },
    'btrfs-history-snapshots': { type: 'string' },
    baseline: { type: 'string' },
    large: { type: 'boolean', default: false },
    'large-files': { type: 'string' },
    real: { type: 'string' },
  },
});
const quick = opts.quick ?? false;
const files = Number(opts.files ?? (quick ? 2000 : 20_000));
const shape: TreeShape = { files, folders: Math.max(10, Math.round(files / 10)), bytes: Number(opts.mb ?? (quick ? 20 : 200)) * 1024 * 1024, symlinks: Math.max(5, Math.round(files / 200)) };
const runs = Number(opts.runs ?? (quick ? 3 : 5));
const large = opts.large ?? false;
/** The folder size of the large rows (`app-large`, and `rss` with --large): issue 30's 200,000 files. */
const largeFiles = Number(opts['large-files'] ?? (quick ? 20_000 : 200_000));
/** `--only list,rollback`: a subset, for profiling one measure; the default runs everything but the large rows. */
const parts = new Set((opts.only ?? `clone,reflink,btrfs,list,history,btrfs-history,small,app,rss,real${large ? ',app-large' : ''}`).split(',').map((p) => p.trim()));
const btrfsFiles = Number(opts['btrfs-files'] ?? (quick ? 10_000 : 100_000));

/** Figures that are no ratio: printed after the table. */
const historyNotes: string[] = [];

async function cloneBenchmarks(work: string, label: string, cpArgs: string[]): Promise<Row[]> {
  const rows: Row[] = [];
  const src = path.join(work, 'src');
  process.stderr.write(`[${label}] generating ${shape.files} files in ${shape.folders} folders (~${Math.round(shape.bytes / 1048576)} MB)…\n`);
  const tree = await generateTree(src, shape);

  // 1. First snapshot vs cp -a, alternating which goes first.
  const snap: Timed[] = [];
  const cp: Timed[] = [];
  for (let r = 0; r < runs; r++) {
    const home = path.join(work, `home-first-${r}`);
    const dest = path.join(work, `cp-${r}`);
    const a = async (): Promise<void> => { snap.push(await timeSnapctl(['create', '--path', src, '--provider', 'clone'], home, work)); };
    const b = async (): Promise<void> => { cp.push(await timeCommand('cp', [...cpArgs, src, dest], work)); };
    if (r % 2) { await b(); await a(); } else { await a(); await b(); }
    await rm(dest, { recursive: true, force: true });
    if (r < runs - 1) await rm(home, { recursive: true, force: true });
  }
  // Issue 30's goals replace issue 15's 1.2: <= 1.0 against plain `cp -a`, <= 1.5 against reflink copies.
  rows.push(row(`first snapshot, clone, bench tree (${label})`, snap, cp, `cp ${cpArgs.join(' ')}`, cpArgs.includes('--reflink=always') ? 1.5 : 1.0));

  // 2. Repeat snapshot after 1% of the files changed vs rsync --link-dest (rsnapshot, old Time Machine).
  const home = path.join(work, `home-first-${runs - 1}`);
  let prev = path.join(work, 'rsync-0');
  execFileSync('rsync', ['-a', `${src}/`, `${prev}/`]);
  const repeat: Timed[] = [];
  const link: Timed[] = [];
  for (let r = 1; r <= runs; r++) {
    await changeFiles(src, tree.files, 0.01, r);
    const next = path.join(work, `rsync-${r}`);
    const a = async (): Promise<void> => { repeat.push(await timeSnapctl(['create', '--path', src, '--provider', 'clone'], home, work)); };
    const b = async (): Promise<void> => { link.push(await timeCommand('rsync', ['-a', `--link-dest=${prev}`, `${src}/`, `${next}/`], work)); };
    if (r % 2) { await b(); await a(); } else { await a(); await b(); }
    await rm(prev, { recursive: true, force: true });
    prev = next;
  }
  // A fresh process walking the folder: issue 30 set <= 0.8 for it (the app, once the CLI asks it, <= 0.2).
  rows.push(row(`repeat snapshot after 1% changed, no app (${label})`, repeat, link, 'rsync -a --link-dest', 0.8));

  // 3. Rollback of a 1% change vs rsync -a --delete from a copy of the same snapshot.
  const rollback: Timed[] = [];
  const restore: Timed[] = [];
  const backup = prev; // equals the newest snapshot's state
  let verified = false;
  for (let r = 1; r <= runs; r++) {
    const id = await snapshotId(home, src);
    const round = 100 + r;
    await changeFiles(src, tree.files, 0.01, round);
    rollback.push(await timeSnapctl(['rollback', id, '--yes'], home, work));
    if (!verified) { if (!sameTree(src, backup)) throw new Error('snapctl rollback did not restore the snapshot exactly'); verified = true; }
    await changeFiles(src, tree.files, 0.01, round);
    restore.push(await timeCommand('rsync', ['-a', '--delete', `${backup}/`, `${src}/`], work));
  }
  rows.push(row(`rollback of a 1% change, no app (${label})`, rollback, restore, 'rsync -a --delete', 0.5));
  await rm(work, { recursive: true, force: true });
  return rows;
}

/**
 * `list --json` of 10,000 records: as a script polling an unchanged store runs it (answered from the listing
 * the first full run kept: one untimed run once the store has settled, listing-cache.ts), and the first run
 * after the index changed (store.json replaced by a copy of itself before each round: the full command).
 */
async function listBenchmark(work: string): Promise<Row[]> {
  const home = path.join(work, 'home-list');
  const target = path.join(work, 'list-target');
  await mkdir(home, { recursive: true });
  await mkdir(target, { recursive: true });
  const start = Date.parse('2025-01-01T00:00:00Z');
  const snapshots = Array.from({ length: 10_000 }, (_, i) => {
    const at = new Date(start + i * 3_600_000);
    return { id: `${at.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15)}-${i.toString(16).padStart(6, '0')}`, provider: 'clone', target, tag: i % 10 ? null : `tag ${i}`, trigger: 'schedule', createdAt: at.toISOString(), size: 1000 + i, addedBytes: 10, files: 3, state: 'ready', ref: `r${i}`, note: null };
  });
  const store = path.join(home, 'store.json');
  await writeFile(store, JSON.stringify({ version: 1, snapshots, rollbacks: [] }));
  await new Promise((resolve) => setTimeout(resolve, 2_100));
  await timeSnapctl(['list', '--json'], home, work);
  const list: Timed[] = [];
  const node: Timed[] = [];
  for (let r = 0; r < Math.max(runs, 7); r++) {
    list.push(await timeSnapctl(['list', '--json'], home, work));
    node.push(await timeCommand(process.execPath, ['-e', '0'], work));
  }
  const changed: Timed[] = [];
  const nodeAgain: Timed[] = [];
  for (let r = 0; r < Math.max(runs, 7); r++) {
    await copyFile(store, `${store}.copy`);
    await rename(`${store}.copy`, store);
    changed.push(await timeSnapctl(['list', '--json'], home, work));
    nodeAgain.push(await timeCommand(process.execPath, ['-e', '0'], work));
  }
  return [row('list --json, 10,000 records', list, node, 'node -e 0', 2), row('list --json, 10,000 records, first after the index changed', changed, nodeAgain, 'node -e 0', null)];
}

/**
 * `history` of one file and `find` across 1,000 snapshots of a 20,000-file folder, through the path index,
 * against reading the manifests one by one (what snapctl would do without the index). The snapshots are
 * written as a clone store holds them (1% of the files changed in each), not taken one by one: 1,000 real
 * snapshots would take most of an hour here.
 */
async function historyBenchmarks(work: string): Promise<Row[]> {
  const count = Number(opts['history-snapshots'] ?? (quick ? 100 : 1000));
  const home = path.join(work, 'home-history');
  const target = path.join(work, 'history-target');
  const manifests = path.join(home, 'clone', 'manifests');
  await mkdir(manifests, { recursive: true });
  await mkdir(target, { recursive: true });
  process.stderr.write(`[history] writing ${count} manifests of ${files} files…\n`);
  const hex = (n: number): string => n.toString(16).padStart(64, '0');
  // Sorted, as every manifest the walk writes is.
  const paths = Array.from({ length: files }, (_, i) => `node_modules/pkg-${Math.floor(i / 80)}/lib-${i % 7}/file-${i}.${i % 5 === 0 ? 'json' : 'js'}`).sort();
  const version = new Array<number>(files).fill(0);
  const start = Date.parse('2025-01-01T00:00:00Z');
  const records = [];
  for (let s = 0; s < count; s++) {
    for (let k = 0; k < Math.round(files / 100); k++) version[(s * 7919 + k * 104729) % files]! += 1;
    const at = new Date(start + s * 3_600_000);
    const id = `${at.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15)}-${s.toString(16).padStart(6, '0')}`;
    const entries = paths.map((p, i) => ({ path: p, type: 'file', mode: 420, mtimeNs: `${start + (version[i] ?? 0) * 1000}000000`, size: 100 + (i % 900), oid: hex(i * 100_000 + (version[i] ?? 0)) }));
    await writeFile(path.join(manifests, `${id}.json`), JSON.stringify({ version: 1, id, target, createdAt: at.toISOString(), entries, problems: [] }));
    records.push({ id, provider: 'clone', target, tag: null, trigger: 'schedule', createdAt: at.toISOString(), size: 0, addedBytes: 0, files, state: 'ready', ref: id, note: null });
  }
  await writeFile(path.join(home, 'store.json'), JSON.stringify({ version: 1, snapshots: records, rollbacks: [] }));
  const file = path.join(target, paths[4242 % files] ?? '');
  const rounds = Math.min(runs, 3);
  const peerScript = (mode: 'history' | 'find'): string[] => ['-e', `
    const fs = require('fs'); const path = require('path'); const dir = ${JSON.stringify(manifests)};
    const pm = require(${JSON.stringify(path.join(repo, 'node_modules', 'picomatch'))})('*.json', { dot: true, basename: true });
    const seen = new Map();
    for (const name of fs.readdirSync(dir)) {
      const m = JSON.parse(fs.readFileSync(path.join(dir, name), 'utf8'));
      for (const e of m.entries) if (${mode === 'history' ? `e.path === ${JSON.stringify(paths[4242 % files])}` : 'pm(e.path)'}) seen.set(e.path + e.oid, (seen.get(e.path + e.oid) || 0) + 1);
    }
    process.stdout.write(String(seen.size));`];
  // The first query builds the index from the manifests: timed on its own.
  const build = await timeSnapctl(['history', file, '--json'], home, work);
  historyNotes.push(`history: building the path index of ${count} snapshots x ${files.toLocaleString('en')} files (the first query, once) took ${(build.ms / 1000).toFixed(1)} s; the index file is ${(await indexBytes(path.join(home, 'paths')) / 1048576).toFixed(1)} MB, against ${(await indexBytes(manifests) / 1048576).toFixed(0)} MB of manifests`);
  const rows: Row[] = [];
  for (const mode of ['history', 'find'] as const) {
    const a: Timed[] = [];
    const b: Timed[] = [];
    for (let r = 0; r < rounds; r++) {
      a.push(await timeSnapctl(mode === 'history' ? ['history', file, '--json'] : ['find', '*.json', '--path', target, '--json'], home, work));
      b.push(await timeCommand(process.execPath, peerScript(mode), work));
    }
    rows.push(row(mode === 'history' ? `history of one file, ${count} snapshots x ${files.toLocaleString('en')} files` : `find '*.json', ${count} snapshots x ${files.toLocaleString('en')} files`, a, b, 'reading the manifests one by one', null));
  }
  await rm(home, { recursive: true, force: true });
  return rows;
}

async function indexBytes(dir: string): Promise<number> {
  let total = 0;
  for (const name of await readdir(dir)) total += (await stat(path.join(dir, name))).size;
  return total;
}

async function btrfsBenchmark(work: string): Promise<Row | string> {
  if (opts['no-btrfs']) return 'btrfs: skipped (--no-btrfs)';
  if (process.getuid?.() !== 0) return 'btrfs: skipped (needs root to loop-mount an image)';
  try { execFileSync('mkfs.btrfs', ['--version'], { stdio: 'ignore' }); } catch { return 'btrfs: skipped (apt-get install btrfs-progs)'; }
  const image = path.join(work, 'btrfs.img');
  const mnt = path.join(work, 'mnt');
  await mkdir(mnt, { recursive: true });
  execFileSync('truncate', ['-s', `${Math.max(1024, Math.ceil(btrfsFiles / 100) * 2 + 512)}M`, image]);
  execFileSync('mkfs.btrfs', ['-q', image]);
  execFileSync('mount', ['-o', 'loop', image, mnt]);
  try {
    const make = async (name: string, n: number): Promise<string> => {
      const vol = path.join(mnt, name);
      execFileSync('btrfs', ['subvolume', 'create', vol], { stdio: 'ignore' });
      process.stderr.write(`[btrfs] generating ${n} files in ${name}…\n`);
      await generateTree(vol, { files: n, folders: Math.max(10, Math.round(n / 10)), bytes: n * 1024, symlinks: 10 });
      return vol;
    };
    const small = await make('small', 1000);
    const big = await make('big', btrfsFiles);
    const home = path.join(work, 'home-btrfs');
    const a: Timed[] = [];
    const b: Timed[] = [];
    for (let r = 0; r < runs; r++) {
      a.push(await timeSnapctl(['create', '--path', big, '--provider', 'btrfs'], home, work));
      b.push(await timeSnapctl(['create', '--path', small, '--provider', 'btrfs'], home, work));
    }
    return row(`btrfs snapshot, ${btrfsFiles.toLocaleString('en')} files vs 1,000 files`, a, b, 'same on 1,000 files', 1.5);
  } finally {
    execFileSync('umount', [mnt]);
  }
}

/**
 * `snapctl history FILE` on a btrfs folder with many snapshots, right after one more was taken (the query
 * brings the path index up to date with it first), against `restic find FILE` on a restic repository holding
 * the same states of the folder. With `--baseline DIR` (a checkout of older code, built), its `snapctl history`
 * runs in the same rounds on a copy of the same state folder, so before and after are side by side.
 */
async function btrfsHistoryBenchmark(work: string): Promise<Row[] | string> {
  if (opts['no-btrfs']) return 'btrfs history: skipped (--no-btrfs)';
  if (process.getuid?.() !== 0) return 'btrfs history: skipped (needs root to loop-mount an image)';
  try { execFileSync('restic', ['version'], { stdio: 'ignore' }); } catch { return 'btrfs history: skipped (apt-get install restic)'; }
  const n = Number(opts['btrfs-history-files'] ?? (quick ? 2000 : 20_000));
  const count = Number(opts['btrfs-history-snapshots'] ?? (quick ? 10 : 50));
  const baseline = opts.baseline ? installLayoutOf(opts.baseline) : null;
  const image = path.join(work, 'history-btrfs.img');
  const mnt = path.join(work, 'history-mnt');
  await mkdir(mnt, { recursive: true });
  execFileSync('truncate', ['-s', `${Math.max(1024, Math.ceil(n / 20))}M`, image]);
  execFileSync('mkfs.btrfs', ['-q', image]);
  execFileSync('mount', ['-o', 'loop', image, mnt]);
  try {
    execFileSync('btrfs', ['subvolume', 'create', path.join(mnt, 'vol')], { stdio: 'ignore' });
    const target = path.join(mnt, 'vol', 'project');
    await mkdir(target);
    process.stderr.write(`[btrfs-history] ${n} files, ${count} snapshots, each with a restic backup…\n`);
    const { files: names } = await generateTree(target, { files: n, folders: Math.max(10, Math.round(n / 10)), bytes: n * 1024, symlinks: 10 });
    const home = path.join(work, 'home-btrfs-history');
    const homeBase = path.join(work, 'home-btrfs-history-baseline');
    const repoDir = path.join(work, 'restic-repo');
    const resticEnv = { ...process.env, RESTIC_PASSWORD: 'bench', RESTIC_REPOSITORY: repoDir, RESTIC_CACHE_DIR: path.join(work, 'restic-cache') };
    execFileSync('restic', ['init', '--quiet'], { env: resticEnv, stdio: 'ignore' });
    const snapshot = async (round: number): Promise<void> => {
      await changeFiles(target, names, 0.01, round);
      execFileSync(process.execPath, [cli, 'create', '--path', target, '--provider', 'btrfs'], { env: { ...process.env, SNAPCTL_HOME: home }, stdio: 'ignore' });
      execFileSync('restic', ['backup', '--quiet', target], { env: resticEnv, stdio: 'ignore' });
      // The baseline's state folder names the same snapshots; its path index is its own.
      if (baseline) execFileSync('rsync', ['-a', '--exclude', '/paths/', `${home}/`, `${homeBase}/`]);
    };
    for (let s = 0; s < count; s++) await snapshot(s);
    const file = path.join(target, names[4242 % names.length] ?? '');
    // The first query builds each index from the snapshots: once, timed as a note.
    const build = await timeSnapctl(['history', file, '--json'], home, work);
    const baseBuild = baseline ? await timeCommand(process.execPath, [baseline, 'history', file, '--json'], work, { ...process.env, SNAPCTL_HOME: homeBase }) : null;
    historyNotes.push(`btrfs history: the first query built the path index of ${count} snapshots x ${n.toLocaleString('en')} files in ${fmt(build.ms)}${baseBuild ? ` (baseline: ${fmt(baseBuild.ms)})` : ''}`);
    const after: Timed[] = [];
    const again: Timed[] = [];
    const before: Timed[] = [];
    const peer: Timed[] = [];
    for (let r = 0; r < runs; r++) {
      await snapshot(count + r);
      after.push(await timeSnapctl(['history', file, '--json'], home, work));
      if (baseline) before.push(await timeCommand(process.execPath, [baseline, 'history', file, '--json'], work, { ...process.env, SNAPCTL_HOME: homeBase }));
      again.push(await timeSnapctl(['history', file, '--json'], home, work));
      peer.push(await timeCommand('restic', ['find', '--quiet', file], work, resticEnv));
    }
    const what = `${count}+ snapshots x ${n.toLocaleString('en')} files`;
    const rows = [row(`btrfs: history FILE right after a new snapshot, ${what}`, after, peer, 'restic find FILE', 0.2)];
    if (baseline) rows.push(row(`  the same, baseline (${path.basename(path.dirname(path.dirname(baseline)))})`, before, peer, 'restic find FILE', null));
    rows.push(row(`btrfs: history FILE again (index up to date), ${what}`, again, peer, 'restic find FILE', 0.2));
    return rows;
  } finally {
    execFileSync('umount', [mnt]);
  }
}

/** The CLI script of another checkout (built), for `--baseline`. */
function installLayoutOf(dir: string): string {
  if (!existsSync(path.resolve(dir, 'dist', 'src', 'cli', 'main.js'))) throw new Error(`--baseline ${dir}: build it first ('npm run build' there)`);
  return path.resolve(dir, 'bin', 'snapctl.js');
}

async function reflinkBenchmarks(work: string): Promise<Row[] | string> {
  if (opts['no-btrfs']) return 'clone on btrfs (reflinks): skipped (--no-btrfs)';
  if (process.getuid?.() !== 0) return 'clone on btrfs (reflinks): skipped (needs root to loop-mount an image)';
  const image = path.join(work, 'reflink.img');
  const mnt = path.join(work, 'reflink-mnt');
  await mkdir(mnt, { recursive: true });
  execFileSync('truncate', ['-s', `${Math.ceil(shape.bytes / 1048576) * 8 + 1024}M`, image]);
  execFileSync('mkfs.btrfs', ['-q', image]);
  execFileSync('mount', ['-o', 'loop', image, mnt]);
  try {
    return await cloneBenchmarks(path.join(mnt, 'run'), 'btrfs, reflinks', ['-a', '--reflink=always']);
  } finally {
    execFileSync('umount', [mnt]);
  }
}

/**
 * The `small` part: the first snapshot of the small-file tree (shaped like a real node_modules), a fresh
 * process, against `cp -a` on ext4 (here: the temporary folder's filesystem) and `cp -a --reflink=always` on
 * a btrfs loop image.
 */
async function smallFileFirstRows(work: string, notes: string[]): Promise<Row[]> {
  const rows: Row[] = [];
  const plain = await smallFolder(path.join(work, 'plain'), files);
  rows.push(...(await firstSnapshotRows(work, plain.src, `small-file tree, ${files.toLocaleString('en')} files (ext4/overlay, plain copies)`, [copyPeer(work, 'cp -a', 'cp', (s, d) => ['-a', s, d], plain.src)], runs, 1.0)));
  await rm(path.join(work, 'plain'), { recursive: true, force: true });
  if (opts['no-btrfs']) { notes.push('small-file tree on btrfs: skipped (--no-btrfs)'); return rows; }
  // The tree's bytes (~11 KB a file on average) in copies and clones' metadata, with room to spare.
  const sizeMb = Math.ceil((files * 11_000 * 3) / 1048576) + 1024;
  const btrfs = await onBtrfsLoop(work, 'small-btrfs', sizeMb, async (mnt) => {
    const folder = await smallFolder(path.join(mnt, 'tree'), files);
    return firstSnapshotRows(mnt, folder.src, `small-file tree, ${files.toLocaleString('en')} files (btrfs, reflinks)`, [copyPeer(mnt, 'cp -a --reflink=always', 'cp', (s, d) => ['-a', '--reflink=always', s, d], folder.src)], runs, 1.5);
  });
  if (typeof btrfs === 'string') notes.push(btrfs); else rows.push(...btrfs);
  return rows;
}

async function main(): Promise<void> {
  if (!existsSync(path.join(repo, 'dist', 'src', 'cli', 'main.js'))) throw new Error("build first: 'npm run build'");
  const work = await mkdtemp(path.join(tmpdir(), 'snapctl-bench-'));
  const notes: string[] = [];
  const rows: Row[] = [];
  const mb = (bytes: number | null): string => (bytes === null ? '?' : `${Math.round(bytes / 1048576)} MB`);
  const cells = (r: Row): string[] => {
    if (r.unit === 'bytes') {
      const verdict = r.goal === null ? '' : `<= ${mb(r.goal)}${r.snapctl <= r.goal ? ' ok' : ' MISSED'}`;
      return [r.measure, mb(r.snapctl), '(VmHWM from /proc once settled)', '', '', verdict, ''];
    }
    const ratio = r.snapctl / r.peer;
    const verdict = r.goal === null ? '' : ratio <= r.goal ? ' ok' : ' MISSED';
    return [r.measure, fmt(r.snapctl), `${fmt(r.peer)} (${r.peerName})`, ratio.toFixed(2), `${r.spread[0].toFixed(2)}-${r.spread[1].toFixed(2)}`, r.goal === null ? '' : `<= ${r.goal}${verdict}`, haveGnuTime ? `${mb(r.rss)} / ${mb(r.peerRss)}` : ''];
  };
  // Each row on stderr as soon as it is measured: a long run stopped part way still leaves its figures.
  const add = (...measured: Row[]): void => {
    for (const r of measured) process.stderr.write(`[row] ${cells(r).filter((c) => c !== '').join(' | ')}\n`);
    rows.push(...measured);
  };
  const started = (part: string): boolean => {
    if (parts.has(part)) process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] part ${part}, load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}\n`);
    return parts.has(part);
  };
  try {
    if (started('clone')) add(...(await cloneBenchmarks(path.join(work, 'plain'), 'ext4/overlay, plain copies', ['-a'])));
    if (started('reflink')) {
      const reflink = await reflinkBenchmarks(work);
      if (typeof reflink === 'string') notes.push(reflink); else add(...reflink);
    }
    if (started('btrfs')) {
      const btrfs = await btrfsBenchmark(work);
      if (typeof btrfs === 'string') notes.push(btrfs); else add(btrfs);
    }
    if (started('list')) add(...(await listBenchmark(work)));
    if (started('history')) add(...(await historyBenchmarks(work)));
    if (started('small')) add(...(await smallFileFirstRows(path.join(work, 'small'), notes)));
    if (started('app')) add(...(await appRows(path.join(work, 'app-part'), files, runs, notes)));
    if (started('app-large')) add(...(await appLargeRows(path.join(work, 'app-large-part'), files, largeFiles, runs, notes)));
    if (started('rss')) add(await rssRow(path.join(work, 'rss-part'), large || parts.has('app-large') ? largeFiles : files, notes));
    if (started('real')) {
      const source = realSource(opts.real);
      if (typeof source === 'string') add(...(await realRows(path.join(work, 'real-part'), source, runs, notes)));
      else notes.push(source.note);
    }
    if (started('btrfs-history')) {
      const history = await btrfsHistoryBenchmark(work);
      if (typeof history === 'string') notes.push(history); else add(...history);
    }
  } finally {
    await rm(work, { recursive: true, force: true }).catch(() => undefined);
  }
  const header = ['measure', 'snapctl', 'peer', 'ratio', 'per round', 'goal', 'peak RSS snapctl / peer'];
  const lines = rows.map(cells);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] ?? '').length)));
  const out = [header, ...lines].map((l) => l.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd());
  console.log(`load average at the end: ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  console.log(`snapctl benchmark: ${shape.files} files, ${shape.folders} folders, ~${Math.round(shape.bytes / 1048576)} MB, ${runs} runs each (medians; 'per round' is the lowest and highest ratio of runs taken side by side); ${new Date().toISOString()}`);
  console.log(out.join('\n'));
  for (const n of [...notes, ...historyNotes]) console.log(n);
  if (!haveGnuTime) console.log(`peak RSS: not measured (${GNU_TIME} is not GNU time; apt-get install time)`);
  if (opts.json) await writeFile(opts.json, JSON.stringify({ shape, runs, rows, notes }, null, 2));
}

main().catch((err: unknown) => {
  console.error(`bench failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});
