import assert from 'node:assert/strict';
import { appendFile, mkdir, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, test } from 'node:test';
import { folderBytes, StoreBytes, type ShardCache } from '../../../src/core/runtime/store-space.js';
import { sandbox } from '../../helpers/helpers.js';

describe("the steady gauge of the state folder's size", () => {
  test('walks the state folder again only once a snapshot, a deletion or a collection changed it', async () => {
    const box = await sandbox();
    try {
      const manifests = path.join(box.home, 'clone', 'manifests');
      await mkdir(manifests, { recursive: true });
      await writeFile(path.join(manifests, 'a.json'), '{}');
      let walks = 0;
      const bytes = new StoreBytes(box.home, (root) => { walks++; return folderBytes(root); });
      const first = await bytes.read();
      assert.equal(await bytes.read(), first);
      assert.equal(await bytes.read(), first);
      assert.equal(walks, 1, 'one walk while nothing changed');
      await writeFile(path.join(manifests, 'b.json'), 'x'.repeat(100_000));
      assert.ok(((await bytes.read()) ?? 0) > (first ?? 0), 'a new manifest counted');
      assert.equal(walks, 2);
    } finally {
      await box.cleanup();
    }
  });

  test('walked again, a folder of objects whose mtime did not move is not read: only new objects are looked at', async () => {
    const box = await sandbox();
    try {
      const objects = path.join(box.home, 'clone', 'objects');
      for (const shard of ['ab', 'cd']) {
        await mkdir(path.join(objects, shard), { recursive: true });
        for (let i = 0; i < 20; i++) await writeFile(path.join(objects, shard, `${shard}${i}`), 'x'.repeat(5000));
      }
      const old = new Date(Date.now() - 60_000);
      for (const shard of ['ab', 'cd']) await utimes(path.join(objects, shard), old, old);
      const shards: ShardCache = new Map();
      const first = await folderBytes(box.home, shards);
      assert.equal(first, await folderBytes(box.home), 'the same sum as a walk of every file');
      // Objects never change once named: one grown in place (which moves no folder's mtime) is not lstat'd again.
      await appendFile(path.join(objects, 'ab', 'ab0'), 'y'.repeat(100_000));
      await utimes(path.join(objects, 'ab'), old, old);
      assert.equal(await folderBytes(box.home, shards), first, 'the unchanged folder of objects was not read');
      // A new object moves its folder's mtime: that folder is read again, and only the new name lstat'd.
      await writeFile(path.join(objects, 'cd', 'cdnew'), 'z'.repeat(50_000));
      const third = await folderBytes(box.home, shards) ?? 0;
      assert.ok(third >= (first ?? 0) + 49_152, 'the new object counted');
      assert.ok(third < (await folderBytes(box.home) ?? 0), 'the grown object still counted as it was named');
    } finally {
      await box.cleanup();
    }
  });
});
