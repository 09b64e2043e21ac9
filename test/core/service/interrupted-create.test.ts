import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { hostname } from 'node:os';
import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { BTRFS_SNAPSHOT_DIR } from '../../../src/core/providers/btrfs.js';
import { parseJson, runCli, sandbox } from '../../helpers/helpers.js';
import { btrfsEnv, btrfsUnavailable, type ProviderEnv } from '../../helpers/provider-envs.js';

/** A pid no process has (the kernel's limit is far below it): what a create killed with -9 leaves in its marker. */
const DEAD_PID = 2 ** 30;

async function leaveMarker(home: string, id: string, provider: string, target: string): Promise<void> {
  await mkdir(path.join(home, 'pending'), { recursive: true });
  await writeFile(path.join(home, 'pending', `${id}.json`), JSON.stringify({ id, provider, target, pid: DEAD_PID, host: hostname() }));
}

const ls = (dir: string): Promise<string[]> => readdir(dir).catch(() => []);

describe('a create killed part way leaves nothing behind once the next command runs', () => {
  let box: Awaited<ReturnType<typeof sandbox>>;
  before(async () => { box = await sandbox(); });
  after(() => box.cleanup());

  test('clone, killed before its record: its manifest, lease and objects are removed by the next list', async () => {
    const env = { SNAPCTL_HOME: box.home };
    await writeFile(path.join(box.project, 'kept.txt'), 'kept\n');
    const kept = parseJson<{ id: string }>((await runCli(['create', '--path', box.project, '--json'], env)).stdout).id;
    await writeFile(path.join(box.project, 'half.txt'), 'only the killed create copied this\n');
    const id = parseJson<{ id: string }>((await runCli(['create', '--path', box.project, '--json'], env)).stdout).id;
    // Made into what a create killed after writing its data but before its record leaves: objects, a
    // manifest, the pool's lease and the service's marker of a dead process, and no record anywhere.
    const clone = path.join(box.home, 'clone');
    const store = JSON.parse(await readFile(path.join(box.home, 'store.json'), 'utf8')) as { snapshots: { id: string }[] };
    store.snapshots = store.snapshots.filter((s) => s.id !== id);
    await writeFile(path.join(box.home, 'store.json'), JSON.stringify(store));
    await rm(path.join(clone, 'records', `${id}.json`));
    await writeFile(path.join(clone, 'pending', `${id}.json`), JSON.stringify({ pid: DEAD_PID, startedAt: Date.now() }));
    await leaveMarker(box.home, id, 'clone', box.project);

    const r = await runCli(['list', '--json'], env);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(parseJson<{ id: string }[]>(r.stdout).map((s) => s.id), [kept]);
    assert.match(r.stderr, /removed what an interrupted snapshot .* had left/);
    assert.deepEqual(await ls(path.join(box.home, 'pending')), []);
    assert.deepEqual(await ls(path.join(clone, 'pending')), []);
    assert.deepEqual((await ls(path.join(clone, 'manifests'))).sort(), [`${kept}.json`]);
    const v = await runCli(['verify'], env);
    assert.equal(v.code, 0, v.stdout);
    let objects = 0;
    for (const sub of await ls(path.join(clone, 'objects'))) if (/^[0-9a-f]{2}$/.test(sub)) objects += (await ls(path.join(clone, 'objects', sub))).length;
    assert.equal(objects, 1, 'only the kept snapshot\'s object remains');
  });

  test('clone, killed after its record reached the disk: the snapshot is complete and the next command lists it', async () => {
    const home = path.join(box.root, 'adopt-home');
    const env = { SNAPCTL_HOME: home };
    const made = parseJson<{ id: string; tag: string }>((await runCli(['create', '--path', box.project, '--tag', 'almost lost', '--json'], env)).stdout);
    // Killed between the record beside the data and the index: the index does not name it.
    const store = JSON.parse(await readFile(path.join(home, 'store.json'), 'utf8')) as { snapshots: unknown[] };
    store.snapshots = [];
    await writeFile(path.join(home, 'store.json'), JSON.stringify(store));
    await leaveMarker(home, made.id, 'clone', box.project);
    const r = await runCli(['list', '--json'], env);
    assert.deepEqual(parseJson<{ id: string; tag: string }[]>(r.stdout).map((s) => [s.id, s.tag]), [[made.id, 'almost lost']]);
    assert.match(r.stderr, /was complete and is now listed/);
  });
});

const skip = btrfsUnavailable();
describe('btrfs: a create killed part way', { skip: skip ?? false }, () => {
  let pe: ProviderEnv;
  before(async () => { pe = await btrfsEnv({ wholeSubvolume: true }); });
  after(() => pe?.cleanup());

  test('its snapshot subvolume, made but never recorded, is deleted by the next command', async () => {
    const env = { SNAPCTL_HOME: pe.home };
    await writeFile(path.join(pe.target, 'a.txt'), 'one\n');
    assert.equal((await runCli(['create', '--path', pe.target], env)).code, 0);
    const snapshots = path.join(path.dirname(pe.target), BTRFS_SNAPSHOT_DIR);
    const id = '20260101-000000-badbad';
    // What `kill -9` during a create leaves: btrfs made the subvolume, snapctl never recorded it.
    execFileSync('btrfs', ['subvolume', 'snapshot', '-r', pe.target, path.join(snapshots, id)], { stdio: 'ignore' });
    await leaveMarker(pe.home, id, 'btrfs', pe.target);
    const r = await runCli(['list', '--json'], env);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(parseJson<unknown[]>(r.stdout).length, 1);
    await assert.rejects(stat(path.join(snapshots, id)), /ENOENT/);
  });
});
