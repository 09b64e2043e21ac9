import assert from 'node:assert/strict';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { DispatchContext } from '../../src/api/dispatch.js';
import { apiCaller } from '../helpers/api.js';
import { SnapctlRuntime } from '../../src/core/runtime/runtime.js';
import type { ApiMethod } from '../../src/shared/api.js';
import { sandbox } from '../helpers/helpers.js';
import { z } from 'zod';
import { API_FIELD_WORDS, apiRequestSchemas } from '../../src/shared/api-schemas.js';

describe('the API: rollbacks, undo offers, folders, settings and problems', () => {
  let box: Awaited<ReturnType<typeof sandbox>>;
  let runtime: SnapctlRuntime;
  let ctx: DispatchContext;
  let other: string;
  const { call, ok } = apiCaller(() => ctx);

  before(async () => {
    box = await sandbox();
    other = path.join(box.root, 'other');
    await mkdir(other);
    await writeFile(path.join(box.project, 'a.txt'), 'one\n');
    await writeFile(path.join(other, 'b.txt'), 'b\n');
    runtime = await SnapctlRuntime.start({ home: box.home, env: {} });
    await runtime.updateSettings({ ...runtime.currentSettings(), targets: [{ path: box.project }, { path: other, keepGit: true }], statsd: { enabled: false, host: '127.0.0.1', port: 8125, socket: null } });
    ctx = { runtime, host: 'headless' };
  });
  after(async () => { await runtime.stop(); await box.cleanup(); });

  test('list takes one folder and returns its snapshots with its rollbacks', async () => {
    const mine = await ok('create', { target: box.project, tag: 'mine' });
    await ok('create', { target: other });
    await writeFile(path.join(box.project, 'a.txt'), 'two\n');
    const rb = await ok('rollback', { id: mine.id });
    const view = await ok('list', { target: box.project });
    assert.ok(view.snapshots.every((s) => s.target === box.project), 'only that folder');
    assert.deepEqual(view.rollbacks.map((r) => r.safetyId), [rb.safety?.id]);
    assert.equal((await ok('list', { target: other })).rollbacks.length, 0);
    const status = await ok('status', {});
    const t = status.targets.find((x) => x.path === box.project);
    assert.equal(t?.undo?.rollback.safetyId, rb.safety?.id, 'undo stays offered after the dialog closes');
    assert.equal(t?.newest?.id, rb.safety?.id);
    assert.equal(status.targets.find((x) => x.path === other)?.keepGit, true);
    await ok('undo', { target: box.project });
    const again = await call('undo', { target: box.project });
    assert.ok(!again.ok && again.kind === 'nothing-to-do' && /already undone/.test(again.error));
    assert.equal(await readFile(path.join(box.project, 'a.txt'), 'utf8'), 'two\n');
  });

  test('deleting the safety snapshot the undo restores needs undoLossConfirmed: refused without it in one sentence, nothing deleted', async () => {
    const dir = path.join(box.root, 'guarded');
    await mkdir(dir);
    await writeFile(path.join(dir, 'a.txt'), 'one\n');
    const snap = await ok('create', { target: dir, tag: 'guarded' });
    await writeFile(path.join(dir, 'a.txt'), 'two\n');
    const safety = (await ok('rollback', { id: snap.id })).safety?.id ?? '';
    const refused = await call('delete', { id: safety });
    assert.ok(!refused.ok, 'refused');
    assert.equal(refused.kind, 'usage');
    assert.match(refused.error, new RegExp(`^deleting ${safety} takes away the undo of the last rollback of ${dir} \\(rolled back to 'guarded' at \\d\\d:\\d\\d\\): it is the safety snapshot that undo restores \\(confirm that the undo may be lost .*; nothing was deleted\\)$`));
    assert.ok((await ok('list', { target: dir })).snapshots.some((s) => s.id === safety), 'still there');
    assert.ok(!(await call('delete', { id: safety, undoLossConfirmed: false })).ok, 'false is no confirmation');
    assert.equal((await ok('delete', { id: snap.id })).id, snap.id, 'any other snapshot needs nothing');
    assert.equal((await ok('delete', { id: safety, undoLossConfirmed: true })).id, safety);
  });

  test("diff and rollback take keepGit, defaulting to the folder's setting", async () => {
    const snap = await ok('create', { target: other });
    assert.equal((await ok('diff', { id: snap.id })).keepGit, true);
    assert.equal((await ok('diff', { id: snap.id, keepGit: false })).keepGit, false);
    const same = await ok('rollback', { id: snap.id });
    assert.equal(same.nothingToChange, true);
    assert.equal(same.safety, null);
  });

  test('fileDiff, checkSchedule and detect', async () => {
    const snap = await ok('create', { target: box.project });
    await writeFile(path.join(box.project, 'a.txt'), 'three\n');
    const fd = await ok('fileDiff', { id: snap.id, path: 'a.txt' });
    assert.equal(fd.kind, 'text');
    const bad = await call('fileDiff', { id: snap.id, path: '../a.txt' });
    assert.ok(!bad.ok && bad.kind === 'usage');
    assert.deepEqual(await ok('checkSchedule', { schedule: '61 * * * *' }), { ok: false, schedule: '61 * * * *', error: 'the minute must be 0-59; 61 was given' });
    const good = await ok('checkSchedule', { schedule: '0 * * * *' });
    assert.ok(good.ok && good.description === 'every hour at :00' && good.next.length === 3);
    const missing = await call('detect', { path: path.join(box.root, 'does-not-exist') });
    assert.ok(!missing.ok);
    assert.equal(missing.error, `the folder ${path.join(box.root, 'does-not-exist')} does not exist (choose a folder that exists)`);
    const file = await call('detect', { path: path.join(box.project, 'a.txt') });
    assert.ok(!file.ok && /is not a folder/.test(file.error));
    const onboard = await call('setSettings', { settings: { ...runtime.currentSettings(), targets: [...runtime.currentSettings().targets, { path: path.join(box.root, 'nowhere') }] } });
    assert.ok(!onboard.ok && /does not exist/.test(onboard.error), 'settings refuse a new folder that does not exist');
  });

  test('retry returns the folder status; a deleted project folder rolls back through the API', async () => {
    const snap = await ok('create', { target: box.project });
    const st = await ok('retry', { target: box.project });
    assert.equal(st.path, box.project);
    assert.equal(st.unfinished, null);
    await rm(box.project, { recursive: true });
    const preview = await ok('diff', { id: snap.id });
    assert.deepEqual(preview.added, []);
    assert.ok(preview.removed.includes('a.txt'), 'everything is brought back');
    const status = await ok('status', {});
    assert.match(status.targets.find((t) => t.path === box.project)?.problems.join(' ') ?? '', /no longer exists/);
    const rb = await ok('rollback', { id: snap.id });
    assert.equal(rb.restored.broughtBack, preview.removed.length);
    assert.equal(await readFile(path.join(box.project, 'a.txt'), 'utf8'), 'three\n');
    assert.equal((await ok('status', {})).targets.find((t) => t.path === box.project)?.problems.length, 0, 'the problem goes with its cause');
  });

  test('a failed scheduled snapshot is a problem of its folder until a later snapshot of it succeeds', async () => {
    const folder = path.join(box.root, 'sched');
    await mkdir(folder);
    await runtime.updateSettings({ ...runtime.currentSettings(), targets: [...runtime.currentSettings().targets, { path: folder }] });
    await rm(folder, { recursive: true });
    const report = await runtime.scheduler.run(folder, 'manual');
    assert.equal(report.ok, false);
    const problems = (await ok('status', {})).targets.find((t) => t.path === folder)?.problems ?? [];
    assert.ok(problems.some((p) => /scheduled snapshot at \d\d:\d\d failed/.test(p)), problems.join('; '));
    await mkdir(folder);
    await ok('create', { target: folder });
    const after = (await ok('status', {})).targets.find((t) => t.path === folder)?.problems ?? [];
    assert.deepEqual(after, []);
    assert.deepEqual((await ok('status', {})).problems, [], 'nothing sticky left behind');
  });

  test('setSettings refuses the filesystem root, the state folder and a folder inside it, in plain words; list takes dir/ and dir/./ as the folder', async () => {
    const before = runtime.currentSettings();
    const inside = path.join(box.home, 'clone');
    await mkdir(inside, { recursive: true });
    for (const [folder, said] of [['/', /the folder \/ is the whole filesystem/], [box.home, /cannot be watched: .*snapctl's own data folder/], [inside, /cannot be watched: .*inside snapctl's own data folder/]] as const) {
      const r = await call('setSettings', { settings: { ...before, targets: [...before.targets, { path: folder }] } });
      assert.equal(r.ok, false, folder);
      if (!r.ok) { assert.match(r.error, said); assert.match(r.error, /nothing was saved/); assert.doesNotMatch(r.error, /targets\.\d/); }
    }
    assert.deepEqual(runtime.currentSettings().targets, before.targets, 'nothing was saved');
    const plain = await ok('list', { target: box.project });
    assert.ok(plain.snapshots.length > 0);
    for (const spelled of [`${box.project}/`, `${box.project}/./`]) {
      const view = await ok('list', { target: spelled });
      assert.deepEqual(view.snapshots.map((s) => s.id), plain.snapshots.map((s) => s.id), spelled);
    }
  });

  test("a refused request says in plain sentences which field is wrong and what it must be, never the validator's words", async () => {
    const snap = await ok('create', { target: box.project });
    const cases: [ApiMethod, unknown, string][] = [
      ['delete', { id: 5 }, "invalid delete request: id must be a whole snapshot id, such as 20261201-140200-1a2b3c (text); the API takes neither the beginning of an id nor 'latest' (the list method gives every id); the number 5 was given"],
      ['delete', {}, 'invalid delete request: id is missing: it must be a whole snapshot id'],
      ['rollback', { id: snap.id, keepGit: 'yes' }, 'invalid rollback request: keepGit must be true or false; "yes" was given'],
      ['diff', { id: snap.id, paths: ['a.txt', 5] }, 'invalid diff request: paths[1] must be a path inside the folder (text, relative, without .. segments); the number 5 was given'],
      ['diff', { id: snap.id, paths: 'a.txt' }, 'invalid diff request: paths must be a list of at most 1000 paths inside the folder, or null for the whole folder; "a.txt" was given'],
      ['fileDiff', { id: snap.id, path: '../etc/passwd' }, 'invalid fileDiff request: path must be a path inside the folder (text, relative, without .. segments); "../etc/passwd" was given'],
      ['create', { tag: 'x'.repeat(300) }, 'invalid create request: tag must be text of at most 200 characters, or null; text of 300 characters was given'],
      ['list', { target: 'relative/dir' }, 'invalid list request: target must be an absolute folder path (text starting with /); "relative/dir" was given'],
      ['setPaused', { paused: 1, also: true }, 'invalid setPaused request: paused must be true or false; the number 1 was given; "also" is not a field of setPaused (it takes paused)'],
      ['status', { extra: 1 }, 'invalid status request: "extra" is not a field of status (it takes none)'],
      ['undo', 'now', 'invalid undo request: undo takes an object of named fields (it takes target); "now" was given'],
      ['searchFiles', { target: box.project, query: '' }, 'invalid searchFiles request: query must be a part of a path or a glob (text of 1 to 1000 characters); "" was given'],
    ];
    for (const [method, params, said] of cases) {
      const r = await call(method, params);
      assert.ok(!r.ok, method);
      assert.equal(r.kind, 'usage');
      assert.ok(r.error.startsWith(said), `${method} ${JSON.stringify(params)}:\n  ${r.error}\n  ${said}`);
      assert.doesNotMatch(r.error, /expected|received|Invalid|Unrecognized|Too (big|small)|params\.|\bid\.|: not a snapshot id/, r.error);
    }
    // Every field of every method has its words, so no refusal falls back to a bare "must be valid".
    for (const [method, schema] of Object.entries(apiRequestSchemas)) {
      if (schema instanceof z.ZodObject) for (const field of Object.keys(schema.shape)) assert.ok(API_FIELD_WORDS[field], `${method}.${field} has words`);
    }
  });

  test('the API takes whole snapshot ids only: a unique beginning or latest is refused, saying so; nothing is deleted', async () => {
    const snap = await ok('create', { target: box.project, tag: 'whole ids' });
    for (const id of [snap.id.slice(0, 17), 'latest']) {
      for (const method of ['delete', 'rollback', 'diff'] as const) {
        const r = await call(method, { id });
        assert.ok(!r.ok && r.kind === 'usage', `${method} ${id}`);
        assert.equal(r.error, `invalid ${method} request: id must be a whole snapshot id, such as 20261201-140200-1a2b3c (text); the API takes neither the beginning of an id nor 'latest' (the list method gives every id); ${JSON.stringify(id)} was given`);
      }
    }
    assert.ok((await ok('list', { target: box.project })).snapshots.some((s) => s.id === snap.id), 'still there');
    assert.equal((await ok('delete', { id: snap.id })).id, snap.id, 'the whole id works');
  });
});
