import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, test } from 'node:test';
import { QueryPool } from '../../../src/core/runtime/query-pool.js';
import type { Settings } from '../../../src/core/state/settings.js';
import { serviceSandbox } from '../../helpers/helpers.js';
import { apfsEnv } from '../../helpers/provider-envs.js';
import { ServiceContext } from '../../../src/core/service/context.js';
import { createSnapshot } from '../../../src/core/service/create.js';
import { fileDiff } from '../../../src/core/service/preview.js';
import { listSnapshots } from '../../../src/core/service/queries.js';

describe('the pool of query workers', () => {
  const ctx = serviceSandbox();
  const settings = { version: 1, targets: [] } as unknown as Settings;
  const pool = (workerFile?: URL | null): QueryPool => new QueryPool({ home: ctx.box.home, env: process.env, adminPrompt: false, settings: () => settings, local: ctx.service, ...(workerFile === undefined ? {} : { workerFile }) });

  test('a query is answered in a worker thread, the same as in this one, and the worker ends with stop', async () => {
    await writeFile(path.join(ctx.box.project, 'a.txt'), 'one\n');
    const snap = await createSnapshot(ctx.service, { path: ctx.box.project });
    await writeFile(path.join(ctx.box.project, 'a.txt'), 'two\n');
    const workers = pool();
    const inWorker = await workers.run({ method: 'fileDiff', args: { id: snap.id, path: 'a.txt' } });
    assert.equal(workers.workers, 1);
    assert.deepEqual(inWorker, await fileDiff(ctx.service, snap.id, 'a.txt'));
    const found = await workers.run({ method: 'find', args: { target: ctx.box.project, query: '*.txt', limit: 10 } });
    assert.deepEqual(found.matches.map((m) => m.path), ['a.txt']);
    const refused = await workers.run({ method: 'fileDiff', args: { id: 'nope', path: 'a.txt' } }).catch((err: Error & { kind?: string }) => err);
    assert.ok(refused instanceof Error && refused.kind === 'usage', 'an error keeps its kind across the thread');
    await workers.stop();
    assert.equal(workers.workers, 0);
    await assert.rejects(workers.run({ method: 'fileDiff', args: { id: snap.id, path: 'a.txt' } }), /snapctl is stopping/);
  });

  test('where a worker cannot start (its code missing, or failing to load), this thread answers', async () => {
    const [snap] = await listSnapshots(ctx.service);
    assert.ok(snap);
    const broken = path.join(ctx.box.root, 'broken-worker.mjs');
    await writeFile(broken, "throw new Error('cannot load here');\n");
    for (const file of [null, pathToFileURL(broken)]) {
      const p = pool(file);
      const view: { kind: string } = await p.run({ method: 'fileDiff', args: { id: snap.id, path: 'a.txt' } });
      assert.equal(view.kind, 'text');
      assert.equal(p.workers, 0);
      await p.stop();
    }
  });

  test("a password prompt a worker's query needs runs the app's own 'around' in this thread (the tray app keeps its popover up)", async () => {
    const pe = await apfsEnv();
    try {
      const env = { ...process.env, ...pe.env };
      const service = new ServiceContext({ home: pe.home, env, adminPrompt: true });
      await writeFile(path.join(pe.target, 'a.txt'), 'one\n');
      const snap = await createSnapshot(service, { path: pe.target, provider: 'apfs' });
      await writeFile(path.join(pe.target, 'a.txt'), 'two\n');
      const events: string[] = [];
      const around = async <T>(step: () => Promise<T>): Promise<T> => {
        events.push('asking');
        try { return await step(); } finally { events.push('answered'); }
      };
      const workers = new QueryPool({ home: pe.home, env, adminPrompt: { around }, settings: () => settings, local: service });
      await pe.setMode('not-root');
      try {
        const view = await workers.run({ method: 'fileDiff', args: { id: snap.id, path: 'a.txt' } });
        assert.equal(view.kind, 'text');
        assert.equal(workers.workers, 1, 'answered in a worker');
      } finally {
        await pe.setMode('sonoma');
        await workers.stop();
      }
      assert.ok(events.length >= 2, 'the mount asked for the password through this thread');
      assert.deepEqual(events, events.map((_e, i) => (i % 2 === 0 ? 'asking' : 'answered')));
    } finally {
      await pe.cleanup();
    }
  });
});
