import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmod, chown, link, lstat, mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { cliPath, describeTree, parseJson, runCli, sandbox, type Sandbox, serviceSandbox } from '../../helpers/helpers.js';
import { createSnapshot } from '../../../src/core/service/create.js';
import { rollback, undo } from '../../../src/core/service/rollback.js';

type Box = Sandbox;
const asRoot = process.getuid?.() === 0;
const hasSetfacl = spawnSync('setfacl', ['--version']).status === 0;
const xattr = createRequire(import.meta.url)('@napi-rs/xattr') as { setAttributeSync(p: string, n: string, v: Uint8Array): void; getAttributeSync(p: string, n: string): Buffer | null };

/** A byte-exact listing of a folder's names (names that are not UTF-8 included), as hex. */
function namesAsBytes(dir: string): string[] {
  return spawnSync('find', [dir, '-mindepth', '1', '-printf', '%P\\0'], { encoding: 'buffer' }).stdout
    .toString('hex').split('00').filter(Boolean).sort();
}

/** Runs the CLI as `nobody` (root bypasses permissions, so these cases need another user). */
function asNobody(args: string[], home: string): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, cliPath, ...args], { env: { ...process.env, SNAPCTL_HOME: home }, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('every file comes back exactly as it was', () => {
  const ctx = serviceSandbox();

  async function folder(name: string): Promise<string> {
    const dir = path.join(ctx.box.root, name);
    await mkdir(dir, { recursive: true });
    return dir;
  }

  test('names that are not UTF-8 (Latin-1 café.txt, a folder d\\xff) and backslashes are kept byte for byte, rolled back and undone', async () => {
    const dir = await folder('bytes');
    const latin1 = Buffer.concat([Buffer.from(`${dir}/caf`), Buffer.from([0xe9]), Buffer.from('.txt')]);
    const odd = Buffer.concat([Buffer.from(`${dir}/d`), Buffer.from([0xff])]);
    await writeFile(latin1, 'latin-1 name\n');
    await mkdir(odd);
    await writeFile(Buffer.concat([odd, Buffer.from('/inner.txt')]), 'inside\n');
    await writeFile(path.join(dir, 'dev-disk-by\\x2duuid'), 'systemd writes these\n');
    const names = namesAsBytes(dir);
    const snap = await createSnapshot(ctx.service, { path: dir });
    assert.deepEqual(snap.problems, [], 'nothing left out');
    await rm(latin1);
    await rm(odd, { recursive: true });
    await writeFile(path.join(dir, 'dev-disk-by\\x2duuid'), 'changed\n');
    const changed = namesAsBytes(dir);
    await rollback(ctx.service, snap.id);
    assert.deepEqual(namesAsBytes(dir), names);
    assert.equal(await readFile(latin1, 'utf8'), 'latin-1 name\n');
    assert.equal(await readFile(path.join(dir, 'dev-disk-by\\x2duuid'), 'utf8'), 'systemd writes these\n');
    await undo(ctx.service, { target: dir });
    assert.deepEqual(namesAsBytes(dir), changed);
  });

  test("a user's file named .snapctl-restore-* is snapshotted and survives a rollback", async () => {
    const dir = await folder('temp-like');
    await writeFile(path.join(dir, '.snapctl-restore-notes.txt'), 'mine\n');
    await writeFile(path.join(dir, 'a.txt'), 'one\n');
    const snap = await createSnapshot(ctx.service, { path: dir });
    await writeFile(path.join(dir, 'a.txt'), 'two\n');
    await rollback(ctx.service, snap.id);
    assert.equal(await readFile(path.join(dir, '.snapctl-restore-notes.txt'), 'utf8'), 'mine\n');
    await rm(path.join(dir, '.snapctl-restore-notes.txt'));
    await rollback(ctx.service, snap.id);
    assert.equal(await readFile(path.join(dir, '.snapctl-restore-notes.txt'), 'utf8'), 'mine\n');
  });

  test('hard links come back as one file, extended attributes come back, a sparse file stays sparse', async () => {
    const dir = await folder('links');
    await writeFile(path.join(dir, 'a'), 'shared\n');
    await link(path.join(dir, 'a'), path.join(dir, 'b'));
    await writeFile(path.join(dir, 'tagged'), 'with attributes\n');
    xattr.setAttributeSync(path.join(dir, 'tagged'), 'user.com.example.tag', Buffer.from('red'));
    execFileSync('truncate', ['-s', '1G', path.join(dir, 'disk.img')]);
    await writeFile(path.join(dir, 'disk.img'), 'header', { flag: 'r+' });
    const snap = await createSnapshot(ctx.service, { path: dir });
    const pool = execFileSync('du', ['-sk', path.join(ctx.box.home, 'clone', 'objects')]).toString();
    assert.ok(Number(pool.split('\t')[0]) < 10 * 1024, `the store holds the sparse file sparse: ${pool}`);

    await rm(path.join(dir, 'b'));
    await writeFile(path.join(dir, 'b'), 'shared\n');
    xattr.setAttributeSync(path.join(dir, 'tagged'), 'user.com.example.tag', Buffer.from('blue'));
    await rm(path.join(dir, 'disk.img'));
    await rollback(ctx.service, snap.id);
    assert.equal((await stat(path.join(dir, 'a'))).ino, (await stat(path.join(dir, 'b'))).ino, 'a and b are one file again');
    assert.equal(xattr.getAttributeSync(path.join(dir, 'tagged'), 'user.com.example.tag')?.toString(), 'red');
    const img = await stat(path.join(dir, 'disk.img'));
    assert.equal(img.size, 1024 ** 3);
    assert.ok(img.blocks * 512 < 10 * 1024 * 1024, `restored sparse: ${img.blocks} blocks`);
  });

  test('POSIX ACLs come back (they are the system.posix_acl_* extended attributes)', { skip: hasSetfacl ? false : 'setfacl is not installed (apt-get install acl)' }, async () => {
    const dir = await folder('acl');
    await writeFile(path.join(dir, 'shared.txt'), 'shared with nobody\n');
    execFileSync('setfacl', ['-m', 'u:nobody:rw', path.join(dir, 'shared.txt')]);
    const acl = execFileSync('getfacl', ['-c', path.join(dir, 'shared.txt')]).toString();
    assert.match(acl, /user:nobody:rw-/);
    const snap = await createSnapshot(ctx.service, { path: dir });
    execFileSync('setfacl', ['-b', path.join(dir, 'shared.txt')]);
    await writeFile(path.join(dir, 'shared.txt'), 'changed\n');
    await rollback(ctx.service, snap.id);
    assert.equal(execFileSync('getfacl', ['-c', path.join(dir, 'shared.txt')]).toString(), acl);
  });

  test('as root, owners come back, and a set-uid file of another user comes back theirs, not root\'s', { skip: asRoot ? false : 'needs root' }, async () => {
    const dir = await folder('owners');
    await writeFile(path.join(dir, 'theirs.txt'), 'nobody owns this\n');
    await writeFile(path.join(dir, 'tool'), '#!/bin/sh\n');
    await chown(path.join(dir, 'theirs.txt'), 65534, 65534);
    await chown(path.join(dir, 'tool'), 65534, 65534);
    await chmod(path.join(dir, 'tool'), 0o4755);
    const snap = await createSnapshot(ctx.service, { path: dir });
    await rm(path.join(dir, 'theirs.txt'));
    await writeFile(path.join(dir, 'tool'), '#!/bin/sh\necho changed\n');
    await rollback(ctx.service, snap.id);
    for (const name of ['theirs.txt', 'tool']) {
      const st = await lstat(path.join(dir, name));
      assert.deepEqual([st.uid, st.gid], [65534, 65534], name);
    }
    assert.equal((await lstat(path.join(dir, 'tool'))).mode & 0o7777, 0o4755);
  });

  test('a deleted project folder rolls back: it is made again, from the CLI', async () => {
    const dir = await folder('deleted');
    await mkdir(path.join(dir, 'src'));
    await writeFile(path.join(dir, 'src', 'main.js'), 'main\n');
    const env = { SNAPCTL_HOME: ctx.box.home };
    const id = parseJson<{ id: string }>((await runCli(['create', '--path', dir, '--json'], env)).stdout).id;
    const tree = await describeTree(dir);
    await rm(dir, { recursive: true });
    const r = await runCli(['rollback', id, '--yes'], env);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(await describeTree(dir), tree);
  });

  test('a path longer than the system takes is named in one short line and left alone by a rollback', async () => {
    const dir = await folder('deep');
    const name = 'd'.repeat(250);
    // Made relative to each folder in turn: no single call may take a path over PATH_MAX.
    execFileSync('bash', ['-c', `cd "$0" && for i in $(seq 18); do mkdir ${name} && cd ${name}; done && echo deep > f`, dir]);
    await writeFile(path.join(dir, 'top.txt'), 'top\n');
    const env = { SNAPCTL_HOME: ctx.box.home };
    const made = await runCli(['create', '--path', dir, '--json'], env);
    assert.equal(made.code, 0, made.stderr);
    const line = made.stderr.split('\n').find((l) => l.includes('too long'));
    assert.ok(line && line.length < 500, `one short line: ${made.stderr.slice(0, 600)}`);
    await writeFile(path.join(dir, 'top.txt'), 'changed\n');
    const rb = await runCli(['rollback', parseJson<{ id: string }>(made.stdout).id, '--yes'], env);
    assert.equal(rb.code, 0, rb.stderr);
    assert.equal(execFileSync('bash', ['-c', `cd "$0" && for i in $(seq 18); do cd ${name}; done && cat f`, dir]).toString(), 'deep\n');
    // Node's rm cannot take such a path either; GNU rm walks it folder by folder.
    execFileSync('rm', ['-rf', dir]);
  });
});

describe('what a rollback cannot keep, it never deletes', { skip: asRoot ? false : 'needs root to run as another user' }, () => {
  let box: Box;
  before(async () => {
    box = await sandbox();
    await chmod(box.root, 0o755);
  });
  after(() => box.cleanup());

  async function ownedByNobody(name: string): Promise<{ dir: string; home: string }> {
    const dir = path.join(box.root, name);
    const home = path.join(box.root, `${name}-home`);
    await mkdir(dir);
    await mkdir(home);
    for (const p of [dir, home]) await chown(p, 65534, 65534);
    return { dir, home };
  }

  test('files the safety snapshot cannot read (mode 000) stay where they are, named', async () => {
    const { dir, home } = await ownedByNobody('unreadable');
    const created = asNobody(['create', '--path', dir, '--json'], home);
    assert.equal(created.code, 0, created.stderr);
    const secret = path.join(dir, 'added-later.log');
    await writeFile(secret, 'cannot be read by the snapshot\n');
    await chown(secret, 65534, 65534);
    await chmod(secret, 0o000);
    const rb = asNobody(['rollback', parseJson<{ id: string }>(created.stdout).id, '--yes'], home);
    assert.equal(rb.code, 0, rb.stderr);
    assert.match(rb.stderr, /left as (?:they were|it was).*\n.*added-later\.log/);
    assert.equal(await readFile(secret, 'utf8'), 'cannot be read by the snapshot\n');
  });

  test('a set-uid file of another owner, restored by a user who cannot give it back its owner, loses its set-uid bit', async () => {
    const { dir, home } = await ownedByNobody('setuid');
    const tool = path.join(dir, 'tool');
    await writeFile(tool, '#!/bin/sh\n');
    await chmod(tool, 0o4755); // root's, set-uid
    const created = asNobody(['create', '--path', dir, '--json'], home);
    assert.equal(created.code, 0, created.stderr);
    await rm(tool);
    const rb = asNobody(['rollback', parseJson<{ id: string }>(created.stdout).id, '--yes'], home);
    assert.equal(rb.code, 0, rb.stderr);
    const st = await lstat(tool);
    assert.equal(st.uid, 65534, 'restored as the user who ran it');
    assert.equal(st.mode & 0o7777, 0o755, 'never set-uid for an owner it did not have');
  });

  test("a read-only folder of the user's own (0555) is restored, with its mode put back", async () => {
    const { dir, home } = await ownedByNobody('readonly');
    const ro = path.join(dir, 'ro');
    await mkdir(ro);
    await writeFile(path.join(ro, 'f.txt'), 'one\n');
    for (const p of [ro, path.join(ro, 'f.txt')]) await chown(p, 65534, 65534);
    await chmod(ro, 0o555);
    const created = asNobody(['create', '--path', dir, '--json'], home);
    assert.equal(created.code, 0, created.stderr);
    await chmod(ro, 0o755);
    await writeFile(path.join(ro, 'f.txt'), 'two\n');
    await writeFile(path.join(ro, 'extra.txt'), 'extra\n');
    for (const p of [path.join(ro, 'extra.txt')]) await chown(p, 65534, 65534);
    await chmod(ro, 0o555);
    const rb = asNobody(['rollback', parseJson<{ id: string }>(created.stdout).id, '--yes'], home);
    assert.equal(rb.code, 0, rb.stderr);
    assert.equal(await readFile(path.join(ro, 'f.txt'), 'utf8'), 'one\n');
    assert.deepEqual(await readdir(ro), ['f.txt']);
    assert.equal((await stat(ro)).mode & 0o777, 0o555);
  });
});
