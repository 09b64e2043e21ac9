import assert from 'node:assert/strict';
import { mkdir, readdir, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, test } from 'node:test';
import { SpaceIndex } from '../../../../src/core/providers/clone/space.js';
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

// `list` asks the space index about every clone snapshot; a store whose manifests are gone (deleted by hand,
// or records without data, as the bench's) made it try every manifest on every command: 10,000 failed opens.
describe('the space index, for snapshots whose data cannot be read', () => {
  const ctx = serviceSandbox();

  test('one listing of the manifests instead of an open per snapshot, and the next read trusts the index that says so', async () => {
    const root = path.join(ctx.box.root, 'space-unread');
    await mkdir(root, { recursive: true });
    let opened = 0;
    const index = new SpaceIndex(root, async (id) => { opened++; throw new Error(`no manifest ${id}`); }, async () => new Set<string>());
    const asked = new Map(Array.from({ length: 1_000 }, (_, i) => [`20260101-000000-${i.toString(16).padStart(6, '0')}`, '/some/folder']));
    const first = await index.report(asked);
    assert.equal(opened, 0, 'no manifest opened when the listing says none is there');
    assert.ok([...first.unique.values()].every((v) => v === null), 'their cost is unknown');
    let listed = 0;
    const again = new SpaceIndex(root, async () => { opened++; throw new Error('no manifest'); }, async () => { listed++; return new Set<string>(); });
    assert.deepEqual(await again.report(asked), first);
    assert.equal(listed + opened, 0, 'the index written covers them: nothing rebuilt');
    // A snapshot made since is counted in, and the unread ones stay covered.
    await again.added({ version: 1, id: 'new', target: '/some/folder', createdAt: new Date().toISOString(), entries: [{ path: 'a', type: 'file', mode: 0o644, mtimeNs: '0', size: 5, oid: 'ab'.repeat(16), hash: null }], problems: [] });
    const withNew = await again.report(new Map([...asked, ['new', '/some/folder']]));
    assert.equal(withNew.unique.get('new'), 5);
    assert.equal(listed + opened, 0);
  });
});
