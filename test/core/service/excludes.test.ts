import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { SnapctlError } from '../../../src/core/base/errors.js';
import { CACHEDIR_SIGNATURE, excludePatternProblem } from '../../../src/core/tree/excludes.js';
import { CloneProvider } from '../../../src/core/providers/clone/clone-provider.js';
import { sandbox } from '../../helpers/helpers.js';
import { DEFAULT_POLICY, type FolderPolicy, ServiceContext } from '../../../src/core/service/context.js';
import { createSnapshot } from '../../../src/core/service/create.js';
import { previewRollback } from '../../../src/core/service/preview.js';
import { rollback, undo } from '../../../src/core/service/rollback.js';

const TAG = `${CACHEDIR_SIGNATURE}\n# This file is a cache directory tag.\n`;

async function files(root: string, rel: string, contents: Record<string, string>): Promise<void> {
  for (const [name, text] of Object.entries(contents)) {
    const file = path.join(root, rel, name);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, text);
  }
}

describe('excludes: gitignore patterns and CACHEDIR.TAG', () => {
  let box: Awaited<ReturnType<typeof sandbox>>;
  let policy: FolderPolicy;
  let service: ServiceContext;
  before(async () => {
    box = await sandbox();
    policy = { ...DEFAULT_POLICY, excludes: ['node_modules/', '*.log', '!keep.log'] };
    service = new ServiceContext({ home: box.home, policy: async () => policy });
  });
  after(() => box.cleanup());

  const manifestPaths = async (ref: string): Promise<string[]> => {
    const clone = new CloneProvider(service.layout.cloneDir);
    const text = await readFile(clone.manifestPath(ref), 'utf8');
    return (JSON.parse(text) as { entries: { path: string }[] }).entries.map((e) => e.path);
  };

  test('restoring a path the excludes leave out says so, not that it is misspelt, and changes nothing', async () => {
    const dir = path.join(box.root, 'restore-excluded');
    await files(dir, '', { 'build.log': 'log', 'src/a.ts': 'a' });
    const record = await createSnapshot(service, { path: dir });
    await assert.rejects(rollback(service, record.id, { paths: ['build.log'] }), /build\.log: left out by the folder's excludes \(or a CACHEDIR\.TAG\), so snapshot .* holds nothing there, and a rollback leaves it alone/);
    await assert.rejects(previewRollback(service, record.id, ['build.log']), /left out by the folder's excludes/);
    assert.equal(await readFile(path.join(dir, 'build.log'), 'utf8'), 'log');
  });

  test('a named pipe or a link called CACHEDIR.TAG is no tag, and never hangs a snapshot or a preview', async () => {
    const dir = path.join(box.root, 'fifo-tag');
    await files(dir, '', { 'pipe-cache/blob': 'kept', 'link-cache/blob': 'kept too', 'real/CACHEDIR.TAG': TAG });
    execFileSync('mkfifo', [path.join(dir, 'pipe-cache', 'CACHEDIR.TAG')]);
    await symlink('../real/CACHEDIR.TAG', path.join(dir, 'link-cache', 'CACHEDIR.TAG'));
    const record = await createSnapshot(service, { path: dir });
    const held = await manifestPaths(record.ref);
    for (const p of ['pipe-cache/blob', 'link-cache/blob']) assert.ok(held.includes(p), `${p} is held`);
    assert.ok((await previewRollback(service, record.id)).added.length === 0);
  });

  test('a snapshot leaves out what the patterns match (negation keeps a file) and the contents of a tagged cache folder', async () => {
    const dir = path.join(box.root, 'walk');
    await files(dir, '', {
      'src/a.ts': 'a', 'node_modules/dep/index.js': 'dep', 'build.log': 'log', 'keep.log': 'kept', 'sub/deep.log': 'x',
      'cache/CACHEDIR.TAG': TAG, 'cache/blob': 'cached', 'fake-cache/CACHEDIR.TAG': 'not the signature\n', 'fake-cache/blob': 'kept',
    });
    const snap = await createSnapshot(service, { path: dir });
    const held = await manifestPaths(snap.ref);
    for (const p of ['src/a.ts', 'keep.log', 'cache', 'fake-cache/CACHEDIR.TAG', 'fake-cache/blob']) assert.ok(held.includes(p), `${p} is held`);
    for (const p of ['node_modules', 'node_modules/dep/index.js', 'build.log', 'sub/deep.log', 'cache/blob', 'cache/CACHEDIR.TAG']) assert.ok(!held.includes(p), `${p} is left out`);
    assert.deepEqual(snap.excluded, { patterns: ['node_modules/', '*.log', '!keep.log'], cacheDirs: ['cache'] });
  });

  test('--exclude adds patterns for one snapshot, and a bad pattern is refused in plain words', async () => {
    const dir = path.join(box.root, 'cli');
    await files(dir, '', { 'a.txt': 'a', 'tmp/x': 'x' });
    const snap = await createSnapshot(service, { path: dir, exclude: ['tmp/'] });
    assert.ok(!(await manifestPaths(snap.ref)).includes('tmp/x'));
    await assert.rejects(createSnapshot(service, { path: dir, exclude: ['a\nb'] }), /invalid exclude pattern "a\\nb": an exclude pattern is one line/);
    assert.equal(excludePatternProblem('../up'), 'an exclude pattern names paths inside the folder, without .. segments');
  });

  test('a rollback leaves excluded paths alone (never removes them as added since), and the preview says so', async () => {
    const dir = path.join(box.root, 'rollback');
    await files(dir, '', { 'src/a.ts': 'v1', 'node_modules/dep/index.js': 'dep v1', 'cache/CACHEDIR.TAG': TAG, 'cache/blob': 'c1' });
    const snap = await createSnapshot(service, { path: dir });
    await files(dir, '', { 'src/a.ts': 'v2', 'src/new.ts': 'new', 'node_modules/dep/index.js': 'dep v2', 'node_modules/other/x.js': 'other', 'cache/blob2': 'c2', 'err.log': 'log' });
    const preview = await previewRollback(service, snap.id);
    assert.deepEqual(preview.added, ['src/new.ts']);
    assert.deepEqual(preview.modified, ['src/a.ts']);
    // Each tree once, by its topmost path; a cache folder itself is kept, its contents are left alone.
    assert.equal(preview.leftAlone.count, 5, JSON.stringify(preview.leftAlone));
    assert.deepEqual(preview.leftAlone.examples, ['cache/CACHEDIR.TAG', 'cache/blob', 'cache/blob2', 'err.log', 'node_modules']);
    await rollback(service, snap.id);
    assert.equal(await readFile(path.join(dir, 'src/a.ts'), 'utf8'), 'v1');
    await assert.rejects(readFile(path.join(dir, 'src/new.ts')), { code: 'ENOENT' });
    assert.equal(await readFile(path.join(dir, 'node_modules/dep/index.js'), 'utf8'), 'dep v2', 'an excluded file is neither removed nor rewritten');
    assert.equal(await readFile(path.join(dir, 'node_modules/other/x.js'), 'utf8'), 'other');
    assert.equal(await readFile(path.join(dir, 'cache/blob2'), 'utf8'), 'c2');
    assert.equal(await readFile(path.join(dir, 'err.log'), 'utf8'), 'log');
    await undo(service, { target: dir });
    assert.equal(await readFile(path.join(dir, 'src/new.ts'), 'utf8'), 'new');
  });

  test('a pattern added after a snapshot is left alone by a rollback to it too: the safety snapshot does not hold it', async () => {
    const dir = path.join(box.root, 'later');
    await files(dir, '', { 'a.txt': 'a', 'dist/out.js': 'old build' });
    const snap = await createSnapshot(service, { path: dir });
    await files(dir, '', { 'dist/out.js': 'new build', 'dist/more.js': 'more' });
    policy = { ...policy, excludes: [...policy.excludes, 'dist/'] };
    try {
      await rollback(service, snap.id);
      assert.equal(await readFile(path.join(dir, 'dist/out.js'), 'utf8'), 'new build');
      assert.equal(await readFile(path.join(dir, 'dist/more.js'), 'utf8'), 'more');
    } finally {
      policy = { ...policy, excludes: policy.excludes.filter((p) => p !== 'dist/') };
    }
  });

  test('restoring a path the excludes leave out only since the snapshot says the snapshot holds it, and how to get a copy', async () => {
    const dir = path.join(box.root, 'excluded-since');
    await files(dir, '', { 'a.txt': 'a', 'gen/out.js': 'kept in the snapshot' });
    const snap = await createSnapshot(service, { path: dir });
    await files(dir, '', { 'gen/out.js': 'built again' });
    policy = { ...policy, excludes: [...policy.excludes, 'gen/'] };
    try {
      await assert.rejects(rollback(service, snap.id, { paths: ['gen/out.js'] }), (err: Error) => {
        assert.match(err.message, /^gen\/out\.js: snapshot .* holds it, but the folder's excludes now leave it out/);
        assert.doesNotMatch(err.message, /holds nothing/);
        assert.match(err instanceof SnapctlError ? err.hint ?? '' : '', new RegExp(`^'snapctl restore ${snap.id} gen/out\\.js --to FILE' writes a copy elsewhere`));
        return true;
      });
      assert.equal(await readFile(path.join(dir, 'gen/out.js'), 'utf8'), 'built again', 'nothing was changed');
    } finally {
      policy = { ...policy, excludes: policy.excludes.filter((p) => p !== 'gen/') };
    }
  });

  test('without excludes a rollback removes what was added, as before', async () => {
    const dir = path.join(box.root, 'plain');
    await files(dir, '', { 'a.txt': 'a' });
    const plain = new ServiceContext({ home: path.join(box.root, 'plain-home'), policy: async () => DEFAULT_POLICY });
    const snap = await createSnapshot(plain, { path: dir });
    await files(dir, '', { 'x.log': 'x' });
    assert.equal((await previewRollback(plain, snap.id)).leftAlone.count, 0);
    await rollback(plain, snap.id);
    await assert.rejects(readFile(path.join(dir, 'x.log')), { code: 'ENOENT' });
    await rm(dir, { recursive: true });
  });
});
