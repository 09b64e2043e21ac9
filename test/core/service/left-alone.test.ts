import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { link, mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CACHEDIR_SIGNATURE } from '../../../src/core/tree/excludes.js';
import { describeTree, sandbox } from '../../helpers/helpers.js';
import { DEFAULT_POLICY, type FolderPolicy, ServiceContext } from '../../../src/core/service/context.js';
import { createSnapshot } from '../../../src/core/service/create.js';
import { previewRollback } from '../../../src/core/service/preview.js';
import { rollback, undo } from '../../../src/core/service/rollback.js';
import { unfinished } from '../../../src/core/service/status.js';

const TAG = `${CACHEDIR_SIGNATURE}\n# This file is a cache directory tag.\n`;
const asRoot = process.getuid?.() === 0 ? false : 'needs root to mount';

async function files(root: string, contents: Record<string, string>): Promise<void> {
  for (const [name, text] of Object.entries(contents)) {
    const file = path.join(root, name);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, text);
  }
}

describe('what a rollback meets that it leaves alone: it is decided by the preview, and never stops the rollback part way', () => {
  let box: Awaited<ReturnType<typeof sandbox>>;
  let policy: FolderPolicy;
  let service: ServiceContext;
  before(async () => {
    box = await sandbox();
    policy = { ...DEFAULT_POLICY, excludes: ['node_modules/'] };
    service = new ServiceContext({ home: box.home, policy: async () => policy });
  });
  after(() => box.cleanup());

  test('a folder added since that holds excluded content stays, emptied of the rest; the preview says so; undo puts back exactly what was there', async () => {
    const dir = path.join(box.root, 'added');
    await files(dir, { 'a.txt': 'a' });
    const snap = await createSnapshot(service, { path: dir });
    await files(dir, { 'pkg/index.js': 'mine', 'pkg/node_modules/dep/i.js': 'installed' });
    const before = await describeTree(dir);
    const preview = await previewRollback(service, snap.id);
    assert.deepEqual(preview.added, ['pkg/index.js']);
    assert.deepEqual(preview.kept, ['pkg']);
    const rb = await rollback(service, snap.id);
    assert.equal(rb.restored.removed, 1);
    assert.deepEqual(rb.restored.keptFolders, ['pkg']);
    assert.deepEqual(await readdir(path.join(dir, 'pkg')), ['node_modules']);
    assert.equal(await readFile(path.join(dir, 'pkg/node_modules/dep/i.js'), 'utf8'), 'installed');
    assert.equal(await unfinished(service, dir), null);
    await undo(service, { target: dir });
    assert.deepEqual(await describeTree(dir), before);
  });

  test('a file in the snapshot where a folder holding excluded content stands now: the folder stays, the rollback finishes, and later snapshots and undo work', async () => {
    const dir = path.join(box.root, 'file-now-folder');
    await files(dir, { x: 'the file x', 'b.txt': 'b' });
    const snap = await createSnapshot(service, { path: dir });
    await rm(path.join(dir, 'x'));
    await files(dir, { 'x/node_modules/dep/i.js': 'installed', 'x/src.js': 'source', 'b.txt': 'b changed' });
    const before = await describeTree(dir);
    const preview = await previewRollback(service, snap.id);
    assert.deepEqual(preview.kept, ['x']);
    assert.deepEqual(preview.modified, ['b.txt']);
    assert.deepEqual(preview.added, ['x/src.js']);
    const rb = await rollback(service, snap.id);
    assert.deepEqual(rb.restored.keptFolders, ['x']);
    assert.equal(await readFile(path.join(dir, 'b.txt'), 'utf8'), 'b');
    assert.deepEqual(await readdir(path.join(dir, 'x')), ['node_modules']);
    assert.equal(await unfinished(service, dir), null, 'nothing left unfinished');
    await createSnapshot(service, { path: dir, trigger: 'schedule' });
    await undo(service, { target: dir });
    assert.deepEqual(await describeTree(dir), before);
  });

  test('restoring only that path: the preview and the result name the folder that stays, nothing stops part way', async () => {
    const dir = path.join(box.root, 'only-x');
    await files(dir, { x: 'the file x' });
    const snap = await createSnapshot(service, { path: dir });
    await rm(path.join(dir, 'x'));
    await files(dir, { 'x/node_modules/i.js': 'installed' });
    assert.deepEqual((await previewRollback(service, snap.id, ['x'])).kept, ['x']);
    const rb = await rollback(service, snap.id, { paths: ['x'] });
    assert.deepEqual(rb.restored.keptFolders, ['x']);
    assert.equal(await readFile(path.join(dir, 'x/node_modules/i.js'), 'utf8'), 'installed');
    assert.equal(await unfinished(service, dir), null);
  });

  test('a cache folder (CACHEDIR.TAG) where the snapshot has a file stays with its contents', async () => {
    const dir = path.join(box.root, 'cache');
    await files(dir, { c: 'a file' });
    const snap = await createSnapshot(service, { path: dir });
    await rm(path.join(dir, 'c'));
    await files(dir, { 'c/CACHEDIR.TAG': TAG, 'c/blob': 'cached' });
    assert.deepEqual((await previewRollback(service, snap.id)).kept, ['c']);
    const rb = await rollback(service, snap.id, { paths: ['c'] });
    assert.equal(rb.nothingToChange, true);
    assert.deepEqual(rb.restored.keptFolders, ['c']);
    assert.deepEqual((await readdir(path.join(dir, 'c'))).sort(), ['CACHEDIR.TAG', 'blob']);
  });

  test('with keepGit, a folder added since that holds a repository stays with its .git', async () => {
    const dir = path.join(box.root, 'keep-git');
    await files(dir, { 'a.txt': 'a' });
    const snap = await createSnapshot(service, { path: dir });
    await files(dir, { 'lib/.git/HEAD': 'ref: refs/heads/main\n', 'lib/code.ts': 'code' });
    const preview = await previewRollback(service, snap.id, null, { keepGit: true });
    assert.deepEqual(preview.kept, ['lib']);
    await rollback(service, snap.id, { keepGit: true });
    assert.deepEqual(await readdir(path.join(dir, 'lib')), ['.git']);
    assert.equal(await unfinished(service, dir), null);
  });

  test('the undo of a path restored alone is not refused when the excludes now leave that path out', async () => {
    const dir = path.join(box.root, 'undo-excluded');
    await files(dir, { 'gen/out.txt': 'then' });
    const snap = await createSnapshot(service, { path: dir });
    await files(dir, { 'gen/out.txt': 'now' });
    await rollback(service, snap.id, { paths: ['gen'] });
    const was = policy;
    policy = { ...policy, excludes: [...policy.excludes, 'gen/'] };
    try {
      const undone = await undo(service, { target: dir });
      assert.equal(undone.nothingToChange, true, 'nothing of it is snapctl\'s to put back now');
    } finally {
      policy = was;
    }
  });
});

