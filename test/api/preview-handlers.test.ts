import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { DispatchContext } from '../../src/api/dispatch.js';
import { SnapctlRuntime } from '../../src/core/runtime/runtime.js';
import { ServiceContext } from '../../src/core/service/context.js';
import { previewRollback } from '../../src/core/service/preview.js';
import { apiCaller } from '../helpers/api.js';
import { sandbox, writeThroughMmap } from '../helpers/helpers.js';

describe('the popover\'s rollback preview', () => {
  let box: Awaited<ReturnType<typeof sandbox>>;
  let runtime: SnapctlRuntime;
  let ctx: DispatchContext;
  const { ok } = apiCaller(() => ctx);

  before(async () => {
    box = await sandbox();
    await mkdir(path.join(box.project, 'src'));
    await writeFile(path.join(box.project, 'src', 'a.js'), 'a\n');
    await writeFile(path.join(box.project, 'data.bin'), Buffer.alloc(4096, 1));
    runtime = await SnapctlRuntime.start({ home: box.home, env: {}, auditIntervalMs: 0 });
    await runtime.updateSettings({ ...runtime.currentSettings(), targets: [{ path: box.project, provider: 'clone' }], statsd: { enabled: false, host: '127.0.0.1', port: 8125, socket: null } });
    ctx = { runtime, host: 'headless' };
  });
  after(async () => { await runtime.stop(); await box.cleanup(); });

  test('is listed from the newest snapshot and the app\'s change journal, in the worker that answers it, not walked', async () => {
    const old = await ok('create', { target: box.project, tag: 'old' });
    await writeFile(path.join(box.project, 'src', 'b.js'), 'b\n');
    await ok('create', { target: box.project });
    await writeFile(path.join(box.project, 'src', 'a.js'), 'a, changed\n');
    // A change no event names: a walk sees it, a listing from the journal does not (until the idle audit).
    writeThroughMmap(path.join(box.project, 'data.bin'));
    const listed = await ok('diff', { id: old.id });
    assert.deepEqual(listed.added, ['src/b.js']);
    assert.deepEqual(listed.modified, ['src/a.js'], 'listed from the journal: the write through mmap is not seen');
    const walked = await previewRollback(new ServiceContext({ home: box.home }), old.id);
    assert.deepEqual(walked.modified, ['data.bin', 'src/a.js'], 'a fresh process walks and sees it');
  });
});
