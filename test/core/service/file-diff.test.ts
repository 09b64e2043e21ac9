import assert from 'node:assert/strict';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, test } from 'node:test';
import { SnapctlError } from '../../../src/core/base/errors.js';
import { collapse } from '../../../src/core/service/file-diff.js';
import { fromBytes } from '../../../src/core/tree/names.js';
import { serviceSandbox } from '../../helpers/helpers.js';
import { createSnapshot } from '../../../src/core/service/create.js';
import { fileDiff } from '../../../src/core/service/preview.js';

describe('fileDiff: one file now against the snapshot', () => {
  const ctx = serviceSandbox();

  test('a changed text file gives unified lines, long unchanged runs cut to 3 lines of context with a gap', async () => {
    const dir = path.join(ctx.box.root, 'text');
    await mkdir(dir);
    const lines = Array.from({ length: 40 }, (_, i) => `line ${i}`);
    await writeFile(path.join(dir, 'a.txt'), lines.join('\n') + '\n');
    const snap = await createSnapshot(ctx.service, { path: dir });
    lines[20] = 'line twenty, edited';
    await writeFile(path.join(dir, 'a.txt'), lines.join('\n') + '\n');
    const view = await fileDiff(ctx.service, snap.id, 'a.txt');
    assert.equal(view.kind, 'text');
    assert.deepEqual(view.lines, [
      { op: 'gap', text: '17 unchanged lines' },
      { op: 'same', text: 'line 17' }, { op: 'same', text: 'line 18' }, { op: 'same', text: 'line 19' },
      { op: 'now', text: 'line twenty, edited' }, { op: 'then', text: 'line 20' },
      { op: 'same', text: 'line 21' }, { op: 'same', text: 'line 22' }, { op: 'same', text: 'line 23' },
      { op: 'gap', text: '16 unchanged lines' },
    ]);
  });

  test('binary, too large, folders and links, same, and absent sides', async () => {
    const dir = path.join(ctx.box.root, 'kinds');
    await mkdir(path.join(dir, 'sub'), { recursive: true });
    await writeFile(path.join(dir, 'nul.bin'), Buffer.from([1, 2, 0, 3]));
    await writeFile(path.join(dir, 'latin1.txt'), Buffer.from([0x63, 0x61, 0x66, 0xe9]));
    await writeFile(path.join(dir, 'big.txt'), 'x'.repeat(1024 * 1024 + 1));
    await writeFile(path.join(dir, 'same.txt'), 'same\n');
    await writeFile(path.join(dir, 'gone.txt'), 'gone\n');
    await symlink('same.txt', path.join(dir, 'link'));
    const snap = await createSnapshot(ctx.service, { path: dir });
    await writeFile(path.join(dir, 'nul.bin'), Buffer.from([1, 2, 0, 4]));
    await writeFile(path.join(dir, 'latin1.txt'), Buffer.from([0x63, 0x61, 0x66, 0xe8]));
    await writeFile(path.join(dir, 'new.txt'), 'new\n');
    const { rm } = await import('node:fs/promises');
    await rm(path.join(dir, 'gone.txt'));
    assert.equal((await fileDiff(ctx.service, snap.id, 'nul.bin')).kind, 'binary');
    assert.equal((await fileDiff(ctx.service, snap.id, 'latin1.txt')).kind, 'binary', 'not UTF-8');
    const big = await fileDiff(ctx.service, snap.id, 'big.txt');
    assert.equal(big.kind, 'too-large');
    assert.equal(big.sizeThen, 1024 * 1024 + 1);
    assert.equal((await fileDiff(ctx.service, snap.id, 'sub')).kind, 'not-a-file');
    assert.equal((await fileDiff(ctx.service, snap.id, 'link')).kind, 'not-a-file');
    assert.equal((await fileDiff(ctx.service, snap.id, 'same.txt')).kind, 'same');
    const added = await fileDiff(ctx.service, snap.id, 'new.txt');
    assert.deepEqual([added.kind, added.sizeThen, added.lines], ['text', null, [{ op: 'now', text: 'new' }]]);
    const gone = await fileDiff(ctx.service, snap.id, 'gone.txt');
    assert.deepEqual([gone.kind, gone.sizeNow, gone.lines], ['text', null, [{ op: 'then', text: 'gone' }]]);
    await assert.rejects(fileDiff(ctx.service, snap.id, 'nope.txt'), (err: unknown) => err instanceof SnapctlError && err.kind === 'usage');
    await assert.rejects(fileDiff(ctx.service, snap.id, '../etc/passwd'), (err: unknown) => err instanceof SnapctlError && err.kind === 'usage');
  });

  test('a name that is not UTF-8 is read on both sides', async () => {
    const dir = path.join(ctx.box.root, 'bytes');
    await mkdir(dir);
    const raw = Buffer.concat([Buffer.from(dir + '/'), Buffer.from([0x66, 0xff, 0x2e, 0x74])]);
    await writeFile(raw, 'v1\n');
    const snap = await createSnapshot(ctx.service, { path: dir });
    await writeFile(raw, 'v2\n');
    const view = await fileDiff(ctx.service, snap.id, fromBytes(Buffer.from([0x66, 0xff, 0x2e, 0x74])));
    assert.deepEqual(view.lines, [{ op: 'now', text: 'v2' }, { op: 'then', text: 'v1' }]);
  });

  test('a clone snapshot whose stored copy was changed is refused, not shown', async () => {
    const dir = path.join(ctx.box.root, 'tamper');
    await mkdir(dir);
    await writeFile(path.join(dir, 'a.txt'), 'honest\n');
    const snap = await createSnapshot(ctx.service, { path: dir });
    const { readFile: rf } = await import('node:fs/promises');
    const manifest = JSON.parse(await rf(path.join(ctx.box.home, 'clone', 'manifests', `${snap.id}.json`), 'utf8')) as { entries: { path: string; oid?: string }[] };
    const oid = manifest.entries.find((e) => e.path === 'a.txt')?.oid ?? '';
    await writeFile(path.join(ctx.box.home, 'clone', 'objects', oid.slice(0, 2), oid), 'lying!\n');
    await assert.rejects(fileDiff(ctx.service, snap.id, 'a.txt'), (err: unknown) => err instanceof SnapctlError && err.kind === 'corrupt');
  });

  test('collapse keeps short runs whole', () => {
    const same = (t: string): { op: 'same'; text: string } => ({ op: 'same', text: t });
    const lines = [{ op: 'now' as const, text: 'x' }, ...['a', 'b', 'c', 'd', 'e', 'f', 'g'].map(same), { op: 'then' as const, text: 'y' }];
    assert.deepEqual(collapse(lines), lines, '7 lines between changes: 3 + 3 + 1 would hide a single line, so all are kept');
  });
});
