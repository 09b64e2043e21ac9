import assert from 'node:assert/strict';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parseZfsDiff, ZfsDiffUnreadable } from '../../../src/core/providers/zfs-diff.js';
import { ServiceContext } from '../../../src/core/service/context.js';
import { createSnapshot } from '../../../src/core/service/create.js';
import { listSnapshots } from '../../../src/core/service/queries.js';
import { fromBytes } from '../../../src/core/tree/names.js';
import { zfsEnv, type ProviderEnv } from '../../helpers/provider-envs.js';

/** A path as zfs diff writes it without -h (libzfs_diff.c, stream_bytes): printable ASCII as is, every other byte, space and backslash as \0ooo. */
function zfsEscaped(p: Buffer): string {
  let out = '';
  for (const b of p) out += b > 0x20 && b !== 0x5c && b < 0x7f ? String.fromCharCode(b) : `\\${b.toString(8).padStart(4, '0')}`;
  return out;
}

describe('zfs diff output', () => {
  test('the shapes zfs-diff(8) shows, with -H: changes, renames, link counts, escaped names', () => {
    // The manual's example (zfs diff -F tank/test@before tank/test), as -H prints it: tabs, no arrow.
    const manual = 'M\t/\t/tank/test/\nM\tF\t/tank/test/linked\t(+1)\nR\tF\t/tank/test/oldname\t/tank/test/newname\n-\tF\t/tank/test/deleted\n+\tF\t/tank/test/created\nM\tF\t/tank/test/modified\n';
    const hints = parseZfsDiff(manual, '/tank/test');
    assert.deepEqual([...hints.paths].sort(), ['created', 'deleted', 'linked', 'modified', 'newname', 'oldname']);
    assert.deepEqual([...hints.trees], [], 'a renamed file is a path, not a tree');
    const odd = [Buffer.from('new\nline'), Buffer.from('back\\slash'), Buffer.from('tab\there'), Buffer.from('sp ace'), Buffer.from([0x63, 0x61, 0x66, 0xe9])];
    const lines = odd.map((b) => `+\tF\t${zfsEscaped(Buffer.concat([Buffer.from('/my pool/p/'), b]))}\n`).join('') + `R\t/\t${zfsEscaped(Buffer.from('/my pool/p/old dir'))}\t${zfsEscaped(Buffer.from('/my pool/p/new dir'))}\n`;
    const parsed = parseZfsDiff(lines, '/my pool/p');
    assert.deepEqual([...parsed.paths].sort(), [...odd.map(fromBytes), 'old dir', 'new dir'].sort());
    assert.deepEqual([...parsed.trees].sort(), ['new dir', 'old dir']);
  });

  test('what it cannot vouch for is refused: raw bytes (-h), an unknown change, a path outside the dataset, a line cut short', () => {
    assert.throws(() => parseZfsDiff('+\tF\t/tank/test/new\tline\n', '/tank/test'), ZfsDiffUnreadable);
    assert.throws(() => parseZfsDiff('+\tF\t/tank/test/caf\u00e9\n', '/tank/test'), ZfsDiffUnreadable);
    assert.throws(() => parseZfsDiff('X\tF\t/tank/test/a\n', '/tank/test'), ZfsDiffUnreadable);
    assert.throws(() => parseZfsDiff('M\tF\t/elsewhere/a\n', '/tank/test'), ZfsDiffUnreadable);
    assert.throws(() => parseZfsDiff('M\tF\t/tank/test/a', '/tank/test'), ZfsDiffUnreadable);
    assert.throws(() => parseZfsDiff('M\tF\t/tank/test/a\\9\n', '/tank/test'), ZfsDiffUnreadable);
  });
});

