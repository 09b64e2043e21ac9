import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parseJson, runCli, sandbox, type Sandbox } from '../helpers/helpers.js';

/**
 * The state folder on a disk with no byte free (a real tmpfs): the commands that give space back, and those
 * that only read, must work. Snapshots that share all their files make the index large against what a delete
 * frees, the case where the index's rewrite needs more than the delete gave back.
 */
/** A 4 MB filesystem mounted on `dir`: tmpfs, or ext4 on a loop image without blocks reserved for root. */
const MOUNTS: Record<string, { mount: (dir: string, root: string) => void }> = {
  tmpfs: { mount: (dir) => execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', dir]) },
  'an ext4 loop image': {
    mount: (dir, root) => {
      const image = path.join(root, 'ext4.img');
      execFileSync('truncate', ['-s', '6M', image]);
      execFileSync('mkfs.ext4', ['-q', '-m', '0', image]);
      execFileSync('mount', ['-o', 'loop', image, dir]);
    },
  },
};

for (const [kind, { mount }] of Object.entries(MOUNTS)) describe(`on a full store disk (${kind})`, { skip: process.getuid?.() === 0 ? false : 'needs root to mount a filesystem' }, () => {
  let box: Sandbox;
  let home: string;
  let env: Record<string, string>;
  let ids: string[] = [];
  const filler = (): string => path.join(home, 'filler');
  /**
   * Every byte taken: a large filler, then small ones for what is left of the last blocks. ext4 gives blocks
   * back when its journal commits (a removed file's) and when writeback allocates what it had reserved (more
   * than it uses): synced between rounds, each round takes what the last one freed.
   */
  const fill = async (): Promise<void> => {
    await writeFile(filler(), Buffer.alloc(6 * 1024 * 1024)).catch(() => undefined);
    // Small files until even one byte does not fit, twice running after a sync.
    let refusedInARow = 0;
    for (let i = 0; refusedInARow < 2 && i < 20_000; i++) {
      const took = await writeFile(`${filler()}-${i}`, Buffer.alloc(1024)).then(() => true, () => false);
      const one = took ? true : await writeFile(`${filler()}-${i}-byte`, 'x').then(() => true, () => false);
      if (one) { refusedInARow = 0; continue; }
      refusedInARow++;
      execFileSync('sync', ['-f', home]);
    }
  };

  before(async () => {
    box = await sandbox();
    home = box.home;
    await mkdir(home);
    mount(home, box.root);
    env = { SNAPCTL_HOME: home };
    await writeFile(path.join(box.project, 'a.txt'), 'the same in every snapshot\n');
    for (let i = 0; i < 40; i++) {
      const r = await runCli(['create', '--path', box.project, '--tag', `same ${i}`, '--json'], env);
      assert.equal(r.code, 0, r.stderr);
      ids.push(parseJson<{ id: string }>(r.stdout).id);
    }
    await writeFile(path.join(home, 'settings.json'), JSON.stringify({ version: 1, targets: [{ path: box.project, retention: { hourly: 0, daily: 0, weekly: 0, monthly: 0, manual: 30, safety: 1, preOperation: 1 } }] }));
    await fill();
    await assert.rejects(writeFile(path.join(home, 'one-more'), 'x'), /ENOSPC/);
  });
  after(async () => {
    execFileSync('umount', [home]);
    await box.cleanup();
  });

  test('status, list and count answer', async () => {
    for (const args of [['status'], ['list'], ['count']]) {
      const r = await runCli(args, env);
      assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
      assert.equal(r.stderr, '', args.join(' '));
    }
  });

  test('delete gives space back, and the index stays whole', async () => {
    const victim = ids[0] ?? '';
    const r = await runCli(['delete', victim], env);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    const listed = parseJson<{ id: string }[]>((await runCli(['list', '--json'], env)).stdout).map((s) => s.id);
    assert.equal(listed.length, 39);
    assert.ok(!listed.includes(victim));
    const index = parseJson<{ snapshots: unknown[] }>(await readFile(path.join(home, 'store.json'), 'utf8'));
    assert.equal(index.snapshots.length, 39, 'the index on disk is whole JSON without the deleted one');
    ids = ids.slice(1);
  });

  test('prune deletes what retention no longer keeps', async () => {
    // The disk full again, to the last byte.
    await rm(filler());
    await fill();
    const r = await runCli(['prune'], env);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /keep 30, deleted 9/);
    assert.equal((await runCli(['count'], env)).stdout, '30\n');
  });
});
