import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmod, link, lstat, mkdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ServiceContext } from '../../../src/core/service/context.js';
import { createSnapshot } from '../../../src/core/service/create.js';
import { rollback, undo } from '../../../src/core/service/rollback.js';
import { describeTree } from '../../helpers/helpers.js';
import { btrfsEnv, btrfsUnavailable, type ProviderEnv } from '../../helpers/provider-envs.js';

const skip = btrfsUnavailable();

/** Which names of `names` are one file: each name with the names sharing its inode, sorted. */
async function linkGroups(dir: string, names: readonly string[]): Promise<string[]> {
  const byIno = new Map<bigint, string[]>();
  for (const n of names) {
    const st = await lstat(path.join(dir, n), { bigint: true });
    byIno.set(st.ino, [...(byIno.get(st.ino) ?? []), n]);
  }
  return [...byIno.values()].map((g) => g.sort().join('=')).sort();
}

/** The undo's bound on btrfs comes from the filesystem's own difference of the two snapshots (changesBetween). */
describe('an undo on btrfs puts back every path its rollback changed', { skip: skip ?? false }, () => {
  let pe: ProviderEnv;
  let ctx: ServiceContext;
  before(async () => {
    pe = await btrfsEnv({ wholeSubvolume: true });
    ctx = new ServiceContext({ home: pe.home });
  });
  after(() => pe?.cleanup());

  test('changes of mode, mtime, an attribute and the bytes: the undo brings each back exactly', async () => {
    const dir = path.join(pe.target, 'meta');
    await mkdir(dir, { recursive: true });
    const when = new Date(1_700_000_000_000);
    for (const n of ['mode', 'time', 'xattr', 'bytes']) { await writeFile(path.join(dir, n), `${n}\n`); await utimes(path.join(dir, n), when, when); }
    const then = await createSnapshot(ctx, { path: pe.target, provider: 'btrfs' });
    await chmod(path.join(dir, 'mode'), 0o600);
    await utimes(path.join(dir, 'time'), new Date(1_600_000_000_000), new Date(1_600_000_000_000));
    execFileSync('python3', ['-c', 'import os, sys; os.setxattr(sys.argv[1], "user.note", b"since")', path.join(dir, 'xattr')]);
    await writeFile(path.join(dir, 'bytes'), 'other\n');
    await utimes(path.join(dir, 'bytes'), when, when);
    const before = await describeTree(pe.target);
    const done = await rollback(ctx, then.id);
    assert.ok(done.safety);
    await undo(ctx, { target: pe.target });
    assert.deepEqual(await describeTree(pe.target), before);
    assert.equal(execFileSync('python3', ['-c', 'import os, sys; sys.stdout.write(os.getxattr(sys.argv[1], "user.note").decode())', path.join(dir, 'xattr')]).toString(), 'since');
  });

  test('hard links regrouped among names that look the same one by one: the undo puts the links back', async () => {
    const lib = path.join(pe.target, 'links');
    await mkdir(lib, { recursive: true });
    const at = (n: string): string => path.join(lib, n);
    const names = ['a', 'b', 'c', 'd'];
    const when = new Date(1_700_000_000_000);
    const pairs = async (groups: [string, string][]): Promise<void> => {
      for (const n of names) await rm(at(n), { force: true });
      for (const [x, y] of groups) {
        await writeFile(at(x), 'the same bytes\n');
        await link(at(x), at(y));
        await utimes(at(x), when, when);
      }
    };
    await pairs([['a', 'b'], ['c', 'd']]);
    const then = await createSnapshot(ctx, { path: pe.target, provider: 'btrfs' });
    await pairs([['a', 'c'], ['b', 'd']]);
    const before = await linkGroups(lib, names);
    const done = await rollback(ctx, then.id);
    assert.ok(done.safety);
    assert.deepEqual(await linkGroups(lib, names), ['a=b', 'c=d']);
    await undo(ctx, { target: pe.target });
    assert.deepEqual(await linkGroups(lib, names), before);
    assert.equal(await readFile(at('a'), 'utf8'), 'the same bytes\n');
  });
});
