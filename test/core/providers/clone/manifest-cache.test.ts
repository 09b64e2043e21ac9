import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { ManifestCache } from '../../../../src/core/providers/clone/manifest-cache.js';
import { ManifestStore } from '../../../../src/core/providers/clone/manifest-store.js';
import type { Manifest } from '../../../../src/core/tree/manifest.js';
import { tempDir } from '../../../helpers/helpers.js';

function manifest(id: string, entries: number): Manifest {
  return {
    version: 1, id, target: '/folder', createdAt: new Date(0).toISOString(), problems: [],
    entries: Array.from({ length: entries }, (_, i) => ({ path: `d${i}`, type: 'dir' as const, mode: 0o755, mtimeNs: '0', uid: 0, gid: 0, ino: String(i + 1), ctimeNs: '0' })),
  };
}

test('the manifest cache lets the least recently used go once its entries pass the limit, and keeps the last one whatever its size', () => {
  const cache = new ManifestCache(250);
  for (const id of ['a', 'b']) cache.set(id, manifest(id, 100));
  assert.ok(cache.get('a'), 'a, used again, is now the most recent');
  cache.set('c', manifest('c', 100));
  assert.equal(cache.peek('b'), undefined, 'b, the least recently used, went');
  assert.ok(cache.peek('a') && cache.peek('c'));
  cache.set('huge', manifest('huge', 1000));
  assert.ok(cache.peek('huge'));
  assert.equal(cache.peek('a'), undefined);
  assert.equal(cache.peek('c'), undefined);
  cache.delete('huge');
  cache.set('d', manifest('d', 200));
  assert.ok(cache.peek('d'), 'a deleted manifest no longer counts');
});

test('a long-running store keeps only some manifests in memory: an old one is read from its file again', async (t) => {
  const root = await tempDir('snapctl-manifest-cache-');
  t.after(() => rm(root, { recursive: true, force: true }));
  const manifests = new ManifestStore(path.join(root, 'clone'), undefined, 250);
  for (const id of ['m1', 'm2', 'm3', 'm4', 'm5']) await manifests.writeManifest(manifest(id, 100));
  await rm(manifests.manifestPath('m1'));
  await rm(manifests.manifestPath('m5'));
  assert.equal((await manifests.readManifest('m5')).id, 'm5', 'the newest is served from memory');
  await assert.rejects(manifests.readManifest('m1'), /missing/, 'the oldest was let go and its file is gone');
});
