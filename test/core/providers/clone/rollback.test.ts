import assert from 'node:assert/strict';
import { chmod, mkdir, readdir, readFile, rm, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, test } from 'node:test';
import { buildEveryKindTree, mutateEveryWay } from '../../../helpers/fixtures.js';
import { describeTree, sandbox, serviceSandbox } from '../../../helpers/helpers.js';
import { ServiceContext } from '../../../../src/core/service/context.js';
import { createSnapshot } from '../../../../src/core/service/create.js';
import { deleteSnapshot } from '../../../../src/core/service/delete.js';
import { previewRollback } from '../../../../src/core/service/preview.js';
import { listSnapshots } from '../../../../src/core/service/queries.js';
import { recover } from '../../../../src/core/service/recovery.js';
import { rollback, undo } from '../../../../src/core/service/rollback.js';

describe('clone provider: snapshot, rollback and undo', () => {
  const ctx = serviceSandbox();

  test('a rollback restores a tree holding every kind of entry exactly, and undo brings the changes back', async () => {
    await buildEveryKindTree(ctx.box.project);
    const original = await describeTree(ctx.box.project);
    const snap = await createSnapshot(ctx.service, { path: ctx.box.project, tag: 'before changes' });
    assert.equal(snap.state, 'ready');
    assert.ok(snap.files >= 10, `expected the files to be recorded, got ${snap.files}`);

    await mutateEveryWay(ctx.box.project);
    const mutated = await describeTree(ctx.box.project);
    assert.notDeepEqual(mutated, original);

    const result = await rollback(ctx.service, snap.id);
    assert.deepEqual(await describeTree(ctx.box.project), original);
    assert.equal(result.safety?.trigger, 'safety');

    await undo(ctx.service);
    assert.deepEqual(await describeTree(ctx.box.project), mutated);
  });

  test('a partial rollback restores only the chosen paths', async () => {
    const dir = path.join(ctx.box.root, 'partial');
    await mkdir(path.join(dir, 'a'), { recursive: true });
    await mkdir(path.join(dir, 'b'), { recursive: true });
    await writeFile(path.join(dir, 'a', 'file'), 'a1');
    await writeFile(path.join(dir, 'b', 'file'), 'b1');
    const snap = await createSnapshot(ctx.service, { path: dir });
    await writeFile(path.join(dir, 'a', 'file'), 'a2');
    await writeFile(path.join(dir, 'a', 'extra'), 'extra');
    await writeFile(path.join(dir, 'b', 'file'), 'b2');
    await rollback(ctx.service, snap.id, { paths: ['a'] });
    assert.equal(await readFile(path.join(dir, 'a', 'file'), 'utf8'), 'a1');
    assert.deepEqual((await readdir(path.join(dir, 'a'))).sort(), ['file']);
    assert.equal(await readFile(path.join(dir, 'b', 'file'), 'utf8'), 'b2', 'paths outside the scope are left alone');
  });

  test('a symlink planted where a snapshot folder was is replaced, never written through', async () => {
    const dir = path.join(ctx.box.root, 'planted');
    const outside = path.join(ctx.box.root, 'outside');
    await mkdir(path.join(dir, 'config'), { recursive: true });
    await mkdir(outside);
    await writeFile(path.join(dir, 'config', 'settings.json'), '{"a":1}');
    const snap = await createSnapshot(ctx.service, { path: dir });
    await rm(path.join(dir, 'config'), { recursive: true });
    await symlink(outside, path.join(dir, 'config'));
    await rollback(ctx.service, snap.id);
    assert.deepEqual(await readdir(outside), [], 'nothing was written outside the target');
    assert.equal(await readFile(path.join(dir, 'config', 'settings.json'), 'utf8'), '{"a":1}');
  });

  test('diff lists added, removed and modified paths, and a touched-only file is not modified', async () => {
    const dir = path.join(ctx.box.root, 'diffed');
    await mkdir(dir);
    await writeFile(path.join(dir, 'same'), 'same');
    await writeFile(path.join(dir, 'touched'), 'touched');
    await writeFile(path.join(dir, 'changed'), 'v1');
    await writeFile(path.join(dir, 'gone'), 'gone');
    const snap = await createSnapshot(ctx.service, { path: dir });
    const later = new Date(Date.now() + 60_000);
    await utimes(path.join(dir, 'touched'), later, later);
    await writeFile(path.join(dir, 'changed'), 'v2');
    await rm(path.join(dir, 'gone'));
    await writeFile(path.join(dir, 'new'), 'new');
    const { added, removed, modified } = await previewRollback(ctx.service, snap.id);
    assert.deepEqual({ added, removed, modified }, { added: ['new'], removed: ['gone'], modified: ['changed'] });
  });

  test('a repeat snapshot copies only what changed and deleting snapshots frees their data', async () => {
    const dir = path.join(ctx.box.root, 'incremental');
    await mkdir(dir);
    for (let i = 0; i < 20; i++) await writeFile(path.join(dir, `f${i}`), Buffer.alloc(1000, i));
    const first = await createSnapshot(ctx.service, { path: dir });
    assert.equal(first.addedBytes, 20_000);
    await writeFile(path.join(dir, 'f3'), Buffer.alloc(500, 9));
    const second = await createSnapshot(ctx.service, { path: dir });
    assert.equal(second.size, 19_500);
    assert.equal(second.addedBytes, 500, 'only the changed file is copied again');

    const objectsDir = path.join(ctx.box.home, 'clone', 'objects');
    const countObjects = async (): Promise<number> => {
      let n = 0;
      for (const sub of await readdir(objectsDir)) n += (await readdir(path.join(objectsDir, sub))).length;
      return n;
    };
    const beforeDelete = await countObjects();
    await deleteSnapshot(ctx.service, first.id);
    assert.equal(await countObjects(), beforeDelete - 1, 'the one object only the first snapshot used is freed');
    await rollback(ctx.service, second.id);
    assert.equal((await readFile(path.join(dir, 'f3'))).length, 500);
    assert.equal((await readFile(path.join(dir, 'f4')))[0], 4, 'shared objects survive the delete');
  });

  test('a file whose mode changed between snapshots comes back with the mode of the snapshot rolled back to', async () => {
    const dir = path.join(ctx.box.root, 'modes');
    await mkdir(dir);
    const file = path.join(dir, 'tool');
    await writeFile(file, '#!/bin/sh\n');
    await chmod(file, 0o644);
    await createSnapshot(ctx.service, { path: dir });
    await chmod(file, 0o755); // same content and mtime: the second snapshot shares the first one's object
    const executable = await createSnapshot(ctx.service, { path: dir });
    assert.equal(executable.addedBytes, 0);
    await rm(file);
    await rollback(ctx.service, executable.id);
    assert.equal((await stat(file)).mode & 0o777, 0o755);
  });

  test('the snapctl data folder and the filesystem root are refused as targets', async () => {
    await assert.rejects(createSnapshot(ctx.service, { path: '/' }), /filesystem root/);
    await mkdir(ctx.box.home, { recursive: true });
    await assert.rejects(createSnapshot(ctx.service, { path: ctx.box.home }), /inside snapctl's own data folder/);
    await assert.rejects(createSnapshot(ctx.service, { path: ctx.box.root }), /holds snapctl's own data folder/);
  });
});

describe('clone provider: sharing unchanged files', () => {
  test("a rollback's safety snapshot shares what the restored snapshot already holds instead of copying it again", async () => {
    const box = await sandbox();
    try {
      const service = new ServiceContext({ home: box.home });
      await writeFile(path.join(box.project, 'a.txt'), 'a'.repeat(1000));
      await writeFile(path.join(box.project, 'b.txt'), 'b'.repeat(2000));
      const base = await createSnapshot(service, { path: box.project });
      await writeFile(path.join(box.project, 'a.txt'), 'A'.repeat(1000));
      const first = await rollback(service, base.id); // a.txt is put back as it was in `base`
      assert.equal(first.safety?.addedBytes, 1000, 'the first safety snapshot copies the edited a.txt');
      await writeFile(path.join(box.project, 'b.txt'), 'B'.repeat(2000));
      const second = await rollback(service, base.id);
      // a.txt now matches `base` (not the latest snapshot, which holds the edit): only b.txt is new.
      assert.equal(second.safety?.addedBytes, 2000);
    } finally {
      await box.cleanup();
    }
  });
});

describe('a snapshot whose data was edited to reach outside its folder', () => {
  test('is refused as damaged before anything is written: no safety snapshot, no journal, the folder untouched', async () => {
    const box = await sandbox();
    try {
      const service = new ServiceContext({ home: box.home });
      await writeFile(path.join(box.project, 'a.txt'), 'one\n');
      const snap = await createSnapshot(service, { path: box.project });
      await writeFile(path.join(box.project, 'a.txt'), 'two\n');
      const manifestFile = path.join(box.home, 'clone', 'manifests', `${snap.ref}.json`);
      const manifest = JSON.parse(await readFile(manifestFile, 'utf8')) as { entries: { path: string }[] };
      const victim = manifest.entries.find((e) => e.path === 'a.txt');
      assert.ok(victim);
      victim.path = '../escaped.txt';
      await writeFile(manifestFile, JSON.stringify(manifest));
      const before = await describeTree(box.project);
      const count = (await listSnapshots(service)).length;

      await assert.rejects(rollback(new ServiceContext({ home: box.home }), snap.id), (err: Error) => /damaged/.test(err.message));
      assert.deepEqual(await describeTree(box.project), before);
      assert.deepEqual(await readdir(box.root).then((names) => names.filter((n) => n.startsWith('escaped'))), []);
      assert.equal((await listSnapshots(service)).length, count, 'no safety snapshot was taken');
      assert.deepEqual(await recover(new ServiceContext({ home: box.home })), [], 'no journal was left to finish');
    } finally {
      await box.cleanup();
    }
  });
});
