import assert from 'node:assert/strict';
import { chmod, lstat, mkdir, readdir, readFile, rm, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { describe, test, type TestContext } from 'node:test';
import { globMatcher } from '../../../src/core/history/glob.js';
import { fromBytes } from '../../../src/core/tree/names.js';
import { apfsEnv, btrfsEnv, btrfsUnavailable, cloneEnv, zfsEnv, type ProviderEnv } from '../../helpers/provider-envs.js';
import { ServiceContext } from '../../../src/core/service/context.js';
import { createSnapshot } from '../../../src/core/service/create.js';
import { deleteSnapshot } from '../../../src/core/service/delete.js';
import { getSnapshot } from '../../../src/core/service/queries.js';
import { rollback } from '../../../src/core/service/rollback.js';

/** History and find on every provider: clone for real, btrfs for real (root), ZFS and APFS through stand-ins. */
const btrfsSkip = btrfsUnavailable();
const cases: { name: string; make: () => Promise<ProviderEnv>; skip: string | false }[] = [
  { name: 'clone', make: cloneEnv, skip: false },
  { name: 'btrfs (real, loop-mounted image)', make: () => btrfsEnv(), skip: btrfsSkip ?? false },
  { name: 'zfs (stand-in)', make: zfsEnv, skip: false },
  { name: 'apfs (stand-ins)', make: apfsEnv, skip: false },
];

const LATIN1 = fromBytes(Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x2e, 0x74, 0x78, 0x74])); // café.txt in Latin-1

