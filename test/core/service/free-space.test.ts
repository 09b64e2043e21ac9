import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { link, mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CloneProvider } from '../../../src/core/providers/clone/clone-provider.js';
import type { CreateRequest } from '../../../src/core/providers/provider.js';
import { GB, LowSpace, floorBytes } from '../../../src/core/service/free-space.js';
import { runCli, tempDir } from '../../helpers/helpers.js';
import { humanBytes } from '../../../src/shared/format.js';
import { DEFAULT_POLICY, type FolderPolicy, ServiceContext } from '../../../src/core/service/context.js';
import { createSnapshot } from '../../../src/core/service/create.js';
import { deleteSnapshot } from '../../../src/core/service/delete.js';
import type { ServiceEvent } from '../../../src/core/service/events.js';
import { listSnapshots } from '../../../src/core/service/queries.js';
import { folderState } from '../../../src/core/service/status.js';

/** The tmpfs below is sized in MiB (mount's 20m); sizes shown are decimal (humanBytes), so 20 MiB reads 21 MB. */
const MIB = 1024 * 1024;

/** A tmpfs of `size` at a new folder (root only), or null when one cannot be mounted here. */
function smallFilesystem(dir: string, size: string): boolean {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0700`, 'tmpfs', dir], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

async function listing(dir: string): Promise<string[]> {
  return (await readdir(dir).catch(() => [])).sort();
}

/** Every object file of a clone store (objects/ab/<oid>). */
async function objects(cloneDir: string): Promise<string[]> {
  const out: string[] = [];
  for (const sub of await listing(path.join(cloneDir, 'objects'))) if (/^[0-9a-f]{2}$/.test(sub)) out.push(...await listing(path.join(cloneDir, 'objects', sub)));
  return out;
}

const canMount = process.getuid?.() === 0;

describe('the free-space floor', () => {
  test('the default is 5% of the filesystem, at least 1 GB (as sizes are shown: 1000³ bytes), at most a tenth of it; bytes and percentages as set', () => {
    assert.equal(floorBytes(null, 100 * GB), 5 * GB);
    assert.equal(floorBytes(null, 10 * GB), GB);
    assert.equal(humanBytes(floorBytes(null, 12 * GB)), '1.0 GB', 'what the settings call "at least 1 GB" reads 1.0 GB');
    assert.equal(floorBytes(null, 20 * MIB), 2 * MIB, 'a small filesystem is not full from the start');
    assert.equal(floorBytes('10%', 50 * GB), 5 * GB);
    assert.equal(floorBytes(12345, 50 * GB), 12345);
  });

  test('list says when the floor in the settings is not valid, rather than quietly showing the default', async (t) => {
    const root = await tempDir();
    t.after(() => rm(root, { recursive: true, force: true }));
    await mkdir(path.join(root, 'home'));
    await mkdir(path.join(root, 'p'));
    await writeFile(path.join(root, 'p', 'a'), 'a');
    const env = { SNAPCTL_HOME: path.join(root, 'home') };
    assert.equal((await runCli(['create', '--path', path.join(root, 'p')], env)).code, 0);
    await writeFile(path.join(root, 'home', 'settings.json'), JSON.stringify({ version: 1, targets: [], freeSpaceFloor: '1 GB' }));
    const r = await runCli(['list'], env);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /the settings' free-space floor "1 GB" is not bytes or a percentage such as "10%": the default is used/);
  });

  describe('on a 20 MiB tmpfs', { skip: canMount ? false : 'needs root to mount a tmpfs' }, () => {
    let root: string;
    let store: string;
    let project: string;
    let mounted = false;
    before(async () => {
      root = await tempDir();
      store = path.join(root, 'home');
      project = path.join(root, 'project');
      await mkdir(store);
      await mkdir(project);
      mounted = smallFilesystem(store, '20m');
    });
    after(async () => {
      if (mounted) execFileSync('umount', [store]);
      await rm(root, { recursive: true, force: true });
    });

    test('a manual snapshot that would cross the floor is refused, naming the need and the free space, and writes nothing', async (t) => {
      assert.ok(mounted, 'a tmpfs can be mounted as root');
      await writeFile(path.join(project, 'big.bin'), Buffer.alloc(19 * MIB, 1));
      t.after(() => rm(path.join(project, 'big.bin'), { force: true }));
      const r = await runCli(['create', '--path', project], { SNAPCTL_HOME: store });
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, /not enough free space for a snapshot of .*project: it needs about 20 MB, 1\d MB free above the 2\.1 MB floor/);
      assert.match(r.stderr, /nothing was written/);
      const clone = path.join(store, 'clone');
      assert.deepEqual(await objects(clone), []);
      assert.deepEqual(await listing(path.join(clone, 'manifests')), []);
      assert.deepEqual(await listing(path.join(clone, 'pending')), []);
      assert.deepEqual(await listing(path.join(store, 'pending')), []);
    });

    test('a file with holes counts by the blocks it takes and a file with several names once, so neither is refused for room it never needs', async (t) => {
      const dir = path.join(root, 'holes-and-links');
      await mkdir(dir);
      t.after(() => rm(dir, { recursive: true, force: true }));
      execFileSync('truncate', ['-s', '200M', path.join(dir, 'disk.img')]);
      await writeFile(path.join(dir, 'one.bin'), Buffer.alloc(7 * MIB, 3));
      for (const name of ['two.bin', 'three.bin']) await link(path.join(dir, 'one.bin'), path.join(dir, name));
      const r = await runCli(['create', '--path', dir], { SNAPCTL_HOME: store });
      assert.equal(r.code, 0, r.stderr);
      const [made] = JSON.parse((await runCli(['list', '--json', '--path', dir], { SNAPCTL_HOME: store })).stdout) as { id: string; uniqueBytes: number }[];
      // Given back whatever the test finds, so the tests after it have the disk they expect.
      t.after(async () => { await runCli(['delete', made?.id ?? '', '--yes'], { SNAPCTL_HOME: store }); });
      // What deleting it frees counts the sparse file by its blocks, as the pool keeps it: 7 MB, not 207.
      assert.ok((made?.uniqueBytes ?? Infinity) < 8 * MIB, `uniqueBytes ${made?.uniqueBytes}`);
    });

    test('a scheduled snapshot first prunes the oldest timeline snapshots retention allows, then skips with an event when that is not enough', async () => {
      const policy: FolderPolicy = { ...DEFAULT_POLICY, retention: { hourly: 1, daily: 1, weekly: 1, monthly: 1, manual: 5, safety: 5, preOperation: 5 } };
      const service = new ServiceContext({ home: store, policy: async () => policy });
      const events: ServiceEvent[] = [];
      service.onEvent((e) => events.push(e));
      const file = path.join(project, 'data.bin');
      const taken: string[] = [];
      for (let i = 1; i <= 3; i++) {
        await writeFile(file, Buffer.alloc(5 * MIB, i));
        taken.push((await createSnapshot(service, { path: project, trigger: 'schedule' })).id);
      }
      // 15 MB held, about 5 MB free: another 5 MB would cross the 2 MB floor, so the oldest one goes first.
      await writeFile(file, Buffer.alloc(5 * MIB, 4));
      const fourth = await createSnapshot(service, { path: project, trigger: 'schedule' });
      const left = (await listSnapshots(service, { target: project })).map((s) => s.id);
      assert.deepEqual(left, [fourth.id, taken[2], taken[1]], 'only the oldest was pruned, just enough');
      assert.ok(events.some((e) => e.type === 'snapshot-deleted' && e.record.id === taken[0]));

      // 17 MB cannot fit even with every snapshot retention allows deleting gone: pruned, then skipped.
      await writeFile(file, Buffer.alloc(17 * MIB, 5));
      const err = await createSnapshot(service, { path: project, trigger: 'schedule' }).then(() => null, (e: unknown) => e);
      assert.ok(err instanceof LowSpace, String(err));
      assert.equal(err.pruned, 2);
      assert.match(err.message, /\(after deleting 2 older snapshots retention allowed, which was not enough\)$/);
      assert.deepEqual((await listSnapshots(service, { target: project })).map((s) => s.id), [fourth.id], 'the newest is never pruned');
      const skipped = events.find((e) => e.type === 'snapshot-skipped');
      assert.ok(skipped?.type === 'snapshot-skipped' && skipped.reason === 'low_space' && skipped.needBytes === 17 * MIB && skipped.pruned === 2, JSON.stringify(skipped));
      assert.ok(!events.some((e) => e.type === 'snapshot-failed'), 'a skip is not a failure');
      await deleteSnapshot(service, fourth.id);
    });

    test('a snapshot that runs out of space part way removes everything it wrote and says how much it needed', async () => {
      await writeFile(path.join(project, 'data.bin'), Buffer.alloc(4 * MIB, 6));
      await writeFile(path.join(project, 'more.bin'), Buffer.alloc(4 * MIB, 7));
      const filler = path.join(store, 'filler');
      // The disk fills between the check and the copy (another program writing): the copy meets ENOSPC.
      const clone = new CloneProvider(path.join(store, 'clone'));
      const create = clone.create.bind(clone);
      clone.create = (request: CreateRequest) => create({ ...request, budget: async (need) => { await request.budget?.(need); await writeFile(filler, Buffer.alloc(14 * MIB, 0)); } });
      const service = new ServiceContext({ home: store, providers: { clone }, policy: async () => ({ ...DEFAULT_POLICY, floor: 0 }) });
      const before = { objects: await objects(path.join(store, 'clone')), manifests: await listing(path.join(store, 'clone', 'manifests')) };
      await assert.rejects(createSnapshot(service, { path: project }), /ran out of space part way \(the disk is full\): it needed about 8\.4 MB and .* is free now; everything it wrote was removed/);
      assert.deepEqual(await objects(path.join(store, 'clone')), before.objects);
      assert.deepEqual(await listing(path.join(store, 'clone', 'objects', 'tmp')), []);
      assert.deepEqual(await listing(path.join(store, 'clone', 'manifests')), before.manifests);
      assert.deepEqual(await listing(path.join(store, 'clone', 'records')), before.manifests);
      assert.deepEqual(await listing(path.join(store, 'clone', 'pending')), []);
      assert.deepEqual(await listing(path.join(store, 'pending')), []);
      assert.deepEqual(await listSnapshots(service), []);
      await rm(filler);
      clone.create = create;
      assert.equal((await createSnapshot(service, { path: project })).files, 2, 'once there is room it works');
    });

    test('status names the problem while free space is under the floor, and it goes once there is room', async () => {
      const service = new ServiceContext({ home: store, policy: async () => DEFAULT_POLICY });
      const filler = path.join(store, 'filler');
      const { statfs } = await import('node:fs/promises');
      const fs = await statfs(store);
      await writeFile(filler, Buffer.alloc(fs.bavail * fs.bsize - MIB, 0));
      try {
        const { problems } = await folderState(service, project);
        assert.ok(problems.some((p) => /snapctl's store has .* free, below the 2\.1 MB floor: scheduled snapshots prune what retention allows, then skip/.test(p)), JSON.stringify(problems));
      } finally {
        await rm(filler);
      }
      assert.deepEqual((await folderState(service, project)).problems.filter((p) => p.includes('floor')), []);
    });
  });
});
