import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, test, type TestContext } from 'node:test';
import { globMatcher } from '../../../src/core/history/glob.js';
import { SnapshotService } from '../../../src/core/service/service.js';
import { fromBytes } from '../../../src/core/tree/names.js';
import { apfsEnv, btrfsEnv, btrfsUnavailable, cloneEnv, zfsEnv, type ProviderEnv } from '../../helpers/provider-envs.js';

/** History and find on every provider: clone for real, btrfs for real (root), ZFS and APFS through stand-ins. */
const btrfsSkip = btrfsUnavailable();
const cases: { name: string; make: () => Promise<ProviderEnv>; skip: string | false }[] = [
  { name: 'clone', make: cloneEnv, skip: false },
  { name: 'btrfs (real, loop-mounted image)', make: () => btrfsEnv(), skip: btrfsSkip ?? false },
  { name: 'zfs (stand-in)', make: zfsEnv, skip: false },
  { name: 'apfs (stand-ins)', make: apfsEnv, skip: false },
];

const LATIN1 = fromBytes(Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x2e, 0x74, 0x78, 0x74])); // café.txt in Latin-1

async function threeSnapshots(t: TestContext, make: () => Promise<ProviderEnv>): Promise<{ pe: ProviderEnv; service: SnapshotService; ids: string[] }> {
  const pe = await make();
  t.after(() => pe.cleanup());
  const service = new SnapshotService({ home: pe.home, env: { ...process.env, ...pe.env } });
  const ids: string[] = [];
  const snap = async (): Promise<void> => { ids.push((await service.create({ path: pe.target, provider: pe.provider })).id); await new Promise((r) => setTimeout(r, 15)); };
  await mkdir(path.join(pe.target, 'src', 'deep'), { recursive: true });
  await writeFile(path.join(pe.target, 'notes.txt'), 'first\n');
  await writeFile(path.join(pe.target, 'src', 'deep', 'config.json'), '{}');
  await writeFile(path.join(pe.target, 'with space\nand newline.txt'), 'odd');
  await writeFile(Buffer.from(path.join(pe.target, 'café.txt').replace('café', 'caf\xe9'), 'latin1'), 'latin');
  await snap();
  await writeFile(path.join(pe.target, 'notes.txt'), 'second, longer\n');
  await snap();
  await rm(path.join(pe.target, 'notes.txt'));
  await mkdir(path.join(pe.target, 'notes.txt'));
  await snap();
  return { pe, service, ids };
}

for (const c of cases) {
  describe(`file history: ${c.name}`, { skip: c.skip }, () => {
    test('every version of a file newest first, the folder it became, and names that are not UTF-8 or hold a newline', async (t) => {
      const { pe, service, ids } = await threeSnapshots(t, c.make);
      const h = await service.history.history(pe.target, 'notes.txt');
      assert.deepEqual(h.versions.map((v) => v.type), ['dir', 'file', 'file']);
      assert.deepEqual(h.versions.map((v) => v.snapshots.map((s) => s.id)), [[ids[2]], [ids[1]], [ids[0]]]);
      assert.deepEqual(h.versions.slice(1).map((v) => v.size), [15, 6]);
      const found = await service.history.find(pe.target, '*.txt', await globMatcher('*.txt'));
      assert.deepEqual(found.matches.map((m) => m.path).sort(), [LATIN1, 'notes.txt', 'with space\nand newline.txt'].sort());
      const odd = await service.history.history(pe.target, LATIN1);
      // The stand-ins copy files into their snapshots (new inodes), so an unchanged file may read as new versions.
      assert.equal(odd.versions.reduce((n, v) => n + v.snapshots.length, 0), 3);
      if (c.name === 'clone' || c.name.startsWith('btrfs')) assert.equal(odd.versions.length, 1, 'an unchanged file is one version');
      const record = await service.get(ids[0]);
      assert.equal((await service.history.read(record, 'notes.txt')).toString(), 'first\n');
      assert.equal((await service.history.read(record, LATIN1)).toString(), 'latin');
      await assert.rejects(service.history.read(await service.get(ids[2]), 'notes.txt'), /is a folder in snapshot/);
    });

    test('a deleted file is found, marked, and its deletion named', async (t) => {
      const { pe, service, ids } = await threeSnapshots(t, c.make);
      await rm(path.join(pe.target, 'src'), { recursive: true });
      const last = (await service.create({ path: pe.target, provider: pe.provider })).id;
      const found = await service.history.find(pe.target, 'src/**/config.*', await globMatcher('src/**/config.*'), { spans: true });
      assert.deepEqual(found.matches.map((m) => [m.path, m.deleted, m.count]), [['src/deep/config.json', true, 3]]);
      assert.deepEqual(found.matches[0]?.spans?.map((s) => [s.newest.id, s.oldest.id, s.count]), [[ids[2], ids[0], 3]], 'one run of three snapshots');
      const h = await service.history.history(pe.target, 'src/deep/config.json');
      assert.equal(h.deletedNow, true);
      assert.deepEqual(h.deletions.map((d) => d.id), [last]);
      assert.ok(ids.length === 3);
    });
  });
}