async function threeSnapshots(t: TestContext, make: () => Promise<ProviderEnv>): Promise<{ pe: ProviderEnv; service: ServiceContext; ids: string[] }> {
  const pe = await make();
  t.after(() => pe.cleanup());
  const service = new ServiceContext({ home: pe.home, env: { ...process.env, ...pe.env } });
  const ids: string[] = [];
  const snap = async (): Promise<void> => { ids.push((await createSnapshot(service, { path: pe.target, provider: pe.provider })).id); await new Promise((r) => setTimeout(r, 15)); };
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
      const record = await getSnapshot(service, ids[0]);
      assert.equal((await service.history.read(record, 'notes.txt')).toString(), 'first\n');
      assert.equal((await service.history.read(record, LATIN1)).toString(), 'latin');
      await assert.rejects(service.history.read(await getSnapshot(service, ids[2]), 'notes.txt'), /is a folder in snapshot/);
    });

    test('a deleted file is found, marked, and its deletion named', async (t) => {
      const { pe, service, ids } = await threeSnapshots(t, c.make);
      await rm(path.join(pe.target, 'src'), { recursive: true });
      const last = (await createSnapshot(service, { path: pe.target, provider: pe.provider })).id;
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

describe('what the folder holds now', () => {
  test('a file deleted since the newest snapshot is marked deleted, with no deletion among the snapshots', async (t) => {
    const { pe, service } = await threeSnapshots(t, cloneEnv);
    await rm(path.join(pe.target, 'src'), { recursive: true });
    const found = await service.history.find(pe.target, 'config.json', await globMatcher('config.json'));
    assert.deepEqual(found.matches.map((m) => [m.path, m.deleted]), [['src/deep/config.json', true]]);
    const h = await service.history.history(pe.target, 'src/deep/config.json');
    assert.equal(h.deletedNow, true);
    assert.equal(h.currentVersion, null);
    assert.deepEqual(h.deletions, []);
  });

  test('a deleted file restored in place is no longer deleted, and the version restored is the one the folder holds', async (t) => {
    const { pe, service, ids } = await threeSnapshots(t, cloneEnv);
    await rm(path.join(pe.target, 'src'), { recursive: true });
    await createSnapshot(service, { path: pe.target, provider: 'clone' });
    await rollback(service, ids[1], { paths: ['src/deep/config.json'] });
    const found = await service.history.find(pe.target, 'config.json', await globMatcher('config.json'));
    assert.deepEqual(found.matches.map((m) => [m.path, m.deleted]), [['src/deep/config.json', false]]);
    const h = await service.history.history(pe.target, 'src/deep/config.json');
    assert.equal(h.deletedNow, false);
    assert.equal(h.currentVersion, 0);
    // And a file changed since its newest snapshot matches none, even with its size and mtime set back.
    const file = path.join(pe.target, 'src', 'deep', 'config.json');
    const was = await stat(file, { bigint: true });
    await writeFile(file, '{"changed":1}');
    assert.equal((await service.history.history(pe.target, 'src/deep/config.json')).currentVersion, null);
    await writeFile(file, '[]');
    await utimes(file, Number(was.atimeNs) / 1e9, Number(was.mtimeNs) / 1e9);
    assert.equal(BigInt((await stat(file)).size), was.size);
    assert.equal((await service.history.history(pe.target, 'src/deep/config.json')).currentVersion, null, 'the bytes decide where the hash is kept');
  });

  test("a version is known by the newest snapshot a person took that holds it, not by a newer safety snapshot", async (t) => {
    const pe = await cloneEnv();
    t.after(() => pe.cleanup());
    const service = new ServiceContext({ home: pe.home });
    const file = path.join(pe.target, 'a.txt');
    await writeFile(file, 'one\n');
    const first = await createSnapshot(service, { path: pe.target, provider: 'clone', tag: 'first' });
    await writeFile(file, 'two, longer\n');
    const second = await createSnapshot(service, { path: pe.target, provider: 'clone', tag: 'second' });
    const restored = await rollback(service, first.id, { paths: ['a.txt'] });
    assert.ok(restored.safety);
    const h = await service.history.history(pe.target, 'a.txt');
    assert.deepEqual(h.versions.map((v) => v.snapshots[0]?.id), [restored.safety.id, first.id], 'the safety snapshot is the newest holder of the version it kept');
    assert.deepEqual(h.versions.map((v) => v.knownBy.id), [second.id, first.id]);
    assert.equal(h.versions[0]?.knownBy.tag, 'second');
    // Held by safety snapshots alone, a version is known by the newest of them.
    await deleteSnapshot(service, second.id);
    assert.equal((await service.history.history(pe.target, 'a.txt')).versions[0]?.knownBy.id, restored.safety.id);
  });

  test('the version held is found among all of the same size and mtime: a newer one with other bytes does not hide it', async (t) => {
    const pe = await cloneEnv();
    t.after(() => pe.cleanup());
    const service = new ServiceContext({ home: pe.home });
    const file = path.join(pe.target, 'a.txt');
    const when = new Date('2024-05-06T07:08:09Z');
    const put = async (text: string): Promise<void> => { await writeFile(file, text); await utimes(file, when, when); };
    await put('aaa\n');
    await createSnapshot(service, { path: pe.target, provider: 'clone' });
    await put('bbb\n');
    await createSnapshot(service, { path: pe.target, provider: 'clone' });
    await put('aaa\n');
    const h = await service.history.history(pe.target, 'a.txt');
    assert.equal(h.versions.length, 2, 'two versions of the same size and mtime');
    assert.equal(h.currentVersion, 1, 'the folder holds the older one');
    await put('ccc\n');
    assert.equal((await service.history.history(pe.target, 'a.txt')).currentVersion, null, 'and neither when its bytes are another\'s');
  });

  test('a file later snapshots excluded is neither deleted nor marked deleted while it is in the folder', async (t) => {
    const { pe, service } = await threeSnapshots(t, cloneEnv);
    await createSnapshot(service, { path: pe.target, provider: 'clone', exclude: ['src/'] });
    await createSnapshot(service, { path: pe.target, provider: 'clone', exclude: ['src/'] });
    const found = await service.history.find(pe.target, 'config.json', await globMatcher('config.json'));
    assert.deepEqual(found.matches.map((m) => [m.path, m.deleted]), [['src/deep/config.json', false]]);
    const h = await service.history.history(pe.target, 'src/deep/config.json');
    assert.deepEqual(h.deletions, [], 'left out is not deleted');
    assert.equal(h.excludedIn, 2);
    assert.equal(h.deletedNow, false);
    assert.equal(h.currentVersion, 0);
  });
});

describe('the path index', () => {
  test('deleting a snapshot takes it out of the history, and a stale index (a snapshot it does not cover) is caught up', async (t) => {
    const { pe, service, ids } = await threeSnapshots(t, cloneEnv);
    await deleteSnapshot(service, ids[1]);
    const h = await service.history.history(pe.target, 'notes.txt');
    assert.deepEqual(h.versions.map((v) => v.snapshots.map((s) => s.id)), [[ids[2]], [ids[0]]]);
    // The index taken back to an older state does not cover the newest snapshot: the query notices by the ids.
    const dir = path.join(pe.home, 'paths');
    const [file] = (await readdir(dir)).filter((n) => !n.includes('.log.'));
    const before = await readFile(path.join(dir, file ?? ''), 'utf8');
    await writeFile(path.join(pe.target, 'later.txt'), 'later');
    await createSnapshot(service, { path: pe.target, provider: 'clone' });
    await writeFile(path.join(dir, file ?? ''), before);
    const fresh = new ServiceContext({ home: pe.home });
    const later = await fresh.history.history(pe.target, 'later.txt');
    assert.equal(later.versions.length, 1);
    assert.deepEqual(later.deletions, [], 'absent before it was made is not deleted');
  });

  test('the log is never appended to through a link put in its place, and the answers stay right', async (t) => {
    const { pe, service } = await threeSnapshots(t, cloneEnv);
    await service.history.history(pe.target, 'notes.txt');
    const dir = path.join(pe.home, 'paths');
    const [file] = (await readdir(dir)).filter((n) => !n.includes('.log.'));
    const victim = path.join(pe.root, 'victim.txt');
    await writeFile(victim, 'mine\n');
    await rm(path.join(dir, (file ?? '').replace(/\.ndjson$/, '.log.ndjson')), { force: true });
    await symlink(victim, path.join(dir, (file ?? '').replace(/\.ndjson$/, '.log.ndjson')));
    await writeFile(path.join(pe.target, 'later.txt'), 'later');
    await createSnapshot(service, { path: pe.target, provider: 'clone' });
    assert.equal(await readFile(victim, 'utf8'), 'mine\n', 'nothing written through the link');
    assert.equal((await new ServiceContext({ home: pe.home }).history.history(pe.target, 'later.txt')).versions.length, 1);
  });

  test('a typed name that could be a backslash name or a name that is not UTF-8 is refused, never guessed', async (t) => {
    const { pe, service } = await threeSnapshots(t, cloneEnv);
    await writeFile(path.join(pe.target, 'lit\\xe9'), 'LITERAL');
    await writeFile(Buffer.from(path.join(pe.target, 'lit\xe9'), 'latin1'), 'NONUTF');
    await createSnapshot(service, { path: pe.target, provider: 'clone' });
    await assert.rejects(service.history.nameIn(pe.target, 'lit\\xe9'), /names two files: one with a backslash in its name and one with a byte that is not UTF-8/);
    assert.equal(await service.history.nameIn(pe.target, LATIN1.replace('caf', 'caf')), LATIN1, 'a name that is only one of them is found');
  });

  test('restore --to a named pipe or a device is refused, with --force too, and leaves it as it was', async (t) => {
    const { pe, service, ids } = await threeSnapshots(t, cloneEnv);
    const fifo = path.join(pe.root, 'pipe');
    execFileSync('mkfifo', [fifo]);
    for (const force of [false, true]) await assert.rejects(service.history.restoreTo(await getSnapshot(service, ids[0]), 'notes.txt', fifo, { force }), /is a named pipe: nothing was written/);
    assert.ok((await lstat(fifo)).isFIFO());
  });

  test('a damaged index is kept aside and rebuilt by the next query; a missing one is built', async (t) => {
    const { pe, service } = await threeSnapshots(t, cloneEnv);
    await service.history.history(pe.target, 'notes.txt');
    const dir = path.join(pe.home, 'paths');
    const [file] = (await readdir(dir)).filter((n) => !n.includes('.log.'));
    const full = path.join(dir, file ?? '');
    await writeFile(full, (await readFile(full, 'utf8')).replace('"notes.txt",', '"notes.txt",[[['));
    const fresh = new ServiceContext({ home: pe.home });
    assert.equal((await fresh.history.history(pe.target, 'notes.txt')).versions.length, 3);
    assert.ok((await readdir(dir)).some((n) => n.includes('.corrupt-')), 'the damaged file is kept');
    assert.ok(fresh.takeNotices().some((n) => /damaged/.test(n)));
    await rm(dir, { recursive: true });
    assert.equal((await new ServiceContext({ home: pe.home }).history.history(pe.target, 'notes.txt')).versions.length, 3);
  });

  test('a snapshot whose manifest is damaged is skipped and named, not fatal', async (t) => {
    const { pe, ids } = await threeSnapshots(t, cloneEnv);
    await rm(path.join(pe.home, 'paths'), { recursive: true, force: true });
    await writeFile(path.join(pe.home, 'clone', 'manifests', `${ids[1]}.json`), '{"version":1,');
    const service = new ServiceContext({ home: pe.home });
    const h = await service.history.history(pe.target, 'notes.txt');
    assert.deepEqual(h.skipped.map((s) => s.id), [ids[1]]);
    assert.deepEqual(h.versions.map((v) => v.snapshots.map((s) => s.id)), [[ids[2]], [ids[0]]]);
  });

  test('restore --to writes the version with its mode and mtime, never over a file or through a link', async (t) => {
    const { pe, service, ids } = await threeSnapshots(t, cloneEnv);
    const record = await getSnapshot(service, ids[0]);
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

/** The folder's path index file and its log, in the state folder's paths/. */
async function indexFiles(home: string): Promise<{ main: string; log: string }> {
  const dir = path.join(home, 'paths');
  const main = (await readdir(dir)).find((n) => n.endsWith('.ndjson') && !n.includes('.log.') && !n.includes('.corrupt-')) ?? '';
  return { main: path.join(dir, main), log: path.join(dir, main.replace(/\.ndjson$/, '.log.ndjson')) };
}

describe('what the attack on file history found (each failed before its fix)', () => {
  test('an index cut short at a line boundary is damaged, not an answer that the file was never there', async (t) => {
    const { pe, service } = await threeSnapshots(t, cloneEnv);
    await service.history.find(pe.target, '*', await globMatcher('*'));
    const { main } = await indexFiles(pe.home);
    const text = await readFile(main, 'utf8');
    // Keep the header and the first path line only: what a disk-full write or a truncation leaves.
    const lines = text.split('\n');
    await writeFile(main, `${lines.slice(0, 2).join('\n')}\n`);
    const fresh = new ServiceContext({ home: pe.home });
    assert.equal((await fresh.history.history(pe.target, 'src/deep/config.json')).versions.length, 1);
    assert.ok(fresh.takeNotices().some((n) => /damaged/.test(n)));
  });

  test('an index that is a folder, not a file, is kept aside and rebuilt', async (t) => {
    const { pe, service } = await threeSnapshots(t, cloneEnv);
    await service.history.find(pe.target, '*', await globMatcher('*'));
    const { main, log } = await indexFiles(pe.home);
    await rm(main);
    await rm(log, { force: true });
    await mkdir(main);
    const fresh = new ServiceContext({ home: pe.home });
    assert.equal((await fresh.history.history(pe.target, 'notes.txt')).versions.length, 3);
  });

  test('restore --to gives the mode and mtime of the snapshot asked for, not of the first with the same bytes', async (t) => {
    const { pe, service } = await threeSnapshots(t, cloneEnv);
    const file = path.join(pe.target, 'src', 'deep', 'config.json');
    await chmod(file, 0o600);
    await utimes(file, new Date('2020-01-02T03:04:05Z'), new Date('2020-01-02T03:04:05Z'));
    const id = (await createSnapshot(service, { path: pe.target, provider: 'clone' })).id;
    const out = path.join(pe.root, 'secret-copy.json');
    await service.history.restoreTo(await getSnapshot(service, id), 'src/deep/config.json', out, { force: false });
    const st = await stat(out);
    assert.equal(st.mode & 0o777, 0o600, 'a file made private keeps its mode');
    assert.equal(st.mtime.toISOString(), '2020-01-02T03:04:05.000Z');
  });

  test('restore --to a link to a folder writes inside that folder; a folder that is not there is refused', async (t) => {
    const { pe, service, ids } = await threeSnapshots(t, cloneEnv);
    const record = await getSnapshot(service, ids[0]);
    const real = path.join(pe.root, 'real');
    await mkdir(real);
    const link = path.join(pe.root, 'to-real');
    await symlink(real, link);
    await service.history.restoreTo(record, 'notes.txt', link, { force: true });
    assert.equal(await readFile(path.join(real, 'notes.txt'), 'utf8'), 'first\n');
    assert.equal((await lstat(link)).isSymbolicLink(), true, 'the link is still there');
    await assert.rejects(service.history.restoreTo(record, 'notes.txt', `${path.join(pe.root, 'nowhere')}/`, { force: false }), /does not exist/);
  });

  test('two names that are not UTF-8 and read the same as text are refused, never one guessed', async (t) => {
    const { pe, service, ids } = await threeSnapshots(t, cloneEnv);
    await writeFile(Buffer.from(`${pe.target}/caf\xe8.txt`, 'latin1'), 'other');
    const id = (await createSnapshot(service, { path: pe.target, provider: 'clone' })).id;
    const asText = 'caf\ufffd.txt'; // what Node makes of either name given on a command line
    await assert.rejects(service.history.read(await getSnapshot(service, id), asText), /could be any of 2 names/);
    await assert.rejects(service.history.history(pe.target, asText), /could be any of 2 names/);
    assert.equal((await service.history.read(await getSnapshot(service, id), 'caf\\xe8.txt')).toString(), 'other');
    assert.equal((await service.history.read(await getSnapshot(service, ids[0]), 'caf\\xe9.txt')).toString(), 'latin');
  });

  test('a folder with no snapshots of its own, inside one that has, is named in plain words', async (t) => {
    const { pe, service } = await threeSnapshots(t, cloneEnv);
    await assert.rejects(service.history.find(path.join(pe.target, 'src'), '*', await globMatcher('*')), (err: Error) => /no snapshots of .*src: it is inside/.test(err.message));
    await assert.rejects(globMatcher('/'), /names no path/);
  });

  test('a stored object replaced by a link is refused as damaged, never followed', async (t) => {
    const { pe, service, ids } = await threeSnapshots(t, cloneEnv);
    const record = await getSnapshot(service, ids[0]);
    const manifest = JSON.parse(await readFile(path.join(pe.home, 'clone', 'manifests', `${ids[0]}.json`), 'utf8')) as { entries: { path: string; oid: string }[] };
    const oid = manifest.entries.find((e) => e.path === 'notes.txt')?.oid ?? '';
    const object = path.join(pe.home, 'clone', 'objects', oid.slice(0, 2), oid);
    await rm(object);
    await writeFile(path.join(pe.root, 'elsewhere'), 'first\n');
    await symlink(path.join(pe.root, 'elsewhere'), object);
    await assert.rejects(service.history.read(record, 'notes.txt'), /stored copy of notes.txt .* is not a file/);
  });
});

describe('the path index log (a create appends, it does not rewrite the index)', () => {
  test('a create leaves the index file alone and queries see its snapshot; the log is folded in after COMPACT_AT creates', async (t) => {
    const { pe, service, ids } = await threeSnapshots(t, cloneEnv);
    const { main, log } = await indexFiles(pe.home);
    const before = await stat(main, { bigint: true });
    await writeFile(path.join(pe.target, 'notes.txt', 'inside.txt'), 'new');
    await rm(path.join(pe.target, 'src'), { recursive: true });
    const id = (await createSnapshot(service, { path: pe.target, provider: 'clone' })).id;
    const after = await stat(main, { bigint: true });
    assert.equal(after.mtimeNs, before.mtimeNs, 'the index was not written again');
    assert.ok((await readFile(log, 'utf8')).includes(id));
    const fresh = new ServiceContext({ home: pe.home });
    assert.deepEqual((await fresh.history.history(pe.target, 'notes.txt/inside.txt')).versions.map((v) => v.snapshots.map((s) => s.id)), [[id]]);
    const config = await fresh.history.history(pe.target, 'src/deep/config.json');
    assert.deepEqual(config.deletions.map((d) => d.id), [id]);
    assert.deepEqual(config.versions[0]?.snapshots.map((s) => s.id), [ids[2], ids[1], ids[0]]);
    const found = await fresh.history.find(pe.target, '*.txt', await globMatcher('*.txt'));
    assert.deepEqual(found.matches.map((m) => [m.path, m.deleted, m.count]).filter(([p]) => p !== LATIN1 && p !== 'with space\nand newline.txt'), [['notes.txt', false, 4], ['notes.txt/inside.txt', false, 1]]);
    let folded = false;
    for (let i = 0; i < 64; i++) {
      await createSnapshot(service, { path: pe.target, provider: 'clone', tag: `n${i}` });
      folded ||= !(await stat(log).then(() => true, () => false));
    }
    assert.ok(folded, 'folded into the index, the log was emptied');
    assert.equal((await new ServiceContext({ home: pe.home }).history.history(pe.target, 'notes.txt/inside.txt')).versions[0]?.snapshots.length, 65);
  });

  test('a delta whose base snapshot was deleted, or a damaged log line, is caught up from the snapshots', async (t) => {
    const { pe, service, ids } = await threeSnapshots(t, cloneEnv);
    const { log } = await indexFiles(pe.home);
    await writeFile(path.join(pe.target, 'late.txt'), 'late');
    const id = (await createSnapshot(service, { path: pe.target, provider: 'clone' })).id;
    await deleteSnapshot(service, ids[2]);
    assert.deepEqual((await new ServiceContext({ home: pe.home }).history.history(pe.target, 'late.txt')).versions[0]?.snapshots.map((s) => s.id), [id]);
    await writeFile(path.join(pe.target, 'later.txt'), 'later');
    const next = (await createSnapshot(service, { path: pe.target, provider: 'clone' })).id;
    await writeFile(log, (await readFile(log, 'utf8')).replace('later.txt', 'later.txt"]]]'));
    assert.deepEqual((await new ServiceContext({ home: pe.home }).history.history(pe.target, 'later.txt')).versions[0]?.snapshots.map((s) => s.id), [next]);
  });
});