describe('a filesystem mounted inside the folder is a boundary: never snapshotted, never entered by a rollback', () => {
  let box: Awaited<ReturnType<typeof sandbox>>;
  let service: ServiceContext;
  before(async () => {
    box = await sandbox();
    service = new ServiceContext({ home: box.home });
  });
  after(() => box.cleanup());

  test('mounted after the snapshot (a bind mount of another folder): the preview names it, the rollback and the undo leave it and its files alone', { skip: asRoot }, async () => {
    const dir = path.join(box.root, 'bind');
    await files(dir, { 'm/own.txt': 'the project\'s own', 'a.txt': 'a' });
    const snap = await createSnapshot(service, { path: dir });
    const other = path.join(box.root, 'volume');
    await files(other, { 'theirs.txt': 'the volume\'s' });
    const mnt = path.join(dir, 'm');
    execFileSync('mount', ['--bind', other, mnt]);
    try {
      await writeFile(path.join(dir, 'a.txt'), 'a changed');
      const volume = await describeTree(other);
      const preview = await previewRollback(service, snap.id);
      assert.deepEqual(preview.mounts, ['m']);
      assert.deepEqual([...preview.added, ...preview.removed], [], 'nothing on or under the mount is listed as a change');
      const rb = await rollback(service, snap.id);
      assert.equal(rb.restored.restored, 1);
      assert.equal(await readFile(path.join(dir, 'a.txt'), 'utf8'), 'a');
      assert.deepEqual(await describeTree(other), volume, 'the other filesystem is untouched');
      await assert.rejects(rollback(service, snap.id, { paths: ['m/own.txt'] }), /m\/own\.txt: another filesystem is mounted at m in .* now, and a rollback never writes into one/);
      await undo(service, { target: dir });
      assert.deepEqual(await describeTree(other), volume, 'the undo put nothing there either');
      assert.equal(await readFile(path.join(dir, 'a.txt'), 'utf8'), 'a changed');
    } finally {
      execFileSync('umount', [mnt]);
    }
    assert.equal(await readFile(path.join(dir, 'm/own.txt'), 'utf8'), 'the project\'s own', 'what the mount covered is there once unmounted');
  });

  test('a snapshot never descends a mount point (a tmpfs, a bind mount of the same filesystem) and names each as left out', { skip: asRoot }, async () => {
    const dir = path.join(box.root, 'walk');
    await files(dir, { 'a.txt': 'a', 'vol/.keep': '', 'same/.keep': '' });
    const elsewhere = path.join(box.root, 'same-fs');
    await files(elsewhere, { 'big.bin': 'not the project\'s' });
    execFileSync('mount', ['-t', 'tmpfs', 'tmpfs', path.join(dir, 'vol')]);
    execFileSync('mount', ['--bind', elsewhere, path.join(dir, 'same')]);
    try {
      assert.equal((await stat(path.join(dir, 'same'))).dev, (await stat(dir)).dev, 'the bind mount has the folder\'s device id');
      await writeFile(path.join(dir, 'vol', 'scratch'), 'tmp');
      const made = await createSnapshot(service, { path: dir });
      assert.deepEqual(made.problems.map((p) => p.path).sort(), ['same', 'vol']);
      assert.equal(made.files, 1);
    } finally {
      execFileSync('umount', [path.join(dir, 'vol')]);
      execFileSync('umount', [path.join(dir, 'same')]);
    }
  });

  test('a folder the rollback removes that holds a mount point stays, holding it; the mount is not entered', { skip: asRoot }, async () => {
    const dir = path.join(box.root, 'holding');
    await files(dir, { 'a.txt': 'a' });
    const snap = await createSnapshot(service, { path: dir });
    await files(dir, { 'tools/readme': 'r', 'tools/cache/.keep': '' });
    const other = path.join(box.root, 'holding-volume');
    await files(other, { 'data': 'data' });
    execFileSync('mount', ['--bind', other, path.join(dir, 'tools/cache')]);
    try {
      assert.deepEqual((await previewRollback(service, snap.id)).kept, ['tools']);
      const rb = await rollback(service, snap.id);
      assert.deepEqual(rb.restored.keptFolders, ['tools']);
      assert.deepEqual(await readdir(path.join(dir, 'tools')), ['cache']);
      assert.deepEqual(await readdir(other), ['data']);
    } finally {
      execFileSync('umount', [path.join(dir, 'tools/cache')]);
    }
  });

  test('a file bind-mounted over a file of the folder is left alone by the rollback (no EBUSY part way)', { skip: asRoot }, async () => {
    const dir = path.join(box.root, 'file-mount');
    await files(dir, { 'conf.txt': 'then', 'b.txt': 'b' });
    const snap = await createSnapshot(service, { path: dir });
    const outside = path.join(box.root, 'outside-conf.txt');
    await writeFile(outside, 'the host\'s');
    execFileSync('mount', ['--bind', outside, path.join(dir, 'conf.txt')]);
    try {
      await writeFile(path.join(dir, 'b.txt'), 'b changed');
      const rb = await rollback(service, snap.id);
      assert.equal(rb.restored.restored, 1);
      assert.equal(await readFile(outside, 'utf8'), 'the host\'s');
    } finally {
      execFileSync('umount', [path.join(dir, 'conf.txt')]);
    }
  });
});