describe('the path index', () => {
  test('deleting a snapshot takes it out of the history, and a stale index (a snapshot it does not cover) is caught up', async (t) => {
    const { pe, service, ids } = await threeSnapshots(t, cloneEnv);
    await service.delete(ids[1]);
    const h = await service.history.history(pe.target, 'notes.txt');
    assert.deepEqual(h.versions.map((v) => v.snapshots.map((s) => s.id)), [[ids[2]], [ids[0]]]);
    // The index taken back to an older state does not cover the newest snapshot: the query notices by the ids.
    const dir = path.join(pe.home, 'paths');
    const [file] = await readdir(dir);
    const before = await readFile(path.join(dir, file ?? ''), 'utf8');
    await writeFile(path.join(pe.target, 'later.txt'), 'later');
    await service.create({ path: pe.target, provider: 'clone' });
    await writeFile(path.join(dir, file ?? ''), before);
    const fresh = new SnapshotService({ home: pe.home });
    const later = await fresh.history.history(pe.target, 'later.txt');
    assert.equal(later.versions.length, 1);
    assert.deepEqual(later.deletions, [], 'absent before it was made is not deleted');
  });

  test('a damaged index is kept aside and rebuilt by the next query; a missing one is built', async (t) => {
    const { pe, service } = await threeSnapshots(t, cloneEnv);
    await service.history.history(pe.target, 'notes.txt');
    const dir = path.join(pe.home, 'paths');
    const [file] = await readdir(dir);
    const full = path.join(dir, file ?? '');
    await writeFile(full, (await readFile(full, 'utf8')).replace('"notes.txt",', '"notes.txt",[[['));
    const fresh = new SnapshotService({ home: pe.home });
    assert.equal((await fresh.history.history(pe.target, 'notes.txt')).versions.length, 3);
    assert.ok((await readdir(dir)).some((n) => n.includes('.corrupt-')), 'the damaged file is kept');
    assert.ok(fresh.takeNotices().some((n) => /damaged/.test(n)));
    await rm(dir, { recursive: true });
    assert.equal((await new SnapshotService({ home: pe.home }).history.history(pe.target, 'notes.txt')).versions.length, 3);
  });

  test('a snapshot whose manifest is damaged is skipped and named, not fatal', async (t) => {
    const { pe, ids } = await threeSnapshots(t, cloneEnv);
    await rm(path.join(pe.home, 'paths'), { recursive: true, force: true });
    await writeFile(path.join(pe.home, 'clone', 'manifests', `${ids[1]}.json`), '{"version":1,');
    const service = new SnapshotService({ home: pe.home });
    const h = await service.history.history(pe.target, 'notes.txt');
    assert.deepEqual(h.skipped.map((s) => s.id), [ids[1]]);
    assert.deepEqual(h.versions.map((v) => v.snapshots.map((s) => s.id)), [[ids[2]], [ids[0]]]);
  });

  test('restore --to writes the version with its mode and mtime, never over a file or through a link', async (t) => {
    const { pe, service, ids } = await threeSnapshots(t, cloneEnv);
    const record = await service.get(ids[0]);
    const out = path.join(pe.root, 'copy.txt');
    const done = await service.history.restoreTo(record, 'notes.txt', out, { force: false });
    assert.equal(await readFile(done.written, 'utf8'), 'first\n');
    await assert.rejects(service.history.restoreTo(record, 'notes.txt', out, { force: false }), /already exists/);
    const victim = path.join(pe.root, 'victim');
    await writeFile(victim, 'keep me');
    const link = path.join(pe.root, 'link');
    await symlink(victim, link);
    await assert.rejects(service.history.restoreTo(record, 'notes.txt', link, { force: false }), /symbolic link/);
    await service.history.restoreTo(record, 'notes.txt', link, { force: true });
    assert.equal(await readFile(victim, 'utf8'), 'keep me', 'the link was replaced, not written through');
    assert.equal(await readFile(link, 'utf8'), 'first\n');
  });
});

describe('glob', () => {
  test('a bare name matches in any folder, a slash anchors at the top, dot files match', async () => {
    const m = await globMatcher('*.ts');
    assert.ok(m('a.ts') && m('src/deep/b.ts') && m('.hidden.ts') && !m('a.tsx'));
    const a = await globMatcher('src/**/config.*');
    assert.ok(a('src/config.json') && a('src/x/y/config.yml') && !a('lib/src/config.json'));
    const bare = await globMatcher('config.json');
    assert.ok(bare('config.json') && bare('x/config.json'));
  });
});
