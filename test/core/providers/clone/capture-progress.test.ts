import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { capture } from '../../../../src/core/providers/clone/capture.js';
import { ClonePool } from '../../../../src/core/providers/clone/pool.js';
import type { CreateProgress } from '../../../../src/shared/model.js';
import { sandbox } from '../../../helpers/helpers.js';

describe("a snapshot's progress, as the capture tells it", () => {
  let cleanup: (() => Promise<void>) | undefined;
  after(async () => cleanup?.());

  test('paths listed while the folder is read, then each file as it is held, to the last; a repeat holds unchanged files at once', async () => {
    const box = await sandbox();
    cleanup = box.cleanup;
    // More paths than one walk batch, so the reading is told part way too.
    for (let d = 0; d < 25; d++) {
      await mkdir(path.join(box.project, `d${d}`));
      await Promise.all(Array.from({ length: 100 }, (_, f) => writeFile(path.join(box.project, `d${d}`, `f${f}`), 'x'.repeat(f))));
    }
    const files = 2_500;
    const bytes = 25 * (99 * 100) / 2;
    const pool = new ClonePool(path.join(box.home, 'clone'));
    const told: CreateProgress[] = [];
    const first = await capture(box.project, pool, 'first', [], { progress: (p) => told.push({ ...p }) });
    const reading = told.filter((p) => p.phase === 'reading');
    const copying = told.filter((p) => p.phase === 'copying');
    assert.deepEqual(reading[0], { phase: 'reading', files: 0, bytes: 0, totalFiles: null, totalBytes: null });
    assert.ok(reading.some((p) => p.files > 0 && p.files < files + 25), 'the paths listed so far, part way through the walk');
    assert.deepEqual(copying[0], { phase: 'copying', files: 0, bytes: 0, totalFiles: files, totalBytes: bytes }, 'the totals, once the folder is read');
    assert.equal(copying.length, files + 1, 'then each file as it is held');
    assert.deepEqual(copying.at(-1), { phase: 'copying', files, bytes, totalFiles: files, totalBytes: bytes });
    assert.equal(first.size, bytes);

    await writeFile(path.join(box.project, 'd0', 'f99'), 'changed');
    told.length = 0;
    await capture(box.project, pool, 'second', [first.manifest], { progress: (p) => told.push({ ...p }) });
    const again = told.filter((p) => p.phase === 'copying');
    const changedBytes = bytes - 99 + 'changed'.length;
    assert.deepEqual(again[0], { phase: 'copying', files: files - 1, bytes: changedBytes - 'changed'.length, totalFiles: files, totalBytes: changedBytes }, 'unchanged files are held at once');
    assert.deepEqual(again.at(-1), { phase: 'copying', files, bytes: changedBytes, totalFiles: files, totalBytes: changedBytes });
  });
});
