import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { DispatchContext } from '../../src/api/dispatch.js';
import { handlers } from '../../src/api/handlers.js';
import { SnapctlRuntime } from '../../src/core/runtime/runtime.js';
import type { ApiResponses } from '../../src/shared/api.js';
import type { CreateProgress } from '../../src/shared/model.js';
import { apiCaller } from '../helpers/api.js';
import { sandbox } from '../helpers/helpers.js';

const FILES = 3_000;

/** How far a snapshot being taken has got: what the popover's progress bar polls, and what status says of a folder. */
describe('a snapshot being taken, seen through the API', () => {
  let box: Awaited<ReturnType<typeof sandbox>>;
  let runtime: SnapctlRuntime;
  let ctx: DispatchContext;
  let bytes = 0;
  const { ok } = apiCaller(() => ctx);

  before(async () => {
    box = await sandbox();
    for (let d = 0; d < 30; d++) {
      await mkdir(path.join(box.project, `d${d}`));
      await Promise.all(Array.from({ length: FILES / 30 }, (_, f) => {
        const text = `file ${d}/${f}\n`.repeat(f % 7);
        bytes += text.length;
        return writeFile(path.join(box.project, `d${d}`, `f${f}.txt`), text);
      }));
    }
    runtime = await SnapctlRuntime.start({ home: box.home, env: {} });
    await runtime.updateSettings({ ...runtime.currentSettings(), targets: [{ path: box.project }], statsd: { enabled: false, host: '127.0.0.1', port: 8125, socket: null } });
    ctx = { runtime, host: 'headless' };
  });
  after(async () => { await runtime.stop(); await box.cleanup(); });

  test('while it is taken, progress and status name it with the files and bytes held of the total; after, nothing', async () => {
    const told: CreateProgress[] = [];
    // Asked from inside the snapshot, at each step it reports: what the API answers at that very moment.
    const asked: Promise<[ApiResponses['progress'], ApiResponses['status']]>[] = [];
    const stop = runtime.service.onEvent((e) => {
      if (e.type !== 'snapshot-progress') return;
      told.push(e.progress);
      asked.push(Promise.all([handlers.progress(ctx, {}), handlers.status(ctx, {})]));
    });
    const made = await ok('create', { target: box.project, tag: 'big' });
    stop();

    assert.equal(told[0]?.phase, 'reading', 'first the folder is read');
    const copying = told.filter((p) => p.phase === 'copying');
    assert.ok(copying.length >= 2, JSON.stringify(told));
    assert.deepEqual([...new Set(told.map((p) => p.phase))], ['reading', 'copying', 'saving'], 'in this order, never back');
    assert.ok(told.findIndex((p) => p.phase === 'copying') > told.findLastIndex((p) => p.phase === 'reading'));
    for (let i = 1; i < copying.length; i++) assert.ok((copying[i]?.files ?? 0) >= (copying[i - 1]?.files ?? 0), 'files only go up');
    assert.deepEqual(copying.at(-1), { phase: 'copying', files: FILES, bytes, totalFiles: FILES, totalBytes: bytes }, 'every file held');
    assert.deepEqual(told.at(-1), { phase: 'saving', files: FILES, bytes, totalFiles: FILES, totalBytes: bytes }, 'then what it holds is written down');
    assert.equal(made.files, FILES);
    assert.equal(made.size, bytes);

    const [progress, status] = await (asked.at(-1) ?? Promise.reject(new Error('nothing asked')));
    assert.equal(progress.taking.length, 1);
    assert.equal(progress.taking[0]?.target, box.project);
    assert.equal(progress.taking[0]?.trigger, 'manual');
    assert.equal(progress.taking[0]?.progress?.files, FILES);
    assert.equal(status.targets.find((t) => t.path === box.project)?.taking?.id, progress.taking[0]?.id, 'status says a snapshot of the folder is being taken (a scheduled one, say)');

    assert.deepEqual(await ok('progress', {}), { taking: [] });
    assert.equal((await ok('status', {})).targets.find((t) => t.path === box.project)?.taking, null);
  });

  test('a snapshot that stops (a rollback with nothing to change stops its safety snapshot) leaves nothing said to be in progress', async () => {
    const snap = await ok('create', { target: box.project });
    const same = await ok('rollback', { id: snap.id });
    assert.equal(same.nothingToChange, true);
    assert.deepEqual(await ok('progress', {}), { taking: [] });
  });
});
