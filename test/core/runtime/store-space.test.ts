import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, test } from 'node:test';
import { folderBytes, StoreBytes } from '../../../src/core/runtime/store-space.js';
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
});
