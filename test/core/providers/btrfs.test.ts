import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdir, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { BTRFS_SNAPSHOT_DIR, parseQgroupShow } from '../../../src/core/providers/btrfs.js';
import { capture } from '../../../src/core/providers/clone/capture.js';
import { ClonePool } from '../../../src/core/providers/clone/pool.js';
import { hashFile } from '../../../src/core/tree/content-hash.js';
import { appendedLines, editInPlace, keepAppending, objectFile, storedFiles } from '../../helpers/clone-store.js';
import { parseJson, runCli } from '../../helpers/helpers.js';
import { btrfsEnv, btrfsUnavailable, type ProviderEnv } from '../../helpers/provider-envs.js';
import { ServiceContext } from '../../../src/core/service/context.js';
import { createSnapshot, type CreatedRecord } from '../../../src/core/service/create.js';
import { previewRollback } from '../../../src/core/service/preview.js';
import { listSnapshots } from '../../../src/core/service/queries.js';
import { rollback } from '../../../src/core/service/rollback.js';

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
  let service: ServiceContext;
  before(async () => {
    pe = await btrfsEnv({ wholeSubvolume: true });
    service = new ServiceContext({ home: pe.home });
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
    const [snap] = await listSnapshots(service);
    assert.ok(snap);
    await assert.rejects(writeFile(path.join(snap.ref, 'a.txt'), 'tamper'), /EROFS|read-only/i);
  });

  test('a whole-subvolume rollback restores the subvolume and keeps every snapshot', async () => {
    const [first] = await listSnapshots(service);
    assert.ok(first);
    await writeFile(path.join(pe.target, 'a.txt'), 'two\n');
    await writeFile(path.join(pe.target, 'b.txt'), 'added\n');
    const second = await createSnapshot(service, { path: pe.target });
    await rollback(service, first.id);
    assert.equal(await readFile(path.join(pe.target, 'a.txt'), 'utf8'), 'one\n');
    assert.deepEqual((await readdir(pe.target)).sort(), ['a.txt'], 'nothing of snapctl\'s inside the folder');
    const kept = await readdir(path.join(path.dirname(pe.target), BTRFS_SNAPSHOT_DIR));
    for (const r of await listSnapshots(service)) assert.ok(kept.includes(r.id), `${r.id} kept`);
    assert.ok(kept.includes(second.id));
    const { added, removed, modified } = await previewRollback(service, first.id);
    assert.deepEqual({ added, removed, modified }, { added: [], removed: [], modified: [] }, 'the snapshot folder is not part of the diff');
  });
});

describe('clone snapshots of a folder on btrfs, with the store on the same subvolume', { skip: skip ?? false }, () => {
  let pe: ProviderEnv;
  before(async () => { pe = await btrfsEnv({ sizeMb: 512 }); });
  after(() => pe?.cleanup());

  test('share the files\' blocks instead of copying them (reflinks), and roll back exactly', async () => {
    const home = path.join(path.dirname(pe.target), 'snapctl-home');
    const service = new ServiceContext({ home });
    // Files up to 64 KiB are written, not cloned (see copyChanged): these are just over, cloned with direct calls.
    for (let i = 0; i < 40; i++) await writeFile(path.join(pe.target, `small-${i}.bin`), Buffer.alloc(80 * 1024, i));
    await writeFile(path.join(pe.target, 'large.bin'), Buffer.alloc(40 * 1024 * 1024, 7));
    execFileSync('sync');
    const used = (): number => Number(execFileSync('df', ['--output=used', '-B1', pe.target]).toString().trim().split('\n')[1]);
    const before = used();
    const snap = await createSnapshot(service, { path: pe.target, provider: 'clone' });
    execFileSync('sync');
    const grew = used() - before;
    assert.equal(snap.size, 40 * 80 * 1024 + 40 * 1024 * 1024);
    // 43.2 MB of content: a copy would take all of it; clones take metadata only.
    assert.ok(grew < 8 * 1024 * 1024, `the snapshot took ${(grew / 1048576).toFixed(1)} MB of new space for 43.2 MB of files`);
    await writeFile(path.join(pe.target, 'small-3.bin'), 'changed');
    await rollback(service, snap.id);
    assert.deepEqual(await readFile(path.join(pe.target, 'small-3.bin')), Buffer.alloc(80 * 1024, 3));
  });
});

