import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { SnapshotService } from '../src/core/service.js';
import { sandbox } from './helpers.js';

// Small files are copied with direct calls (faster than the thread pool's hand-offs), so the copy loop must
// give the event loop its turns: the tray app and `snapctl serve` run snapshots in their own process.
describe('snapshots in a long-running process', () => {
  let cleanup: (() => Promise<void>) | undefined;
  after(async () => cleanup?.());

  test('a first snapshot of 12,000 small files never holds the event loop for more than 250 ms', { timeout: 120_000 }, async () => {
    const box = await sandbox();
    cleanup = box.cleanup;
    for (let d = 0; d < 120; d++) {
      const dir = path.join(box.project, `pkg-${d}`);
      await mkdir(dir, { recursive: true });
      await Promise.all(Array.from({ length: 100 }, (_, f) => writeFile(path.join(dir, `f-${f}.js`), `module.exports = ${d * 100 + f};\n`.repeat(20))));
    }
    const service = new SnapshotService({ home: box.home, env: {} });
    let last = performance.now();
    let longest = 0;
    let turns = 0;
    const timer = setInterval(() => {
      const now = performance.now();
      longest = Math.max(longest, now - last);
      last = now;
      turns++;
    }, 5);
    const started = performance.now();
    try {
      const record = await service.create({ path: box.project, provider: 'clone' });
      assert.equal(record.files, 12_000);
    } finally {
      clearInterval(timer);
    }
    const took = performance.now() - started;
    assert.ok(longest < 250, `the event loop waited ${longest.toFixed(0)} ms at most once, during a ${took.toFixed(0)} ms snapshot (${turns} turns)`);
  });
});
