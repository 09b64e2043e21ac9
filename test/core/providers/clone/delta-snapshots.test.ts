import assert from 'node:assert/strict';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { CloneProvider } from '../../../../src/core/providers/clone/clone-provider.js';
import { ManifestStore } from '../../../../src/core/providers/clone/manifest-store.js';
import { ServiceContext } from '../../../../src/core/service/context.js';
import { createSnapshot } from '../../../../src/core/service/create.js';
import { deleteSnapshot } from '../../../../src/core/service/delete.js';
import { rollback } from '../../../../src/core/service/rollback.js';
import { verifySnapshots } from '../../../../src/core/service/verify.js';
import { describeTree, sandbox, type Sandbox } from '../../../helpers/helpers.js';

/** A service whose clone store writes every repeat snapshot as a delta (the folders here are small). */
function deltaService(box: Sandbox): ServiceContext {
  return new ServiceContext({ home: box.home, providers: { clone: new CloneProvider(path.join(box.home, 'clone'), { deltaMinEntries: 1 }) } });
}

async function kind(box: Sandbox, id: string): Promise<'delta' | 'whole'> {
  return (await readFile(path.join(box.home, 'clone', 'manifests', `${id}.json`), 'utf8')).startsWith('{"version":2,') ? 'delta' : 'whole';
}

describe('clone snapshots kept as deltas, through the service', () => {
  const boxes: Sandbox[] = [];
  after(async () => { for (const b of boxes) await b.cleanup(); });

  test('deleting the snapshots a delta builds on keeps it whole: it verifies, and a rollback to it restores it exactly', async () => {
    const box = await sandbox();
    boxes.push(box);
    const dir = box.project;
    for (let d = 0; d < 8; d++) {
      await mkdir(path.join(dir, `d${d}`), { recursive: true });
      for (let f = 0; f < 30; f++) await writeFile(path.join(dir, `d${d}`, `f${f}.txt`), `folder ${d} file ${f}\n`);
    }
    const service = deltaService(box);
    const shots: { id: string; tree: Record<string, string> }[] = [];
    for (let round = 0; round < 4; round++) {
      if (round > 0) {
        await writeFile(path.join(dir, `d${round}`, 'f0.txt'), `changed in round ${round}\n`);
        await rm(path.join(dir, `d${round}`, 'f1.txt'));
        await writeFile(path.join(dir, `d${round}`, `new${round}.txt`), `made in round ${round}\n`);
      }
      const made = await createSnapshot(service, { path: dir, provider: 'clone' });
      shots.push({ id: made.id, tree: await describeTree(dir) });
    }
    assert.deepEqual(await Promise.all(shots.map((s) => kind(box, s.id))), ['whole', 'delta', 'delta', 'delta']);

    // The whole one at the root of the chain, then one in its middle, each in a process of its own.
    await deleteSnapshot(deltaService(box), shots[0]?.id);
    await deleteSnapshot(deltaService(box), shots[2]?.id);
    const fresh = deltaService(box);
    const reports = await verifySnapshots(fresh);
    assert.deepEqual(reports.map((r) => [r.id, r.problems]), [shots[3], shots[1]].map((s) => [s?.id, []]), 'every snapshot left is whole, every object it names there');
    for (const s of [shots[1], shots[3]]) {
      await rollback(deltaService(box), s?.id);
      assert.deepEqual(await describeTree(dir), s?.tree, `rolled back to ${s?.id}`);
    }
  });

  test('a repeat snapshot killed before its manifest is renamed into place leaves a store whose every snapshot reads (the next collection removes the rest)', async () => {
    const box = await sandbox();
    boxes.push(box);
    const dir = box.project;
    for (let f = 0; f < 40; f++) await writeFile(path.join(dir, `f${f}.txt`), `file ${f}\n`);
    const service = deltaService(box);
    const first = await createSnapshot(service, { path: dir, provider: 'clone' });
    await writeFile(path.join(dir, 'f0.txt'), 'changed\n');
    const second = await createSnapshot(service, { path: dir, provider: 'clone' });
    assert.equal(await kind(box, second.id), 'delta');
    // A delta half written beside its name, as writeFileAtomic leaves it when killed: never read as the manifest.
    const manifests = path.join(box.home, 'clone', 'manifests');
    const text = await readFile(path.join(manifests, `${second.id}.json`), 'utf8');
    await writeFile(path.join(manifests, `${second.id}.json.tmp-killed`), text.slice(0, text.length >> 1));
    const store = new ManifestStore(path.join(box.home, 'clone'), 1);
    assert.equal((await store.readManifest(first.id)).entries.length, 40);
    assert.equal((await store.readManifest(second.id)).entries.length, 40);
  });
});