describe('hard links: the undo is exact', () => {
  let box: Awaited<ReturnType<typeof sandbox>>;
  let service: ServiceContext;
  before(async () => {
    box = await sandbox();
    service = new ServiceContext({ home: box.home });
  });
  after(() => box.cleanup());

  test('restoring one of two hard-linked names, then undoing, leaves the two names one file again', async () => {
    const dir = path.join(box.root, 'links');
    await files(dir, { a: 'then' });
    const snap = await createSnapshot(service, { path: dir });
    await rm(path.join(dir, 'a'));
    await files(dir, { a: 'now, linked' });
    await link(path.join(dir, 'a'), path.join(dir, 'b'));
    const before = await describeTree(dir);
    await rollback(service, snap.id, { paths: ['a'] });
    assert.equal(await readFile(path.join(dir, 'a'), 'utf8'), 'then');
    assert.equal(await readFile(path.join(dir, 'b'), 'utf8'), 'now, linked');
    await undo(service, { target: dir });
    const [a, b] = [await stat(path.join(dir, 'a')), await stat(path.join(dir, 'b'))];
    assert.equal(a.ino, b.ino, 'one file again');
    assert.equal(a.nlink, 2);
    assert.deepEqual(await describeTree(dir), before);
  });

  test('two names made separate files with the same bytes: the preview lists them, and the rollback links them again', async () => {
    const dir = path.join(box.root, 'split');
    await files(dir, { a: 'same bytes' });
    await link(path.join(dir, 'a'), path.join(dir, 'b'));
    const snap = await createSnapshot(service, { path: dir });
    const mtime = (await stat(path.join(dir, 'a'))).mtime;
    await rm(path.join(dir, 'b'));
    execFileSync('cp', ['-p', path.join(dir, 'a'), path.join(dir, 'b')]);
    assert.equal((await stat(path.join(dir, 'b'))).mtime.getTime(), mtime.getTime());
    const preview = await previewRollback(service, snap.id);
    assert.deepEqual(preview.modified, ['a', 'b']);
    await rollback(service, snap.id);
    assert.equal((await stat(path.join(dir, 'a'))).ino, (await stat(path.join(dir, 'b'))).ino);
  });
});
