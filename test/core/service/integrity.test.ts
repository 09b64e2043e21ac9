import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, readdir, readFile, rename, stat, truncate, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, test } from 'node:test';
import { SnapctlError } from '../../../src/core/base/errors.js';
import { describeTree, parseJson, runCli, type Sandbox, serviceSandbox } from '../../helpers/helpers.js';
import { ServiceContext } from '../../../src/core/service/context.js';
import { createSnapshot } from '../../../src/core/service/create.js';
import { deleteSnapshot } from '../../../src/core/service/delete.js';
import { previewRollback } from '../../../src/core/service/preview.js';
import { getSnapshot, listSnapshots } from '../../../src/core/service/queries.js';
import { rollback, undo } from '../../../src/core/service/rollback.js';
import { verifySnapshots } from '../../../src/core/service/verify.js';

type Box = Sandbox;

/** The object file holding `rel`'s content in the clone store, from the snapshot's manifest. */
async function objectOf(home: string, snapshotId: string, rel: string): Promise<string> {
  const manifest = JSON.parse(await readFile(path.join(home, 'clone', 'manifests', `${snapshotId}.json`), 'utf8')) as { entries: { path: string; oid?: string }[] };
  const oid = manifest.entries.find((e) => e.path === rel)?.oid;
  assert.ok(oid, `no object for ${rel}`);
  return path.join(home, 'clone', 'objects', oid.slice(0, 2), oid);
}

async function project(box: Box, name: string): Promise<string> {
  const dir = path.join(box.root, name);
  await mkdir(path.join(dir, 'src'), { recursive: true });
  await writeFile(path.join(dir, 'README.md'), '# project\n');
  await writeFile(path.join(dir, 'src', 'main.js'), 'console.log("one");\n');
  await writeFile(path.join(dir, 'src', 'util.js'), 'export const two = 2;\n');
  return dir;
}