// The store on the same btrfs as the folder: copies are reflink clones, the default on btrfs and on APFS.
describe('a clone snapshot on a reflink store has the hash of every object before it is listed', { skip: skip ?? false }, () => {
  let pe: ProviderEnv;
  let home: string;
  let service: ServiceContext;
  before(async () => {
    pe = await btrfsEnv({ sizeMb: 512 });
    home = path.join(path.dirname(pe.target), 'snapctl-home');
    service = new ServiceContext({ home });
  });
  after(() => pe?.cleanup());

  test('an object edited in place before any verify is refused by the rollback, which names the file and writes nothing', async () => {
    for (let i = 0; i < 20; i++) await writeFile(path.join(pe.target, `f${i}.txt`), `content ${i}, long enough\n`);
    await writeFile(path.join(pe.target, 'large.bin'), Buffer.alloc(2 * 1024 * 1024, 9));
    const snap = await createSnapshot(service, { path: pe.target, provider: 'clone' });
    const stored = await storedFiles(home, snap.id);
    // Small files are written with direct calls, large ones cloned in the thread pool: one of each edited.
    for (const name of ['f3.txt', 'large.bin']) {
      editInPlace(objectFile(home, stored.get(name)?.oid ?? ''));
      await writeFile(path.join(pe.target, name), 'changed\n');
    }
    await assert.rejects(rollback(service, snap.id), (err: Error) => /is damaged/.test(err.message) && /f3\.txt/.test(err.message) && /large\.bin/.test(err.message));
    assert.equal(await readFile(path.join(pe.target, 'f3.txt'), 'utf8'), 'changed\n');
    assert.equal(await readFile(path.join(pe.target, 'large.bin'), 'utf8'), 'changed\n');
    assert.equal(await readFile(path.join(pe.target, 'f4.txt'), 'utf8'), 'content 4, long enough\n');
    for (const [p, e] of stored) assert.match(e.hash ?? '', /^[0-9a-f]{64}$/, `${p} has its hash as soon as the snapshot is listed`);
  });

  // The timeout guards against a copy chasing the log for ever (as reads to the end of the file did), it measures nothing.
  test('a file appended to while it is cloned is stored as cloned, named as changing, and the rollback restores it', { timeout: 120_000 }, async () => {
    const log = path.join(pe.target, 'dev.log');
    const prefill = 300_000;
    await writeFile(log, appendedLines(prefill));
    const appender = keepAppending(log, prefill);
    let snap: CreatedRecord;
    let lines: number;
    try {
      snap = await createSnapshot(service, { path: pe.target, provider: 'clone' });
    } finally {
      lines = await appender.stop();
    }
    assert.ok(snap.problems.some((p) => p.path === 'dev.log' && /changing while it was copied/.test(p.reason)), JSON.stringify(snap.problems));
    const entry = (await storedFiles(home, snap.id)).get('dev.log');
    assert.ok(entry);
    assert.equal((await stat(objectFile(home, entry.oid))).size, entry.size, 'the size recorded is the stored object\'s');
    await writeFile(log, 'cleared by hand\n');
    await rollback(service, snap.id, { paths: ['dev.log'] });
    const back = await readFile(log);
    assert.equal(back.length, entry.size);
    assert.equal(createHash('sha256').update(back).digest('hex'), entry.hash);
    assert.ok(appendedLines(lines).startsWith(back.toString()) && back.length >= appendedLines(prefill).length);
  });

  test('a 10 GB file with nothing allocated is cloned and hashed by its data alone, and reported by what it takes', async () => {
    const image = path.join(pe.target, 'disk.img');
    await writeFile(image, '');
    await truncate(image, 10 * 1024 ** 3);
    const snap = await createSnapshot(service, { path: pe.target, provider: 'clone' });
    assert.ok(snap.addedBytes < 64 * 1024 * 1024, `reported ${snap.addedBytes} bytes new`);
    const entry = (await storedFiles(home, snap.id)).get('disk.img');
    assert.equal(entry?.hash, await hashFile(image, { kind: 'blocks' }));
    // The other files of the folder are read once each too (a few MB); a read of the image would be 10 GB.
    const counted = await capture(pe.target, new ClonePool(path.join(path.dirname(pe.target), 'counting-pool')), 'counting', [], { copiesAreClones: true });
    assert.ok(counted.bytesRead < 64 * 1024 * 1024, `read ${counted.bytesRead} bytes`);
    await rm(image);
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
    const [snap] = await listSnapshots(new ServiceContext({ home: pe.home }));
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
