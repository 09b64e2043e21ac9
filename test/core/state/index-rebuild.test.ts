import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { describeTree, parseJson, runCli, sandbox } from '../../helpers/helpers.js';

type Listed = { id: string; tag: string | null; trigger: string; state: string }[];

/**
 * The snapshots are the truth, the index (store.json) can be rebuilt: each snapshot keeps its own record
 * beside its data.
 */
describe('a lost or damaged index is rebuilt from the snapshots', () => {
  let box: Awaited<ReturnType<typeof sandbox>>;
  before(async () => { box = await sandbox(); });
  after(() => box.cleanup());

  async function twoSnapshots(name: string): Promise<{ env: Record<string, string>; home: string; dir: string; ids: string[]; trees: Record<string, string>[] }> {
    const home = path.join(box.root, `${name}-home`);
    const env = { SNAPCTL_HOME: home };
    const dir = path.join(box.root, name);
    await mkdir(dir, { recursive: true });
    const ids: string[] = [];
    const trees: Record<string, string>[] = [];
    for (const version of ['one', 'two']) {
      await writeFile(path.join(dir, 'file.txt'), `version ${version}\n`);
      await writeFile(path.join(dir, `${version}.txt`), `only in ${version}\n`);
      trees.push(await describeTree(dir));
      const r = await runCli(['create', '--path', dir, '--tag', `tag ${version}`, '--json'], env);
      assert.equal(r.code, 0, r.stderr);
      ids.push(parseJson<{ id: string }>(r.stdout).id);
    }
    return { env, home, dir, ids, trees };
  }

  test('deleted: the next command lists every snapshot with its tag, and says what it did', async () => {
    const { env, home, ids } = await twoSnapshots('deleted');
    await rm(path.join(home, 'store.json'));
    const r = await runCli(['list', '--json'], env);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(parseJson<Listed>(r.stdout).map((s) => [s.id, s.tag]).sort(), ids.map((id, i) => [id, `tag ${['one', 'two'][i]}`]).sort());
    assert.match(r.stderr, /was missing; it was rebuilt from the snapshots \(2 snapshot/);
  });

  test('garbage: rebuilt, and the damaged file is kept aside', async () => {
    const { env, home, ids } = await twoSnapshots('garbage');
    await writeFile(path.join(home, 'store.json'), '{"version": 1, "snapshots": [{"id": "nope"');
    const r = await runCli(['list', '--json'], env);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(parseJson<Listed>(r.stdout).length, ids.length);
    const aside = (await readdir(home)).filter((n) => n.startsWith('store.json.corrupt-'));
    assert.equal(aside.length, 1);
    assert.match(await readFile(path.join(home, aside[0] ?? ''), 'utf8'), /"id": "nope"/);
  });

  test('moved aside as the error advises, then a create and a delete: no snapshot loses its data', async () => {
    const { env, home, dir, ids, trees } = await twoSnapshots('aside');
    await rename(path.join(home, 'store.json'), path.join(home, 'store.json.bak'));
    const third = parseJson<{ id: string }>((await runCli(['create', '--path', dir, '--json'], env)).stdout).id;
    assert.equal((await runCli(['delete', third], env)).code, 0);
    for (const [i, id] of ids.entries()) {
      const rb = await runCli(['rollback', id, '--yes'], env);
      assert.equal(rb.code, 0, rb.stderr);
      assert.deepEqual(await describeTree(dir), trees[i], `snapshot ${id} restores exactly`);
    }
    assert.equal((await runCli(['verify'], env)).code, 0);
  });

  test('a delete beside a damaged manifest deletes, exits 0, and frees what only it held', async () => {
    const { env, home, ids } = await twoSnapshots('damaged-manifest');
    const [first, second] = ids as [string, string];
    const manifests = path.join(home, 'clone', 'manifests');
    const objectsBefore = await countObjects(home);
    await writeFile(path.join(manifests, `${first}.json`), '{"version": 1, "entries": [ damaged');
    const r = await runCli(['delete', second], env);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(await countObjects(home) < objectsBefore, "the deleted snapshot's own objects are reclaimed");
    const v = await runCli(['verify', first], env);
    assert.equal(v.code, 1);
    assert.match(v.stdout, new RegExp(`damaged ${first}`));
  });
});

async function countObjects(home: string): Promise<number> {
  let n = 0;
  for (const sub of await readdir(path.join(home, 'clone', 'objects'))) {
    if (/^[0-9a-f]{2}$/.test(sub)) n += (await readdir(path.join(home, 'clone', 'objects', sub))).length;
  }
  return n;
}

describe('an older index put back by hand', () => {
  let box: Awaited<ReturnType<typeof sandbox>>;
  before(async () => { box = await sandbox(); });
  after(() => box.cleanup());

  test('is found by its generation: the snapshots it does not know are listed again and named, those whose data is gone are named', async () => {
    const home = path.join(box.root, 'home');
    const env = { SNAPCTL_HOME: home };
    const dir = path.join(box.root, 'project');
    await mkdir(dir, { recursive: true });
    const make = async (tag: string): Promise<string> => {
      await writeFile(path.join(dir, 'file.txt'), `${tag}\n`);
      const r = await runCli(['create', '--path', dir, '--tag', tag, '--json'], env);
      assert.equal(r.code, 0, r.stderr);
      return parseJson<{ id: string }>(r.stdout).id;
    };
    const first = await make('first');
    const gone = await make('deleted later');
    // A copy of the index as it was then (`cp`, so its time is new: only its content is old).
    const copy = await readFile(path.join(home, 'store.json'), 'utf8');
    const later = [await make('second'), await make('third')];
    assert.equal((await runCli(['delete', gone], env)).code, 0);
    await writeFile(path.join(home, 'store.json'), copy);

    const r = await runCli(['list', '--json'], env);
    assert.equal(r.code, 0, r.stderr);
    const ids = parseJson<Listed>(r.stdout).map((s) => s.id);
    for (const id of [first, ...later]) assert.ok(ids.includes(id), `${id} listed`);
    assert.match(r.stderr, /is older than the last one snapctl wrote .*2 snapshots it did not list were found beside their data and are listed again/);
    assert.ok(later.every((id) => r.stderr.includes(id)), 'each one is named');
    assert.match(r.stderr, new RegExp(`1 snapshot it lists has no data left \\(deleted since\\?\\): ${gone}`));
    assert.equal(parseJson<Listed>((await runCli(['list', '--json'], env)).stdout).find((s) => s.id === later[0])?.tag, 'second', 'their own record, tag and all');
    const again = await runCli(['list'], env);
    assert.doesNotMatch(again.stderr, /older than/, 'said once: the mended index is the newest now');
  });
});
