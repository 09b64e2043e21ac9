import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { renameSync, symlinkSync } from 'node:fs';
import { chmod, link, mkdir, readdir, readFile, readlink, rename, rm, stat, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { SnapctlError } from '../../../src/core/base/errors.js';
import { checkManifest, type FileEntry, type Manifest } from '../../../src/core/tree/manifest.js';
import { restore } from '../../../src/core/tree/restore.js';
import { walk } from '../../../src/core/tree/walk.js';
import { describeTree, parseJson, runCli, sandbox } from '../../helpers/helpers.js';
import { ServiceContext } from '../../../src/core/service/context.js';
import { createSnapshot } from '../../../src/core/service/create.js';
import { rollback } from '../../../src/core/service/rollback.js';

type Box = Awaited<ReturnType<typeof sandbox>>;

describe('nothing outside the folder is ever touched', () => {
  let box: Box;
  let service: ServiceContext;
  let victim: string;
  before(async () => {
    box = await sandbox();
    service = new ServiceContext({ home: box.home });
    victim = path.join(box.root, 'victim');
    await mkdir(victim);
    await writeFile(path.join(victim, 'precious.txt'), 'not part of any project\n');
  });
  after(() => box.cleanup());

  async function project(name: string): Promise<string> {
    const dir = path.join(box.root, name);
    await mkdir(path.join(dir, 'sub'), { recursive: true });
    await writeFile(path.join(dir, 'sub', 'a.txt'), 'a\n');
    await writeFile(path.join(dir, 'sub', 'b.txt'), 'b\n');
    return dir;
  }

  test('a watched folder replaced by a link to another folder is refused; the other folder is untouched', async () => {
    const dir = await project('replaced');
    const snap = await createSnapshot(service, { path: dir });
    const before = await describeTree(victim);
    await rename(dir, `${dir}-moved`);
    await symlink(victim, dir);
    await assert.rejects(rollback(service, snap.id), (err: unknown) => err instanceof SnapctlError && /symbolic link/.test(err.message));
    assert.deepEqual(await describeTree(victim), before);
    assert.equal(await readlink(dir), victim, 'the link is left as it is');
  });

  test('a folder swapped for a link while the restore runs: it stops without writing through, and the journal finishes safely', async () => {
    const dir = await project('swapped');
    const manifest = {
      version: 1, id: 'x', target: dir, createdAt: new Date().toISOString(), problems: [],
      entries: (await walk(dir)).entries.map((e) => (e.type === 'file' ? { path: e.path, type: 'file', mode: e.mode, mtimeNs: '0', size: e.size, oid: 'a'.repeat(32), hash: null } : e)),
    } as Manifest;
    await writeFile(path.join(box.root, 'content'), 'restored content\n');
    const before = await describeTree(victim);
    let swapped = false;
    // The source's first read is the moment the restore is under way: a folder in the project becomes a link.
    const source = {
      contentPath: (_e: FileEntry): string => {
        if (!swapped) {
          swapped = true;
          swapForLink(dir, victim);
        }
        return path.join(box.root, 'content');
      },
    };
    await assert.rejects(restore(dir, manifest, source, null, { token: 'test-token' }), (err: unknown) => err instanceof SnapctlError && /replaced while it ran/.test(err.message));
    assert.deepEqual(await describeTree(victim), before, 'nothing written or deleted where the link points');
  });

  test('a filesystem mounted inside the project is neither snapshotted nor entered by a rollback: the link on it that now leads outside is untouched, and so is what it leads to', { skip: process.getuid?.() === 0 ? false : 'needs root to mount' }, async () => {
    const dir = await project('mounted');
    const mnt = path.join(dir, 'm');
    await mkdir(mnt);
    execFileSync('mount', ['-t', 'tmpfs', 'tmpfs', mnt]);
    try {
      const secret = path.join(box.root, 'secret.txt');
      await writeFile(secret, 'outside, private\n', { mode: 0o600 });
      await symlink(path.join(victim, 'precious.txt'), path.join(mnt, 'l'));
      await writeFile(path.join(mnt, 'a'), 'linked\n');
      await link(path.join(mnt, 'a'), path.join(mnt, 'b'));
      const snap = await createSnapshot(service, { path: dir });
      assert.deepEqual(snap.problems.map((p) => p.path), ['m'], 'the mount is named as left out');
      await rm(path.join(mnt, 'l'));
      await symlink(secret, path.join(mnt, 'l'));
      await rm(path.join(mnt, 'b'));
      await writeFile(path.join(dir, 'sub', 'a.txt'), 'changed\n');
      const rb = await rollback(service, snap.id);
      assert.equal(rb.restored.restored, 1);
      assert.equal(await readFile(path.join(dir, 'sub', 'a.txt'), 'utf8'), 'a\n');
      assert.equal(await readFile(secret, 'utf8'), 'outside, private\n');
      assert.equal((await stat(secret)).mode & 0o777, 0o600);
      assert.equal(await readlink(path.join(mnt, 'l')), secret, 'the mounted filesystem is left as it is');
      assert.deepEqual((await readdir(mnt)).sort(), ['a', 'l']);
    } finally {
      execFileSync('umount', [mnt]);
    }
  });

  test('the folder itself keeps its own mode (a read-only project stays read-only)', async () => {
    const dir = await project('own-mode');
    await chmod(dir, 0o555);
    const snap = await createSnapshot(service, { path: dir });
    await rollback(service, snap.id);
    assert.equal((await stat(dir)).mode & 0o777, 0o555);
    await chmod(dir, 0o755);
  });

  test('a manifest holding a path beneath a link is refused when read', () => {
    const manifest = {
      version: 1, id: 'x', target: '/p', createdAt: new Date().toISOString(), problems: [],
      entries: [
        { path: 'out', type: 'symlink', mtimeNs: '0', link: '/etc' },
        { path: 'out/passwd', type: 'file', mode: 0o644, mtimeNs: '0', size: 1, oid: 'a'.repeat(32), hash: null },
      ],
    };
    assert.equal(checkManifest(structuredClone(manifest)), null);
    manifest.entries.pop();
    assert.notEqual(checkManifest(manifest), null);
  });

  test('a state folder reached through a symlink into the project is refused', async () => {
    const dir = await project('home-inside');
    await mkdir(path.join(dir, '.state'));
    const link = path.join(box.root, 'state-link');
    await symlink(path.join(dir, '.state'), link);
    const r = await runCli(['create', '--path', dir], { SNAPCTL_HOME: path.join(link, 'snapctl') });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /holds snapctl's own data folder/);
  });

  test('a state folder bind-mounted inside the project: create is refused, a rollback leaves it alone, and the store is kept whole', { skip: process.getuid?.() === 0 ? false : 'needs root to mount' }, async () => {
    const dir = await project('bind-home');
    const home = path.join(box.root, 'bind-home-state');
    const env = { SNAPCTL_HOME: home };
    const id = parseJson<{ id: string }>((await runCli(['create', '--path', dir, '--json'], env)).stdout).id;
    const mnt = path.join(dir, 'sb');
    await mkdir(mnt);
    execFileSync('mount', ['--bind', home, mnt]);
    try {
      const made = await runCli(['create', '--path', dir], env);
      assert.equal(made.code, 2, made.stderr);
      assert.match(made.stderr, /is snapctl's own data folder .*mounted inside/);
      // A rollback never enters a mount point: the store mounted there is no change to make.
      const rb = await runCli(['rollback', id, '--yes'], env);
      assert.equal(rb.code, 0, rb.stderr);
      assert.match(rb.stdout, /nothing to change/);
      assert.equal((await runCli(['verify'], env)).code, 0, 'the store is whole');
      assert.equal(parseJson<unknown[]>((await runCli(['list', '--json'], env)).stdout).length, 1);
    } finally {
      execFileSync('umount', [mnt]);
    }
  });

  test('--only a path beneath a link in the snapshot is refused, and the link stays a link', async () => {
    const dir = await project('only-link');
    await symlink(victim, path.join(dir, 'out'));
    const env = { SNAPCTL_HOME: path.join(box.root, 'only-home') };
    const id = parseJson<{ id: string }>((await runCli(['create', '--path', dir, '--json'], env)).stdout).id;
    const r = await runCli(['rollback', id, '--only', 'out/precious.txt', '--yes'], { ...env }, { cwd: dir });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /out is a symbolic link/);
    assert.equal(await readlink(path.join(dir, 'out')), victim);
    assert.deepEqual(await readdir(victim), ['precious.txt']);
    assert.equal(await readFile(path.join(victim, 'precious.txt'), 'utf8'), 'not part of any project\n');
  });
});

/** Moves `dir/sub` away and puts a link to `to` in its place, synchronously: before the restore's next step. */
function swapForLink(dir: string, to: string): void {
  renameSync(path.join(dir, 'sub'), path.join(dir, 'sub-away'));
  symlinkSync(to, path.join(dir, 'sub'));
}
