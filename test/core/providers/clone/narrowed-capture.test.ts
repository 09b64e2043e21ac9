import assert from 'node:assert/strict';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, test } from 'node:test';
import { capture } from '../../../../src/core/providers/clone/capture.js';
import { ClonePool } from '../../../../src/core/providers/clone/pool.js';
import { CACHEDIR_SIGNATURE } from '../../../../src/core/tree/excludes.js';
import { sandbox } from '../../../helpers/helpers.js';

describe('a snapshot narrowed by the change journal', () => {
  test("takes the base's entries for the paths not named as they are (no entry of theirs made again), and equals a full snapshot", async () => {
    const box = await sandbox();
    try {
      for (let d = 0; d < 5; d++) {
        await mkdir(path.join(box.project, `d${d}`));
        for (let f = 0; f < 20; f++) await writeFile(path.join(box.project, `d${d}`, `f${f}`), `${d}/${f}\n`);
      }
      const pool = new ClonePool(path.join(box.home, 'clone'));
      const first = await capture(box.project, pool, 'first', []);
      await writeFile(path.join(box.project, 'd2', 'f3'), 'changed\n');
      const narrowed = await capture(box.project, pool, 'second', [first.manifest], { narrow: { base: first.manifest, paths: ['d2/f3'], side: first.side } });
      assert.equal(narrowed.narrowed, true);
      const before = new Map(first.manifest.entries.map((e) => [e.path, e]));
      const made = narrowed.manifest.entries.filter((e) => before.get(e.path) !== e).map((e) => e.path);
      // The folder holding the changed name and that name are described again, and only the changed file's
      // entry differs: the other 104 entries are the base's own objects.
      assert.deepEqual(made, ['d2/f3']);
      const full = await capture(box.project, pool, 'third', [first.manifest]);
      assert.deepEqual(narrowed.manifest.entries, full.manifest.entries);
    } finally {
      await box.cleanup();
    }
  });

  test('walks are kept warm up to a bound over all folders: the folder snapshotted longest ago is given up first', async () => {
    const box = await sandbox();
    try {
      const folders = ['a', 'b'].map((n) => path.join(box.root, n));
      for (const dir of folders) {
        await mkdir(dir);
        for (let f = 0; f < 10; f++) await writeFile(path.join(dir, `f${f}`), `${f}\n`);
      }
      const [a, b] = folders as [string, string];
      const pool = new ClonePool(path.join(box.home, 'clone'));
      // Room for one folder's walk (10 entries) only.
      const o = { cacheDirs: true, warmEntries: 15 } as const;
      const firstA = await capture(a, pool, 'a1', [], o);
      const firstB = await capture(b, pool, 'b1', [], o);
      const againB = await capture(b, pool, 'b2', [firstB.manifest], { ...o, narrow: { base: firstB.manifest, paths: [], side: firstB.side } });
      const againA = await capture(a, pool, 'a2', [firstA.manifest], { ...o, narrow: { base: firstA.manifest, paths: [], side: firstA.side } });
      assert.equal(againB.live[0], firstB.live[0], 'the newest folder\'s walk was kept');
      assert.notEqual(againA.live[0], firstA.live[0], 'the older folder\'s walk was given up');
      assert.deepEqual(againA.live, firstA.live, 'and its listing made again from the manifest, the same');
    } finally {
      await box.cleanup();
    }
  });

  test('the next narrowed snapshot in the same process starts from the walk kept of the one before: no entry of an unchanged path is made again', async () => {
    const box = await sandbox();
    try {
      for (let d = 0; d < 3; d++) {
        await mkdir(path.join(box.project, `d${d}`));
        for (let f = 0; f < 10; f++) await writeFile(path.join(box.project, `d${d}`, `f${f}`), `${d}/${f}\n`);
        // A cache folder in each: marked unlisted, which the side lists carry to the next snapshot.
        await mkdir(path.join(box.project, `d${d}`, 'cache'));
        await writeFile(path.join(box.project, `d${d}`, 'cache', 'CACHEDIR.TAG'), CACHEDIR_SIGNATURE);
      }
      const pool = new ClonePool(path.join(box.home, 'clone'));
      const first = await capture(box.project, pool, 'first', [], { cacheDirs: true });
      await writeFile(path.join(box.project, 'd1', 'f3'), 'changed\n');
      const second = await capture(box.project, pool, 'second', [first.manifest], { cacheDirs: true, narrow: { base: first.manifest, paths: ['d1/f3'], side: first.side } });
      await writeFile(path.join(box.project, 'd2', 'f0'), 'changed again\n');
      // d2's cache folder is one no more: its mark goes.
      await rm(path.join(box.project, 'd2', 'cache', 'CACHEDIR.TAG'));
      const third = await capture(box.project, pool, 'third', [second.manifest], { cacheDirs: true, narrow: { base: second.manifest, paths: ['d2/f0', 'd2/cache/CACHEDIR.TAG'], side: second.side } });
      // The walk of d0 was made once, by the first snapshot: the later ones hand back its very entries.
      const walked = new Map(first.live.map((e) => [e.path, e]));
      for (const e of third.live.filter((x) => x.path.startsWith('d0/'))) assert.equal(walked.get(e.path), e, e.path);
      const full = await capture(box.project, pool, 'full', [first.manifest], { cacheDirs: true });
      assert.deepEqual(third.manifest.entries, full.manifest.entries);
      assert.deepEqual(third.live, full.live);
      assert.deepEqual(third.side, full.side);
      assert.deepEqual(full.side.unlisted, ['d0/cache', 'd1/cache']);
    } finally {
      await box.cleanup();
    }
  });
});
