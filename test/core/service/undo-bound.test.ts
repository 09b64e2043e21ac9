import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmod, chown, link, lstat, mkdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ServiceContext } from '../../../src/core/service/context.js';
import { createSnapshot } from '../../../src/core/service/create.js';
import { previewRollback } from '../../../src/core/service/preview.js';
import { rollback, undo } from '../../../src/core/service/rollback.js';
import { describeTree, sandbox } from '../../helpers/helpers.js';

/** Which names of `names` are one file: each name with the names sharing its inode, sorted. */
async function linkGroups(dir: string, names: readonly string[]): Promise<string[]> {
  const byIno = new Map<bigint, string[]>();
  for (const n of names) {
    const st = await lstat(path.join(dir, n), { bigint: true });
    byIno.set(st.ino, [...(byIno.get(st.ino) ?? []), n]);
  }
  return [...byIno.values()].map((g) => g.sort().join('=')).sort();
}

describe('an undo puts back every path its rollback changed, bounded by what the two snapshots differ in', () => {
  let box: Awaited<ReturnType<typeof sandbox>>;
  let ctx: ServiceContext;
  before(async () => {
    box = await sandbox();
    ctx = new ServiceContext({ home: box.home });
  });
  after(() => box.cleanup());

  test('hard links regrouped among names that look the same one by one: the undo puts the links back as they were', async () => {
    const dir = path.join(box.root, 'links');
    const lib = path.join(dir, 'lib');
    await mkdir(lib, { recursive: true });
    const at = (n: string): string => path.join(lib, n);
    const names = ['a', 'b', 'c', 'd'];
    const when = new Date(1_700_000_000_000);
    // Two files of two names each; every name holds the same bytes, mode and times, with two links.
    const pairs = async (groups: [string, string][]): Promise<void> => {
      for (const n of names) await rm(at(n), { force: true });
      for (const [x, y] of groups) {
        await writeFile(at(x), 'the same bytes\n');
        await link(at(x), at(y));
        await utimes(at(x), when, when);
      }
    };
    await pairs([['a', 'b'], ['c', 'd']]);
    const then = await createSnapshot(ctx, { path: dir, provider: 'clone' });
    await pairs([['a', 'c'], ['b', 'd']]);
    await writeFile(path.join(dir, 'other.txt'), 'made since\n');
    const before = await linkGroups(lib, names);
    assert.deepEqual(before, ['a=c', 'b=d']);
    const done = await rollback(ctx, then.id);
    assert.ok(done.safety);
    assert.deepEqual(await linkGroups(lib, names), ['a=b', 'c=d'], 'the rollback put the snapshot\'s links back');
    await undo(ctx, { target: dir });
    assert.deepEqual(await linkGroups(lib, names), before, 'the undo puts back the links the rollback changed');
    assert.equal(await readFile(path.join(dir, 'other.txt'), 'utf8'), 'made since\n');
  });

  test('a file made after the rollback inside a folder the rollback made: the undo keeps it', async () => {
    const dir = path.join(box.root, 'made-folder');
    await mkdir(path.join(dir, 'gen'), { recursive: true });
    await writeFile(path.join(dir, 'gen', 'out.js'), 'generated\n');
    await writeFile(path.join(dir, 'keep.txt'), 'kept\n');
    const then = await createSnapshot(ctx, { path: dir, provider: 'clone' });
    await rm(path.join(dir, 'gen'), { recursive: true });
    const done = await rollback(ctx, then.id);
    assert.ok(done.safety);
    await writeFile(path.join(dir, 'gen', 'mine.js'), 'written after the rollback\n');
    await undo(ctx, { target: dir });
    assert.equal(await readFile(path.join(dir, 'gen', 'mine.js'), 'utf8'), 'written after the rollback\n');
    await assert.rejects(readFile(path.join(dir, 'gen', 'out.js')), { code: 'ENOENT' });
  });

  test('a file the rollback made into a folder, written into after: the undo loses nothing', async () => {
    const dir = path.join(box.root, 'file-to-folder');
    await mkdir(path.join(dir, 'conf'), { recursive: true });
    await writeFile(path.join(dir, 'conf', 'a.json'), '{}\n');
    const then = await createSnapshot(ctx, { path: dir, provider: 'clone' });
    await rm(path.join(dir, 'conf'), { recursive: true });
    await writeFile(path.join(dir, 'conf'), 'a file now\n');
    const done = await rollback(ctx, then.id);
    assert.ok(done.safety);
    await writeFile(path.join(dir, 'conf', 'b.json'), 'written after the rollback\n');
    await undo(ctx, { target: dir }).catch(() => undefined);
    assert.equal(await readFile(path.join(dir, 'conf', 'b.json'), 'utf8').catch(async () => {
      // Or the undo put the file back and kept the new one somewhere it says: nothing may be gone.
      return JSON.stringify(await describeTree(dir));
    }), 'written after the rollback\n');
  });

  test('an undo\'s preview of regrouped hard links names the paths the undo changes', async () => {
    const dir = path.join(box.root, 'links-preview');
    const lib = path.join(dir, 'lib');
    await mkdir(lib, { recursive: true });
    const at = (n: string): string => path.join(lib, n);
    const when = new Date(1_700_000_000_000);
    const pairs = async (groups: [string, string][]): Promise<void> => {
      for (const n of ['a', 'b', 'c', 'd']) await rm(at(n), { force: true });
      for (const [x, y] of groups) {
        await writeFile(at(x), 'the same bytes\n');
        await link(at(x), at(y));
        await utimes(at(x), when, when);
      }
    };
    await pairs([['a', 'b'], ['c', 'd']]);
    const then = await createSnapshot(ctx, { path: dir, provider: 'clone' });
    await pairs([['a', 'c'], ['b', 'd']]);
    const done = await rollback(ctx, then.id);
    assert.ok(done.safety);
    const view = await previewRollback(ctx, done.safety.id, null, { undoing: then.id });
    assert.deepEqual([...view.modified].sort(), ['lib/a', 'lib/b', 'lib/c', 'lib/d']);
  });

  test('changes of mode, mtime, an attribute, the owner and the bytes: the undo brings each back exactly', async () => {
    const dir = path.join(box.root, 'meta');
    await mkdir(path.join(dir, 'm'), { recursive: true });
    const when = new Date(1_700_000_000_000);
    const names = ['mode', 'time', 'xattr', 'owner', 'bytes'];
    for (const n of names) { await writeFile(path.join(dir, 'm', n), `${n}\n`); await utimes(path.join(dir, 'm', n), when, when); }
    const then = await createSnapshot(ctx, { path: dir, provider: 'clone' });
    await chmod(path.join(dir, 'm', 'mode'), 0o600);
    await utimes(path.join(dir, 'm', 'time'), new Date(1_600_000_000_000), new Date(1_600_000_000_000));
    execFileSync('python3', ['-c', 'import os, sys; os.setxattr(sys.argv[1], "user.note", b"since")', path.join(dir, 'm', 'xattr')]);
    await chown(path.join(dir, 'm', 'owner'), 65534, 65534);
    await writeFile(path.join(dir, 'm', 'bytes'), 'other\n');
    await utimes(path.join(dir, 'm', 'bytes'), when, when);
    const before = await describeTree(dir);
    const owners = async (): Promise<string[]> => Promise.all(names.map(async (n) => { const st = await lstat(path.join(dir, 'm', n)); return `${n}:${st.uid}:${st.gid}`; }));
    const ownedBefore = await owners();
    const done = await rollback(ctx, then.id);
    assert.ok(done.safety);
    assert.equal((await lstat(path.join(dir, 'm', 'owner'))).uid, 0);
    await undo(ctx, { target: dir });
    assert.deepEqual(await describeTree(dir), before);
    assert.deepEqual(await owners(), ownedBefore);
    assert.equal(execFileSync('python3', ['-c', 'import os, sys; sys.stdout.write(os.getxattr(sys.argv[1], "user.note").decode())', path.join(dir, 'm', 'xattr')]).toString(), 'since');
  });
});