describe('ZFS: what differs between two snapshots comes from zfs diff (stand-in)', () => {
  let pe: ProviderEnv;
  let service: ServiceContext;
  before(async () => {
    pe = await zfsEnv();
    service = new ServiceContext({ home: pe.home, env: { ...process.env, ...pe.env, FAKE_ZFS_DIFF: path.join(pe.root, 'diff.out') } });
  });
  after(() => pe.cleanup());

  test('only the paths zfs diff names are looked at, in both snapshots: a renamed folder whole, odd names whole, paths outside the folder left out', async () => {
    const t = pe.target;
    const mount = path.join(pe.root, 'tank-home');
    await mkdir(path.join(t, 'dir'));
    await writeFile(path.join(t, 'dir', 'inner.txt'), 'in');
    await writeFile(path.join(t, 'a.txt'), 'one');
    await writeFile(path.join(t, 'sp ace'), 'gone soon');
    await writeFile(path.join(t, 'untouched'), 'same');
    const a = await createSnapshot(service, { path: t, provider: 'zfs' });
    await writeFile(path.join(t, 'a.txt'), 'two!');
    await rename(path.join(t, 'dir'), path.join(t, 'moved'));
    await rm(path.join(t, 'sp ace'));
    const newline = Buffer.from(path.join(t, 'new\nline'));
    const latin1 = Buffer.concat([Buffer.from(`${t}/caf`), Buffer.from([0xe9])]);
    await writeFile(newline, 'n');
    await writeFile(latin1, 'c');
    await writeFile(path.join(mount, 'other.txt'), 'outside the folder');
    const b = await createSnapshot(service, { path: t, provider: 'zfs' });
    const at = (rel: Buffer | string): string => zfsEscaped(Buffer.concat([Buffer.from(`${t}/`), Buffer.from(rel)]));
    await writeFile(path.join(pe.root, 'diff.out'), [
      `M\t/\t${zfsEscaped(Buffer.from(t))}/`, `M\tF\t${at('a.txt')}`, `R\t/\t${at('dir')}\t${at('moved')}`, `-\tF\t${at('sp ace')}`,
      `+\tF\t${at('new\nline')}`, `+\tF\t${at(Buffer.from([0x63, 0x61, 0x66, 0xe9]))}`, `M\tF\t${zfsEscaped(Buffer.from(path.join(mount, 'other.txt')))}\t(+1)`, '',
    ].join('\n'));
    const provider = service.provider('zfs');
    const phases: string[] = [];
    const got = await provider.changesBetween?.(a, b, { olderEntries: await provider.listEntries(a), trace: (p) => phases.push(p) });
    assert.ok(got, phases.join('\n'));
    const caf = fromBytes(Buffer.from([0x63, 0x61, 0x66, 0xe9]));
    // The stand-in's snapshots are copies (new inodes), so each path looked at differs: exactly the ones named.
    assert.deepEqual(got.changed.map((e) => e.path), ['a.txt', caf, 'moved', 'moved/inner.txt', 'new\nline']);
    assert.deepEqual(got.removed, ['dir', 'dir/inner.txt', 'sp ace']);
    const newer = new Map((await provider.listEntries(b)).map((e) => [e.path, e]));
    for (const e of got.changed) assert.deepEqual(e, newer.get(e.path), `${e.path}: its entry as a walk of the newer snapshot gives it`);
    const diffCall = (await pe.calls()).find((c) => c[1] === 'diff');
    assert.deepEqual(diffCall, ['zfs', 'diff', '-H', '-F', a.ref, b.ref], 'no -h: escaped names stay on their line');
  });

  test('zfs diff failing, or printing what cannot be read, means a walk, and the trace says why', async () => {
    const [newer, older] = (await listSnapshots(service, { target: pe.target })).sort((x, y) => (x.createdAt < y.createdAt ? 1 : -1));
    assert.ok(newer && older);
    await writeFile(path.join(pe.root, 'diff.out'), `+\tF\t${pe.target}/raw\tname\n`);
    const phases: string[] = [];
    assert.equal(await service.provider('zfs').changesBetween?.(older, newer, { olderEntries: [], trace: (p) => phases.push(p) }), null);
    assert.match(phases.join('\n'), /walked \(zfs diff printed a line snapctl does not read/);
    const failing = new ServiceContext({ home: pe.home, env: { ...process.env, ...pe.env, FAKE_ZFS_DIFF_FAIL: 'cannot diff: permission denied' } });
    const said: string[] = [];
    assert.equal(await failing.provider('zfs').changesBetween?.(older, newer, { olderEntries: [], trace: (p) => said.push(p) }), null);
    assert.match(said.join('\n'), /walked \(zfs diff failed: cannot diff: permission denied\)/);
  });
});
