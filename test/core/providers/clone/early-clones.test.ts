import assert from 'node:assert/strict';
import { existsSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { capture } from '../../../../src/core/providers/clone/capture.js';
import { ClonePool } from '../../../../src/core/providers/clone/pool.js';
import type { FsPath } from '../../../../src/core/tree/names.js';
import type { FileEntry } from '../../../../src/core/tree/manifest.js';
import { btrfsEnv, btrfsUnavailable } from '../../../helpers/provider-envs.js';
import { sandbox } from '../../../helpers/helpers.js';

// A first snapshot where copies are clones starts each file's clone as the walk finds it (capture.ts); the
// clone still has to be judged like any copy: a file that changed or vanished after the walk saw it.

/** A pool that does something to a file just before its early clone starts, and counts the clones started. */
class MeddlingPool extends ClonePool {
  started = 0;
  constructor(root: string, private readonly meddle: (source: string) => void = () => undefined) { super(root); }
  override startClone(source: FsPath): { oid: string; done: Promise<unknown> } | null {
    this.started++;
    if (typeof source === 'string') this.meddle(source);
    return super.startClone(source);
  }
}

async function objectFiles(pool: ClonePool): Promise<string[]> {
  const out: string[] = [];
  for (const shard of await readdir(pool.objectsDir).catch(() => [])) {
    if (shard === 'tmp') continue;
    for (const name of await readdir(path.join(pool.objectsDir, shard))) out.push(name);
  }
  return out.sort();
}

const files = (entries: readonly { type: string }[]): FileEntry[] => entries.filter((e): e is FileEntry => e.type === 'file');

describe('a first snapshot by reflink clones', () => {
  const cleanups: (() => Promise<void>)[] = [];
  after(async () => { for (const c of cleanups.reverse()) await c(); });

  // On btrfs where it can run (root, btrfs-progs: CI), so the clones are real; elsewhere they fail and every
  // file is copied again the usual way, which must come to the same result.
  const noBtrfs = btrfsUnavailable();
  let btrfsRoot: string | undefined;
  async function project(): Promise<{ root: string; home: string }> {
    let base: string;
    if (noBtrfs === null) {
      if (!btrfsRoot) {
        const env = await btrfsEnv();
        cleanups.push(env.cleanup);
        btrfsRoot = path.dirname(env.target);
      }
      base = path.join(btrfsRoot, `case-${cleanups.length}-${Math.random().toString(36).slice(2)}`);
    } else {
      const box = await sandbox();
      cleanups.push(box.cleanup);
      base = box.root;
    }
    const root = path.join(base, 'project');
    const home = path.join(base, 'home');
    await mkdir(home, { recursive: true });
    for (let d = 0; d < 5; d++) {
      await mkdir(path.join(root, `d${d}`), { recursive: true });
      for (let f = 0; f < 20; f++) await writeFile(path.join(root, `d${d}`, `f${f}.txt`), `file ${d}/${f}\n`);
    }
    return { root, home };
  }

  test('starts a clone for every file during the walk, and none for a repeat snapshot or a rollback\'s safety snapshot', async () => {
    const { root, home } = await project();
    const pool = new MeddlingPool(path.join(home, 'pool'));
    const first = await capture(root, pool, 'first', [], { copiesAreClones: true });
    assert.equal(first.files, 100);
    assert.equal(pool.started, 100);
    pool.started = 0;
    await capture(root, pool, 'repeat', [first.manifest], { copiesAreClones: true });
    await capture(root, pool, 'safety', [], { copiesAreClones: true, inspect: async () => undefined });
    await capture(root, pool, 'copied', [], { copiesAreClones: false });
    assert.equal(pool.started, 0);
  });

  test('a file changed after the walk saw it is copied again with what it holds now, and recorded so', async () => {
    const { root, home } = await project();
    const target = path.join(root, 'd2', 'f7.txt');
    const pool = new MeddlingPool(path.join(home, 'pool'), (source) => {
      if (source !== target) return;
      writeFileSync(source, 'rewritten after the walk, and longer\n');
      utimesSync(source, new Date(Date.now() + 5000), new Date(Date.now() + 5000));
    });
    const made = await capture(root, pool, 'first', [], { copiesAreClones: true });
    const entry = files(made.manifest.entries).find((e) => e.path === 'd2/f7.txt');
    assert.ok(entry);
    assert.equal(entry.size, 'rewritten after the walk, and longer\n'.length);
    assert.equal(await readFile(pool.objectPath(entry.oid), 'utf8'), 'rewritten after the walk, and longer\n');
  });

  test('a file deleted after the walk saw it is left out as deleted, and no object of it stays behind', async () => {
    const { root, home } = await project();
    const target = path.join(root, 'd4', 'f0.txt');
    const pool = new MeddlingPool(path.join(home, 'pool'), (source) => { if (source === target) unlinkSync(source); });
    const made = await capture(root, pool, 'first', [], { copiesAreClones: true });
    assert.equal(existsSync(target), false);
    assert.equal(made.files, 99);
    assert.deepEqual(made.manifest.problems.map((p) => p.path), ['d4/f0.txt']);
    assert.deepEqual(await objectFiles(pool), files(made.manifest.entries).map((e) => e.oid).sort());
  });

  test('on btrfs every object is whole and holds its file, with nothing else in the pool', { skip: noBtrfs ?? false, timeout: 120_000 }, async () => {
    const { root, home } = await project();
    for (let d = 0; d < 40; d++) {
      await mkdir(path.join(root, `big${d}`), { recursive: true });
      for (let f = 0; f < 50; f++) await writeFile(path.join(root, `big${d}`, `f${f}.bin`), Buffer.alloc(100 + d * 50 + f, `${d}-${f}`));
    }
    const pool = new MeddlingPool(home);
    assert.equal(await pool.copiesAreClones(root), true);
    const made = await capture(root, pool, 'first', [], { copiesAreClones: true });
    assert.equal(pool.started, 2100);
    assert.equal(made.files, 2100);
    for (const e of files(made.manifest.entries)) {
      assert.deepEqual(await readFile(pool.objectPath(e.oid)), await readFile(path.join(root, e.path)), e.path);
    }
    assert.deepEqual(await objectFiles(pool), files(made.manifest.entries).map((e) => e.oid).sort());
  });
});
