import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, test } from 'node:test';
import { capture } from '../../../../src/core/providers/clone/capture.js';
import { ClonePool } from '../../../../src/core/providers/clone/pool.js';
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
      // The folder holding the changed name is listed again (its names, and itself); the other 84 entries are
      // the base's own objects.
      assert.deepEqual(made, ['d2', ...Array.from({ length: 20 }, (_, f) => `d2/f${f}`).sort()]);
      const full = await capture(box.project, pool, 'third', [first.manifest]);
      assert.deepEqual(narrowed.manifest.entries, full.manifest.entries);
    } finally {
      await box.cleanup();
    }
  });
});
