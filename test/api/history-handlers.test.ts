import assert from 'node:assert/strict';
import { mkdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { DispatchContext } from '../../src/api/dispatch.js';
import { apiCaller } from '../helpers/api.js';
import { SnapctlRuntime } from '../../src/core/runtime/runtime.js';
import { sandbox } from '../helpers/helpers.js';

describe('the API of a file\'s history: searchFiles, fileHistory, restoreFile', () => {
  let box: Awaited<ReturnType<typeof sandbox>>;
  let runtime: SnapctlRuntime;
  let ctx: DispatchContext;
  const { call, ok } = apiCaller(() => ctx);

  before(async () => {
    box = await sandbox();
    runtime = await SnapctlRuntime.start({ home: box.home, env: {} });
    await runtime.updateSettings({ ...runtime.currentSettings(), targets: [{ path: box.project }], statsd: { enabled: false, host: '127.0.0.1', port: 8125, socket: null } });
    ctx = { runtime, host: 'headless' };
  });
  after(async () => { await runtime.stop(); await box.cleanup(); });

  test('a search finds deleted files, a history lists versions, a restore in place is undoable and a copy never overwrites', async () => {
    await writeFile(path.join(box.project, 'Readme.md'), 'one\n');
    const first = await ok('create', { target: box.project });
    await rm(path.join(box.project, 'Readme.md'));
    await ok('create', { target: box.project });
    const found = await ok('searchFiles', { target: box.project, query: 'readme' });
    assert.deepEqual(found.matches.map((m) => [m.path, m.deleted]), [['Readme.md', true]]);
    const history = await ok('fileHistory', { target: box.project, path: 'Readme.md' });
    assert.equal(history.versions[0]?.snapshots[0]?.id, first.id);
    assert.equal(history.deletedNow, true);
    const back = await ok('restoreFile', { id: first.id, path: 'Readme.md' });
    assert.equal(back.kind, 'in-place');
    assert.equal(await readFile(path.join(box.project, 'Readme.md'), 'utf8'), 'one\n');
    await ok('undo', { target: box.project });
    const copy = await ok('restoreFile', { id: first.id, path: 'Readme.md', to: 'Readme (old).md' });
    assert.equal(copy.kind, 'copy');
    assert.equal(await readFile(path.join(box.project, 'Readme (old).md'), 'utf8'), 'one\n');
    const again = await call('restoreFile', { id: first.id, path: 'Readme.md', to: 'Readme (old).md' });
    assert.equal(again.ok, false);
  });

  test('a copy of a file whose folder is gone too is saved at the top of the folder', async () => {
    await mkdir(path.join(box.project, 'gone', 'dir'), { recursive: true });
    await writeFile(path.join(box.project, 'gone', 'dir', 'x.txt'), 'x\n');
    const snap = await ok('create', { target: box.project });
    await rm(path.join(box.project, 'gone'), { recursive: true });
    const copy = await ok('restoreFile', { id: snap.id, path: 'gone/dir/x.txt', to: `gone/dir/x (from ${snap.id}).txt` });
    assert.ok(copy.kind === 'copy' && copy.written === path.join(box.project, `x (from ${snap.id}).txt`), JSON.stringify(copy));
    assert.equal(await readFile(path.join(box.project, `x (from ${snap.id}).txt`), 'utf8'), 'x\n');
  });

  test('bad requests change nothing: a path out of the folder, a copy through a linked folder, an unknown folder', async () => {
    const first = (await ok('list', { target: box.project })).snapshots.at(-1);
    assert.ok(first);
    for (const params of [{ id: first.id, path: '../x' }, { id: first.id, path: 'Readme.md', to: '/etc/passwd' }, { id: first.id, path: 'Readme.md', to: '../out.md' }]) {
      const r = await call('restoreFile', params);
      assert.equal(r.ok, false, JSON.stringify(params));
    }
    await symlink(box.root, path.join(box.project, 'out'));
    const linked = await call('restoreFile', { id: first.id, path: 'Readme.md', to: 'out/escaped.md' });
    assert.equal(linked.ok, false);
    assert.equal((await call('searchFiles', { target: '/nowhere', query: 'x' })).ok, false);
    assert.equal((await call('searchFiles', { target: box.project, query: '' })).ok, false);
  });
});