describe('the store never restores damaged data', () => {
  const ctx = serviceSandbox();

  for (const [damage, spoil] of [
    ['edited in place (same size)', (f: string) => writeFile(f, 'console.log("0NE");\n')],
    ['truncated', (f: string) => truncate(f, 3)],
    ['deleted', (f: string) => unlink(f)],
  ] as const) {
    test(`an object ${damage} is refused before the rollback changes anything, naming the snapshot and the path`, async () => {
      const dir = await project(ctx.box, `damaged-${damage.split(' ')[0]}`);
      const snap = await createSnapshot(ctx.service, { path: dir, tag: 'good' });
      await writeFile(path.join(dir, 'src', 'main.js'), 'console.log("edited");\n');
      await writeFile(path.join(dir, 'new.txt'), 'added since\n');
      await unlink(path.join(dir, 'README.md'));
      const before = await describeTree(dir);
      await spoil(await objectOf(ctx.box.home, snap.id, 'src/main.js'));

      await assert.rejects(rollback(ctx.service, snap.id), (err: unknown) => {
        assert.ok(err instanceof SnapctlError);
        assert.equal(err.kind, 'corrupt');
        assert.match(err.message, new RegExp(`snapshot ${snap.id} .* is damaged`));
        assert.match(err.message, /"src\/main\.js"/);
        assert.match(err.hint ?? '', /nothing in the folder was changed/);
        assert.doesNotMatch(`${err.message} ${err.hint ?? ''}`, /undo/);
        return true;
      });
      assert.deepEqual(await describeTree(dir), before, 'the folder is untouched');
      assert.deepEqual(await readdir(path.join(ctx.box.home, 'journal')).catch(() => []), [], 'no journal left to block the folder');
      assert.equal((await getSnapshot(ctx.service, snap.id)).state, 'damaged');
      assert.equal((await listSnapshots(ctx.service, { target: dir })).filter((s) => s.trigger === 'safety').length, 0, 'the refused rollback keeps no safety snapshot');

      // The paths that are whole still come back.
      await rollback(ctx.service, snap.id, { paths: ['README.md'] });
      assert.equal(await readFile(path.join(dir, 'README.md'), 'utf8'), '# project\n');
    });
  }

  test('verify names each damaged snapshot and path, marks it damaged, and exits 1; whole again, it is ready again', async () => {
    const dir = await project(ctx.box, 'verify');
    const home = path.join(ctx.box.root, 'verify-home');
    const env = { SNAPCTL_HOME: home };
    const first = parseJson<{ id: string }>((await runCli(['create', '--path', dir, '--json'], env)).stdout).id;
    await writeFile(path.join(dir, 'src', 'util.js'), 'export const two = 3;\n');
    const second = parseJson<{ id: string }>((await runCli(['create', '--path', dir, '--json'], env)).stdout).id;
    assert.equal((await runCli(['verify'], env)).code, 0);

    const object = await objectOf(home, first, 'src/util.js');
    const good = await readFile(object);
    await writeFile(object, 'export const two = 9;\n');
    const r = await runCli(['verify'], env);
    assert.equal(r.code, 1, r.stdout);
    assert.match(r.stdout, new RegExp(`damaged ${first} of ${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    assert.match(r.stdout, /"src\/util\.js": its stored copy was changed/);
    assert.doesNotMatch(r.stdout, new RegExp(`damaged ${second}`));
    const reports = parseJson<{ id: string; problems: { path: string }[] }[]>((await runCli(['verify', first, '--json'], env)).stdout);
    assert.deepEqual(reports.map((x) => [x.id, x.problems.map((p) => p.path)]), [[first, ['src/util.js']]]);
    const listed = parseJson<{ id: string; state: string }[]>((await runCli(['list', '--json'], env)).stdout);
    assert.equal(listed.find((s) => s.id === first)?.state, 'damaged');

    await writeFile(object, good);
    assert.equal((await runCli(['verify'], env)).code, 0);
    const again = parseJson<{ id: string; state: string }[]>((await runCli(['list', '--json'], env)).stdout);
    assert.equal(again.find((s) => s.id === first)?.state, 'ready');
  });

  test('a damaged object is never shared by a new snapshot: the good copy replaces it, healing the old one', async () => {
    const dir = await project(ctx.box, 'heal');
    const home = path.join(ctx.box.root, 'heal-home');
    const own = new ServiceContext({ home });
    const first = await createSnapshot(own, { path: dir });
    await writeFile(await objectOf(home, first.id, 'README.md'), '# tampered\n');
    await writeFile(path.join(dir, 'copy.md'), '# project\n');
    const second = await createSnapshot(own, { path: dir });
    for (const r of await verifySnapshots(own)) assert.deepEqual(r.problems, [], `${r.id === first.id ? 'the first' : 'the second'} snapshot is whole`);
    await writeFile(path.join(dir, 'README.md'), 'edited\n');
    await rollback(own, second.id);
    assert.equal(await readFile(path.join(dir, 'README.md'), 'utf8'), '# project\n');
  });

  test('an entry written before hashes were kept is still checked by its object\'s name', async () => {
    const dir = await project(ctx.box, 'legacy');
    const home = path.join(ctx.box.root, 'legacy-home');
    const own = new ServiceContext({ home });
    const snap = await createSnapshot(own, { path: dir });
    const manifestFile = path.join(home, 'clone', 'manifests', `${snap.id}.json`);
    const manifest = JSON.parse(await readFile(manifestFile, 'utf8')) as { entries: Record<string, unknown>[] };
    for (const e of manifest.entries) { delete e['hash']; delete e['ino']; delete e['ctimeNs']; }
    await writeFile(manifestFile, JSON.stringify(manifest));
    await writeFile(await objectOf(home, snap.id, 'src/main.js'), 'console.log("0NE");\n');
    await writeFile(path.join(dir, 'src', 'main.js'), 'changed\n');
    await assert.rejects(rollback(new ServiceContext({ home }), snap.id), /is damaged/);
    assert.equal(await readFile(path.join(dir, 'src', 'main.js'), 'utf8'), 'changed\n');
  });

  test('objects a killed collection left in trash/ are put back, and what no snapshot names is collected', async () => {
    const dir = await project(ctx.box, 'trash');
    const home = path.join(ctx.box.root, 'trash-home');
    const own = new ServiceContext({ home });
    const keep = await createSnapshot(own, { path: dir });
    const object = await objectOf(home, keep.id, 'README.md');
    await mkdir(path.join(home, 'clone', 'trash'), { recursive: true });
    await rename(object, path.join(home, 'clone', 'trash', path.basename(object)));
    await writeFile(path.join(home, 'clone', 'trash', 'f'.repeat(64)), 'garbage\n');
    await writeFile(path.join(dir, 'x.txt'), 'x\n');
    await deleteSnapshot(own, (await createSnapshot(own, { path: dir })).id);
    assert.deepEqual(await readdir(path.join(home, 'clone', 'trash')), []);
    assert.deepEqual((await verifySnapshots(own, keep.id))[0]?.problems, []);
  });

  test('identical content is stored once, across paths and snapshots, named by its SHA-256', async () => {
    const dir = path.join(ctx.box.root, 'dedupe');
    await mkdir(path.join(dir, 'a'), { recursive: true });
    await mkdir(path.join(dir, 'b'), { recursive: true });
    await writeFile(path.join(dir, 'a', 'same.txt'), 'the same bytes\n');
    await writeFile(path.join(dir, 'b', 'same.txt'), 'the same bytes\n');
    const home = path.join(ctx.box.root, 'dedupe-home');
    const own = new ServiceContext({ home });
    const snap = await createSnapshot(own, { path: dir });
    assert.equal(snap.addedBytes, 'the same bytes\n'.length, 'the second copy adds nothing');
    const a = await objectOf(home, snap.id, 'a/same.txt');
    assert.equal(a, await objectOf(home, snap.id, 'b/same.txt'));
    assert.match(path.basename(a), /^[0-9a-f]{64}$/);
  });

  test('a file changed with its size and mtime kept (cp -p, touch -r) is seen by diff, rolled back, and held by the next snapshot', async () => {
    const dir = await project(ctx.box, 'same-mtime');
    const snap = await createSnapshot(ctx.service, { path: dir });
    const file = path.join(dir, 'src', 'main.js');
    const before = await stat(file, { bigint: true });
    // New content of the same length, the old mtime put back to the nanosecond: what `cp -p`, `rsync -t`,
    // `tar x` or `touch -r` leave.
    await writeFile(file, 'console.log("ONE");\n');
    execFileSync('touch', ['-m', '-d', `@${before.mtimeNs / 1_000_000_000n}.${String(before.mtimeNs % 1_000_000_000n).padStart(9, '0')}`, file]);
    const after = await stat(file, { bigint: true });
    assert.equal(after.mtimeNs, before.mtimeNs);
    assert.equal(after.size, before.size);

    assert.deepEqual((await previewRollback(ctx.service, snap.id)).modified, ['src/main.js']);
    const later = await createSnapshot(ctx.service, { path: dir });
    assert.ok(later.addedBytes > 0, 'the next snapshot holds the new content');
    await rollback(ctx.service, snap.id);
    assert.equal(await readFile(file, 'utf8'), 'console.log("one");\n');
    await rollback(ctx.service, later.id);
    assert.equal(await readFile(file, 'utf8'), 'console.log("ONE");\n');
  });

  test("undo's safety snapshot shares what the rollback restored instead of copying it again", async () => {
    const dir = await project(ctx.box, 'undo-shares');
    for (let i = 0; i < 20; i++) await writeFile(path.join(dir, 'src', `f${i}.js`), `export const v = ${i};\n`.repeat(50));
    const snap = await createSnapshot(ctx.service, { path: dir });
    for (let i = 0; i < 20; i++) await writeFile(path.join(dir, 'src', `f${i}.js`), `export const v = -${i};\n`.repeat(50));
    await rollback(ctx.service, snap.id);
    const undone = await undo(ctx.service, { target: dir });
    assert.equal(undone.safety?.addedBytes, 0, 'every restored file is shared with the snapshot it came from');
  });
});
