import assert from 'node:assert/strict';
import { readdir, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, test } from 'node:test';
import { serviceSandbox } from '../../../helpers/helpers.js';
import { createSnapshot } from '../../../../src/core/service/create.js';
import { deleteSnapshot } from '../../../../src/core/service/delete.js';
import { listWithSpace } from '../../../../src/core/service/listing.js';

/** Bytes of every object in the pool, as the filesystem counts their sizes. */
async function objectBytes(cloneDir: string): Promise<number> {
  let total = 0;
  const objects = path.join(cloneDir, 'objects');
  for (const sub of await readdir(objects).catch(() => [])) {
    if (!/^[0-9a-f]{2}$/.test(sub)) continue;
    for (const name of await readdir(path.join(objects, sub))) total += (await stat(path.join(objects, sub, name))).size;
  }
  return total;
}

describe('clone: what each snapshot costs (uniqueBytes) and the space index', () => {
  const ctx = serviceSandbox();

  test('deleting a snapshot frees exactly its uniqueBytes, in any order, and the total is the pool', async () => {
    const dir = path.join(ctx.box.project);
    await writeFile(path.join(dir, 'shared.bin'), Buffer.alloc(50_000, 1));
    await writeFile(path.join(dir, 'a.bin'), Buffer.alloc(10_000, 2));
    const s1 = await createSnapshot(ctx.service, { path: dir });
    await writeFile(path.join(dir, 'a.bin'), Buffer.alloc(12_000, 3));
    await writeFile(path.join(dir, 'b.bin'), Buffer.alloc(7_000, 4));
    const s2 = await createSnapshot(ctx.service, { path: dir });
    await writeFile(path.join(dir, 'b.bin'), Buffer.alloc(3_000, 5));
    await writeFile(path.join(dir, 'copy.bin'), Buffer.alloc(10_000, 2)); // s1's a.bin again: shared by content
    const s3 = await createSnapshot(ctx.service, { path: dir });

    const listed = await listWithSpace(ctx.service, dir);
    const unique = new Map(listed.snapshots.map((s) => [s.id, s.uniqueBytes]));
    // s1 alone holds nothing (its a.bin came back as copy.bin in s3); s2 alone holds b.bin v1 (s3 keeps its a.bin); s3 alone b.bin v2.
    assert.deepEqual([unique.get(s1.id), unique.get(s2.id), unique.get(s3.id)], [0, 7_000, 3_000]);
    assert.equal(listed.totals.storeBytes, await objectBytes(ctx.service.layout.cloneDir));
    assert.equal(listed.totals.folderBytes, listed.totals.storeBytes);
    assert.ok(listed.totals.freeBytes !== null && listed.totals.freeBytes > 0);

    for (const id of [s2.id, s1.id, s3.id]) {
      const before = await objectBytes(ctx.service.layout.cloneDir);
      const expected = (await listWithSpace(ctx.service, dir)).snapshots.find((s) => s.id === id)?.uniqueBytes;
      await deleteSnapshot(ctx.service, id);
      assert.equal(before - await objectBytes(ctx.service.layout.cloneDir), expected, `deleting ${id} frees what it said`);
    }
    assert.equal((await listWithSpace(ctx.service, dir)).totals.storeBytes, 0);
  });

  test('a missing or damaged space index is rebuilt from the manifests with the same figures', async () => {
    const dir = path.join(ctx.box.root, 'rebuild');
    await rm(dir, { recursive: true, force: true });
    await import('node:fs/promises').then((fs) => fs.mkdir(dir));
    await writeFile(path.join(dir, 'x'), Buffer.alloc(4_000, 7));
    await createSnapshot(ctx.service, { path: dir });
    await writeFile(path.join(dir, 'x'), Buffer.alloc(5_000, 8));
    await createSnapshot(ctx.service, { path: dir });
    const kept = (await listWithSpace(ctx.service, dir)).snapshots.map((s) => s.uniqueBytes);
    assert.deepEqual(kept, [5_000, 4_000]);
    const index = path.join(ctx.service.layout.cloneDir, 'space.json');
    await rm(index);
    assert.deepEqual((await listWithSpace(ctx.service, dir)).snapshots.map((s) => s.uniqueBytes), kept);
    await writeFile(index, '{"version":1,"folders":[],"snapshots":{"x":[1,9]},"objects":{}}');
    assert.deepEqual((await listWithSpace(ctx.service, dir)).snapshots.map((s) => s.uniqueBytes), kept);
    // An index covering other snapshots than the store's (a create that died after counting itself in) is not trusted.
    await writeFile(index, '{"version":1,"folders":["/elsewhere"],"snapshots":{"20260101-000000-abcdef":[1,0]},"objects":{}}');
    assert.deepEqual((await listWithSpace(ctx.service, dir)).snapshots.map((s) => s.uniqueBytes), kept);
  });
});
