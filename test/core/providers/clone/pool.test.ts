import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { copyFileSync, writeFileSync } from 'node:fs';
import { chmod, mkdir, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ClonePool } from '../../../../src/core/providers/clone/pool.js';
import { errnoCode } from '../../../../src/core/base/errors.js';
import { nativeReflink } from '../../../../src/core/providers/clone/reflink.js';
import { sandbox } from '../../../helpers/helpers.js';
import { ServiceContext } from '../../../../src/core/service/context.js';
import { createSnapshot } from '../../../../src/core/service/create.js';

describe('the clone store', () => {
  let box: Awaited<ReturnType<typeof sandbox>>;
  before(async () => { box = await sandbox(); });
  after(() => box.cleanup());

  test('is private to its owner, and a store made with looser modes is tightened by the next snapshot', async () => {
    const cloneRoot = path.join(box.home, 'clone');
    await mkdir(cloneRoot, { recursive: true });
    await chmod(cloneRoot, 0o755);
    await writeFile(path.join(box.project, 'secret.txt'), 'mine\n', { mode: 0o600 });
    await createSnapshot(new ServiceContext({ home: box.home }), { path: box.project, provider: 'clone' });
    assert.equal((await stat(cloneRoot)).mode & 0o777, 0o700);
  });

  test('the reflink binding loads on this platform (linux x64 has a prebuilt build)', { skip: process.platform === 'linux' && process.arch === 'x64' ? false : 'no prebuilt binding expected here' }, () => {
    assert.equal(typeof nativeReflink(), 'function');
  });

  test('a reflink that fails without an errno falls back to copyFile for that file and every later one', async () => {
    const src = path.join(box.root, 'fallback-src');
    await mkdir(src, { recursive: true });
    for (const n of ['a', 'b', 'c']) await writeFile(path.join(src, n), `content ${n}\n`);
    let calls = 0;
    const pool = new ClonePool(path.join(box.root, 'fallback-pool'), () => { calls++; throw new Error('Invalid cross-device link (os error 18)'); });
    const oids = ['a', 'b', 'c'].map((n) => pool.addObjectSync(path.join(src, n)));
    assert.equal(calls, 1, 'the binding is not tried again after it failed for a reason other than a vanished file');
    for (const [i, n] of ['a', 'b', 'c'].entries()) assert.equal(await readFile(pool.objectPath(oids[i]?.oid ?? ''), 'utf8'), `content ${n}\n`);
  });

  test('a source that vanished is reported as ENOENT before any clone, and keeps the binding in use', async () => {
    const src = path.join(box.root, 'vanish-src');
    await mkdir(src, { recursive: true });
    await writeFile(path.join(src, 'here'), 'here\n');
    let calls = 0;
    const pool = new ClonePool(path.join(box.root, 'vanish-pool'), (_from, to) => { calls++; writeFileSync(to, 'cloned'); });
    assert.throws(() => pool.addObjectSync(path.join(src, 'gone')), (err: unknown) => errnoCode(err) === 'ENOENT');
    pool.addObjectSync(path.join(src, 'here'));
    assert.equal(calls, 1);
  });

  test('a file is cloned from the descriptor it was opened with, never through a link swapped in for it', { skip: process.platform !== 'linux' }, async () => {
    const src = path.join(box.root, 'link-src');
    await mkdir(src, { recursive: true });
    await writeFile(path.join(box.root, 'outside-secret'), 'not the project\'s\n');
    await symlink(path.join(box.root, 'outside-secret'), path.join(src, 'swapped'));
    await writeFile(path.join(src, 'plain'), 'plain\n');
    const from: string[] = [];
    const pool = new ClonePool(path.join(box.root, 'link-pool'), (source, to) => { from.push(source); copyFileSync(source, to); });
    assert.throws(() => pool.addObjectSync(path.join(src, 'swapped')), (err: unknown) => errnoCode(err) === 'ELOOP');
    await assert.rejects(pool.addObject(path.join(src, 'swapped'), true), (err: unknown) => errnoCode(err) === 'ELOOP');
    await assert.rejects(pool.addObject(path.join(src, 'swapped'), false), (err: unknown) => errnoCode(err) === 'ELOOP');
    const stored = pool.addObjectSync(path.join(src, 'plain'));
    assert.match(from.join(), /^\/proc\/self\/fd\/\d+$/);
    assert.equal(await readFile(pool.objectPath(stored.oid), 'utf8'), 'plain\n');
    assert.equal(stored.hash, createHash('sha256').update('plain\n').digest('hex'), 'hashed from the object, before the snapshot is listed');
  });
});
