// The real-data rows issue 30 quotes: a node_modules installed from the registry (or any folder given with
// --real), first snapshot against `cp -a`, `rsync -a`, restic and borg, and the rollback of a 1% change
// against `rsync -a --delete`.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { mkdir, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { copyPeer, firstSnapshotRows, type Peer } from './first-rows.js';
import { type Row, have, row, sameTree, sideBySide, snapshotId, timeCommand, timeSnapctl, remove } from './measure.js';
import { changeFiles } from './tree.js';

/** What `--real` installs when no folder is given: the packages the small-file tree's shape was measured on. */
export const REAL_PACKAGES = ['typescript@7.0.2', 'eslint@10.16.0', 'webpack@5.113.0', 'jest@30.5.2', 'react@19.3.1', 'react-dom@19.3.1', '@babel/core@7.29.17', 'lodash@4.18.1'];

/**
 * The real folder: `given` as is, or the packages above installed once (`npm install --ignore-scripts`) into a
 * folder kept between runs under the temporary folder; or a note saying why there is none.
 */
export function realSource(given: string | undefined): string | { note: string } {
  if (given) return existsSync(given) ? path.resolve(given) : { note: `real data: skipped (${given} does not exist)` };
  const dir = path.join(tmpdir(), 'snapctl-bench-real');
  const modules = path.join(dir, 'node_modules');
  if (existsSync(path.join(modules, '.package-lock.json'))) return modules;
  try {
    mkdirSync(dir, { recursive: true });
    execFileSync('npm', ['init', '-y'], { cwd: dir, stdio: 'ignore' });
    process.stderr.write(`[real] npm install --ignore-scripts ${REAL_PACKAGES.join(' ')} into ${dir}…\n`);
    execFileSync('npm', ['install', '--ignore-scripts', '--no-audit', '--no-fund', '--save-exact', ...REAL_PACKAGES], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
    return modules;
  } catch (err) {
    return { note: `real data: skipped (npm install failed: ${(err instanceof Error ? err.message : String(err)).split('\n')[0]}; give a folder with --real DIR)` };
  }
}

async function filesUnder(root: string): Promise<string[]> {
  const out: string[] = [];
  for (const d of await readdir(root, { withFileTypes: true, recursive: true })) {
    if (d.isFile()) out.push(path.relative(root, path.join(d.parentPath, d.name)));
  }
  return out.sort();
}

/** restic's first backup into a fresh repository (initialised untimed), its cache fresh too. */
function resticPeer(work: string, src: string): Peer {
  const repo = (r: number): string => path.join(work, `restic-${r}`);
  const env = (r: number): NodeJS.ProcessEnv => ({ ...process.env, RESTIC_PASSWORD: 'bench', RESTIC_CACHE_DIR: path.join(work, `restic-cache-${r}`) });
  return {
    name: 'restic backup',
    prepare: async (r) => { execFileSync('restic', ['-r', repo(r), 'init', '-q'], { env: env(r), stdio: 'ignore' }); },
    run: (r) => timeCommand('restic', ['-r', repo(r), 'backup', '-q', src], work, env(r)),
    cleanup: async (r) => {
      await remove(repo(r));
      await remove(path.join(work, `restic-cache-${r}`));
    },
  };
}

/** borg's first archive into a fresh unencrypted repository (initialised untimed), its cache fresh too. */
function borgPeer(work: string, src: string): Peer {
  const repo = (r: number): string => path.join(work, `borg-${r}`);
  const env = (r: number): NodeJS.ProcessEnv => ({ ...process.env, BORG_BASE_DIR: path.join(work, `borg-base-${r}`), BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK: 'yes' });
  return {
    name: 'borg create',
    prepare: async (r) => { execFileSync('borg', ['init', '--encryption=none', repo(r)], { env: env(r), stdio: 'ignore' }); },
    run: (r) => timeCommand('borg', ['create', `${repo(r)}::first`, src], work, env(r)),
    cleanup: async (r) => {
      await remove(repo(r));
      await remove(path.join(work, `borg-base-${r}`));
    },
  };
}

/** The `real` part. `source` is the real folder; it is copied into `work` first and never changed. */
export async function realRows(work: string, source: string, runs: number, notes: string[]): Promise<Row[]> {
  const src = path.join(work, 'real', path.basename(source));
  await mkdir(path.dirname(src), { recursive: true });
  execFileSync('cp', ['-a', source, src]);
  const files = await filesUnder(src);
  const label = `real ${path.basename(source)} (${files.length.toLocaleString('en')} files)`;
  notes.push(`real data: ${source}, ${files.length.toLocaleString('en')} files, ${execFileSync('du', ['-sh', '--apparent-size', src]).toString().split('\t')[0]}`);
  const peers: Peer[] = [
    copyPeer(work, 'cp -a', 'cp', (s, d) => ['-a', s, d], src),
    copyPeer(work, 'rsync -a', 'rsync', (s, d) => ['-a', `${s}/`, `${d}/`], src),
  ];
  if (have('restic', ['version'])) peers.push(resticPeer(work, src)); else notes.push('real data: restic skipped (not installed: apt-get install restic)');
  if (have('borg')) peers.push(borgPeer(work, src)); else notes.push('real data: borg skipped (not installed: apt-get install borgbackup)');
  // No goal of their own: issue 30 quotes these figures; its goals are on the generated trees.
  const rows = await firstSnapshotRows(work, src, label, peers, runs, null);

  const home = path.join(work, 'home-real');
  await timeSnapctl(['create', '--path', src, '--provider', 'clone'], home, work);
  const id = await snapshotId(home, src);
  const backup = path.join(work, 'real-copy');
  execFileSync('rsync', ['-a', `${src}/`, `${backup}/`]);
  let verified = false;
  const [rollback, restore] = await sideBySide(runs, async (r) => {
    await changeFiles(src, files, 0.01, 500 + r);
    const t = await timeSnapctl(['rollback', id, '--yes'], home, work);
    if (!verified) {
      if (!sameTree(src, backup)) throw new Error('snapctl rollback did not restore the real folder exactly');
      verified = true;
    }
    return t;
  }, async (r) => {
    await changeFiles(src, files, 0.01, 500 + r);
    return timeCommand('rsync', ['-a', '--delete', `${backup}/`, `${src}/`], work);
  });
  rows.push(row(`rollback of a 1% change, ${label}, no app`, rollback, restore, 'rsync -a --delete', null));
  await remove(path.join(work, 'real'));
  await remove(backup);
  await remove(home);
  return rows;
}
