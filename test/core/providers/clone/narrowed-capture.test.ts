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
