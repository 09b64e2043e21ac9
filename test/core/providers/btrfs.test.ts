import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { BTRFS_SNAPSHOT_DIR, parseQgroupShow } from '../../../src/core/providers/btrfs.js';
import { SnapshotService } from '../../../src/core/service/service.js';
import { parseJson, runCli } from '../../helpers/helpers.js';
import { btrfsEnv, btrfsUnavailable, type ProviderEnv } from '../../helpers/provider-envs.js';

const skip = btrfsUnavailable();
if (skip) console.log(`# ${skip}`);

describe('btrfs qgroup output', () => {
  test('btrfs-progs 6 and 4 formats give the quota group of the subvolume itself; anything else is quoted', () => {
    const v6 = 'Qgroupid    Referenced    Exclusive   Path \n--------    ----------    ---------   ---- \n0/258          5017600        16384   vol/.snapctl-snapshots/20261125-101010-abcdef\n';
    assert.deepEqual(parseQgroupShow(v6), { referenced: 5017600, exclusive: 16384 });
    const v4 = 'qgroupid         rfer         excl \n--------         ----         ---- \n0/257          1048576        4096 \n1/0            9999999        8192 \n';
    assert.deepEqual(parseQgroupShow(v4), { referenced: 1048576, exclusive: 4096 });
    assert.throws(() => parseQgroupShow('Qgroupid Referenced Exclusive\n-------- ---------- ---------\n0/258 5.00MiB 16.00KiB\n'), /could not read the output of btrfs qgroup show --raw -f: "Qgroupid/);
    assert.throws(() => parseQgroupShow('Qgroupid Referenced Exclusive Path\n-------- ---------- --------- ----\n'), /could not read the output of btrfs qgroup show/);
    assert.throws(() => parseQgroupShow('WARNING: something new\n'), /could not read the output of btrfs qgroup show/);
  });
});

describe('btrfs snapshot sizes', { skip: skip ?? false }, () => {
  let pe: ProviderEnv;
  before(async () => { pe = await btrfsEnv({ wholeSubvolume: true }); });
  after(() => pe?.cleanup());

  test('without quotas the size is unknown (0); with quotas on, the snapshot records what btrfs says it references and holds alone', async () => {
    await writeFile(path.join(pe.target, 'data.bin'), Buffer.alloc(1024 * 1024, 7));
    const env = { SNAPCTL_HOME: pe.home };
    const before = await runCli(['create', '--path', pe.target, '--json'], env);
    assert.equal(before.code, 0, before.stderr);
    assert.deepEqual(parseJson<{ size: number; addedBytes: number }>(before.stdout), { ...parseJson<object>(before.stdout), size: 0, addedBytes: 0 });
    execFileSync('btrfs', ['quota', 'enable', path.dirname(pe.target)]);
    execFileSync('btrfs', ['quota', 'rescan', '-w', path.dirname(pe.target)], { stdio: 'ignore' });
    const after = await runCli(['create', '--path', pe.target, '--json'], env);
    assert.equal(after.code, 0, after.stderr);
    const record = parseJson<{ size: number; addedBytes: number }>(after.stdout);
    assert.ok(record.size >= 1024 * 1024, `size ${record.size} covers the 1 MiB file`);
    assert.ok(record.addedBytes > 0 && record.addedBytes < 1024 * 1024, `exclusive ${record.addedBytes}: the file's data is shared with the folder`);
    const listed = await runCli(['list'], env);
    assert.match(listed.stdout, /1(\.0)? MB/);
  });

  test('uniqueBytes: each snapshot\'s exclusive bytes while quotas are on, null (unknown, never a guess) once they are off', async () => {
    const env = { SNAPCTL_HOME: pe.home };
    await writeFile(path.join(pe.target, 'data.bin'), Buffer.alloc(2 * 1024 * 1024, 9));
    execFileSync('btrfs', ['quota', 'rescan', '-w', path.dirname(pe.target)], { stdio: 'ignore' });
    const on = parseJson<{ uniqueBytes: number | null }[]>((await runCli(['list', '--json'], env)).stdout);
    assert.ok(on.every((s) => typeof s.uniqueBytes === 'number'), JSON.stringify(on));
    execFileSync('btrfs', ['quota', 'disable', path.dirname(pe.target)]);
    const off = parseJson<{ uniqueBytes: number | null }[]>((await runCli(['list', '--json'], env)).stdout);
    assert.ok(off.length > 0 && off.every((s) => s.uniqueBytes === null), JSON.stringify(off));
  });
});

describe('btrfs provider on a real loop-mounted btrfs image', { skip: skip ?? false }, () => {
  let pe: ProviderEnv;
  let service: SnapshotService;
  before(async () => {
    pe = await btrfsEnv({ wholeSubvolume: true });
    service = new SnapshotService({ home: pe.home });
  });
  after(() => pe?.cleanup());

  test('snapctl picks btrfs on its own for a folder in a subvolume, and info says why', async () => {
    await writeFile(path.join(pe.target, 'a.txt'), 'one\n');
    const info = await runCli(['info', '--path', pe.target, '--json'], { SNAPCTL_HOME: pe.home });
    assert.equal(info.code, 0, info.stderr);
    const choice = parseJson<{ chosen: string; reports: { name: string; reason: string }[] }>(info.stdout);
    assert.equal(choice.chosen, 'btrfs');
    assert.match(choice.reports.find((r) => r.name === 'btrfs')?.reason ?? '', /btrfs subvolume/);
    const created = await runCli(['create', '--path', pe.target, '--json'], { SNAPCTL_HOME: pe.home });
    assert.equal(created.code, 0, created.stderr);
    const record = parseJson<{ provider: string; ref: string }>(created.stdout);
    assert.equal(record.provider, 'btrfs');
    // Outside the folder, at the top of its filesystem: the ref is the folder's view in the snapshot.
    const top = path.dirname(pe.target);
    assert.equal(path.dirname(record.ref), path.join(top, BTRFS_SNAPSHOT_DIR));
  });

  test('snapshots are read-only subvolumes', async () => {
    const [snap] = await service.list();
    assert.ok(snap);
    await assert.rejects(writeFile(path.join(snap.ref, 'a.txt'), 'tamper'), /EROFS|read-only/i);
  });

  test('a whole-subvolume rollback restores the subvolume and keeps every snapshot', async () => {
    const [first] = await service.list();
    assert.ok(first);
    await writeFile(path.join(pe.target, 'a.txt'), 'two\n');
    await writeFile(path.join(pe.target, 'b.txt'), 'added\n');
    const second = await service.create({ path: pe.target });
    await service.rollback(first.id);
    assert.equal(await readFile(path.join(pe.target, 'a.txt'), 'utf8'), 'one\n');
    assert.deepEqual((await readdir(pe.target)).sort(), ['a.txt'], 'nothing of snapctl\'s inside the folder');
    const kept = await readdir(path.join(path.dirname(pe.target), BTRFS_SNAPSHOT_DIR));
    for (const r of await service.list()) assert.ok(kept.includes(r.id), `${r.id} kept`);
    assert.ok(kept.includes(second.id));
    const { added, removed, modified } = await service.diff(first.id);
    assert.deepEqual({ added, removed, modified }, { added: [], removed: [], modified: [] }, 'the snapshot folder is not part of the diff');
  });
});

describe('clone snapshots of a folder on btrfs, with the store on the same subvolume', { skip: skip ?? false }, () => {
  let pe: ProviderEnv;
  before(async () => { pe = await btrfsEnv({ sizeMb: 512 }); });
  after(() => pe?.cleanup());

  test('share the files\' blocks instead of copying them (reflinks), and roll back exactly', async () => {
    const home = path.join(path.dirname(pe.target), 'snapctl-home');
    const service = new SnapshotService({ home });
    for (let i = 0; i < 40; i++) await writeFile(path.join(pe.target, `small-${i}.bin`), Buffer.alloc(64 * 1024, i));
    await writeFile(path.join(pe.target, 'large.bin'), Buffer.alloc(40 * 1024 * 1024, 7));
    execFileSync('sync');
    const used = (): number => Number(execFileSync('df', ['--output=used', '-B1', pe.target]).toString().trim().split('\n')[1]);
    const before = used();
    const snap = await service.create({ path: pe.target, provider: 'clone' });
    execFileSync('sync');
    const grew = used() - before;
    assert.equal(snap.size, 40 * 64 * 1024 + 40 * 1024 * 1024);
    // 42.5 MB of content: a copy would take all of it; clones take metadata only.
    assert.ok(grew < 8 * 1024 * 1024, `the snapshot took ${(grew / 1048576).toFixed(1)} MB of new space for 42.5 MB of files`);
    await writeFile(path.join(pe.target, 'small-3.bin'), 'changed');
    await service.rollback(snap.id);
    assert.deepEqual(await readFile(path.join(pe.target, 'small-3.bin')), Buffer.alloc(64 * 1024, 3));
  });
});

describe('reflink clones are hashed soon after their snapshot', { skip: skip ?? false }, () => {
  let pe: ProviderEnv;
  before(async () => { pe = await btrfsEnv(); });
  after(() => pe?.cleanup());

  test('a clone snapshot on btrfs gets its hashes in the background, so a damaged clone is refused, not restored', async () => {
    // The store on the same btrfs as the folder: copies are reflink clones, which pass no byte through snapctl.
    const home = path.join(path.dirname(pe.target), 'snapctl-home');
    const env = { SNAPCTL_HOME: home };
    for (let i = 0; i < 20; i++) await writeFile(path.join(pe.target, `f${i}.txt`), `content ${i}\n`);
    const made = await runCli(['create', '--path', pe.target, '--provider', 'clone', '--json'], env);
    assert.equal(made.code, 0, made.stderr);
    const id = parseJson<{ id: string }>(made.stdout).id;
    const manifestFile = path.join(home, 'clone', 'manifests', `${id}.json`);
    type Entry = { path: string; type: string; oid?: string; hash?: string | null };
    // As checkManifest reads it: a hash left out is the object's name when that is 64 hex digits, else not taken yet.
    const entries = async (): Promise<Entry[]> => (JSON.parse(await readFile(manifestFile, 'utf8')) as { entries: Entry[] }).entries
      .filter((e) => e.type === 'file').map((e) => ({ ...e, hash: e.hash ?? (e.oid?.length === 64 ? e.oid : null) }));
    const deadline = Date.now() + 20_000;
    while ((await entries()).some((e) => e.hash === null) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    const hashed = await entries();
    assert.ok(hashed.every((e) => typeof e.hash === 'string'), 'every clone hashed by the background verify');
    const victim = hashed.find((e) => e.path === 'f3.txt');
    assert.ok(victim?.oid);
    await writeFile(path.join(home, 'clone', 'objects', victim.oid.slice(0, 2), victim.oid), 'content X\n');
    await writeFile(path.join(pe.target, 'f3.txt'), 'changed\n');
    const rb = await runCli(['rollback', id, '--yes'], env);
    assert.equal(rb.code, 1);
    assert.match(rb.stderr, /is damaged: .*"f3\.txt"/);
    assert.equal(await readFile(path.join(pe.target, 'f3.txt'), 'utf8'), 'changed\n');
  });
});

describe('btrfs leaves the project alone', { skip: skip ?? false }, () => {
  let pe: ProviderEnv;
  before(async () => { pe = await btrfsEnv({ wholeSubvolume: true }); });
  after(() => pe?.cleanup());

  test('a git repository that is its own subvolume stays clean: git status shows nothing of snapctl\'s', async () => {
    const env = { SNAPCTL_HOME: pe.home };
    execFileSync('git', ['init', '-q', pe.target]);
    await writeFile(path.join(pe.target, 'README.md'), '# repo\n');
    execFileSync('git', ['-C', pe.target, '-c', 'user.email=t@example.com', '-c', 'user.name=t', 'add', '.']);
    execFileSync('git', ['-C', pe.target, '-c', 'user.email=t@example.com', '-c', 'user.name=t', 'commit', '-qm', 'first']);
    for (let i = 0; i < 2; i++) {
      const r = await runCli(['create', '--path', pe.target, '--json'], env);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(parseJson<{ provider: string }>(r.stdout).provider, 'btrfs');
    }
    assert.equal(execFileSync('git', ['-C', pe.target, 'status', '--porcelain', '--ignored']).toString(), '');
    // Nor does a snapshot hold an empty snapshot folder of its own.
    const [snap] = await new SnapshotService({ home: pe.home }).list();
    assert.ok(snap);
    assert.deepEqual((await readdir(snap.ref)).sort(), ['.git', 'README.md']);
  });

  test('a subvolume inside the folder (a database\'s data): auto picks clone and says why; btrfs is refused; a rollback of an older btrfs snapshot leaves it whole', async () => {
    const env = { SNAPCTL_HOME: pe.home };
    const old = parseJson<{ id: string; provider: string }>((await runCli(['create', '--path', pe.target, '--json'], env)).stdout);
    assert.equal(old.provider, 'btrfs');
    execFileSync('btrfs', ['subvolume', 'create', path.join(pe.target, 'data')], { stdio: 'ignore' });
    await writeFile(path.join(pe.target, 'data', 'table.db'), 'rows\n');
    const info = parseJson<{ chosen: string; reports: { name: string; reason: string }[] }>((await runCli(['info', '--path', pe.target, '--json'], env)).stdout);
    assert.equal(info.chosen, 'clone');
    assert.match(info.reports.find((r) => r.name === 'btrfs')?.reason ?? '', /subvolumes? of its own \(data\)/);
    const forced = await runCli(['create', '--path', pe.target, '--provider', 'btrfs'], env);
    assert.equal(forced.code, 1);
    assert.match(forced.stderr, /--provider clone/);
    const auto = parseJson<{ provider: string }>((await runCli(['create', '--path', pe.target, '--json'], env)).stdout);
    assert.equal(auto.provider, 'clone');
    const rb = await runCli(['rollback', old.id, '--yes'], env);
    assert.equal(rb.code, 0, rb.stderr);
    assert.equal(await readFile(path.join(pe.target, 'data', 'table.db'), 'utf8'), 'rows\n', 'the nested subvolume is not emptied');
  });
});

describe('btrfs on the top of its filesystem', { skip: skip ?? false }, () => {
  let pe: ProviderEnv;
  before(async () => { pe = await btrfsEnv({ wholeSubvolume: true }); });
  after(() => pe?.cleanup());

  test('a folder that is the mounted filesystem itself gets clone: its snapshots would have to live inside it', async () => {
    const top = path.dirname(pe.target);
    const info = parseJson<{ chosen: string; reports: { name: string; reason: string }[] }>((await runCli(['info', '--path', top, '--json'], { SNAPCTL_HOME: pe.home })).stdout);
    assert.equal(info.chosen, 'clone');
    assert.match(info.reports.find((r) => r.name === 'btrfs')?.reason ?? '', /top of its btrfs filesystem/);
  });
});
