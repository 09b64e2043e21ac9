import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { closeSync, openSync, writeSync } from 'node:fs';
import { open, rm, truncate, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { HASH_BLOCK, hashBytes, hashFile, hashKindFor, readContent } from '../../../src/core/tree/content-hash.js';
import { dataRegions, dataRegionsSync } from '../../../src/core/tree/holes.js';
import { sameContent } from '../../../src/core/tree/same-file.js';
import { tempDir } from '../../helpers/helpers.js';

const MiB = 1024 * 1024;

/** A file of `size` bytes, holes everywhere but `data` written at its offsets. */
async function sparseFile(file: string, size: number, data: [number, string][]): Promise<void> {
  await writeFile(file, '');
  await truncate(file, size);
  const fd = openSync(file, 'r+');
  for (const [at, text] of data) writeSync(fd, text, at);
  closeSync(fd);
}

/** The same bytes with every zero written out: no holes. */
function denseBytes(size: number, data: [number, string][]): Buffer {
  const bytes = Buffer.alloc(size);
  for (const [at, text] of data) bytes.write(text, at, 'latin1');
  return bytes;
}

describe('content hashes', () => {
  let dir: string;
  before(async () => { dir = await tempDir(); });
  after(() => rm(dir, { recursive: true, force: true }));

  test('sha256 is the SHA-256 of the bytes, the same from a file as from memory', async () => {
    const file = path.join(dir, 'plain.txt');
    await writeFile(file, 'hello\n');
    const sha = createHash('sha256').update('hello\n').digest('hex');
    assert.equal(await hashFile(file), sha);
    assert.equal(hashBytes(Buffer.from('hello\n'), 'sha256'), sha);
  });

  test('blocks depends on the bytes alone: holes, zeros written out and the bytes in memory hash alike', async () => {
    const size = 40 * MiB + 123;
    const data: [number, string][] = [[3 * MiB + 5, 'abc'], [17 * MiB, 'xyz'], [size - 2, 'ZZ']];
    const sparse = path.join(dir, 'sparse.img');
    await sparseFile(sparse, size, data);
    const dense = path.join(dir, 'dense.img');
    await writeFile(dense, denseBytes(size, data));
    assert.equal(hashKindFor({ size, blocks: 8 }), 'blocks');
    const expected = hashBytes(denseBytes(size, data), 'blocks');
    assert.match(expected, /^blocks1:[0-9a-f]{64}$/);
    assert.equal(await hashFile(sparse), expected, 'the sparse file, in the kind its stats call for');
    assert.equal(await hashFile(dense, { kind: 'blocks' }), expected, 'the same bytes without holes');
    assert.equal(await hashFile(dense), createHash('sha256').update(denseBytes(size, data)).digest('hex'), 'a file without holes keeps the plain SHA-256');
    assert.equal(await sameContent(sparse, dense), true);

    const other = path.join(dir, 'other.img');
    await sparseFile(other, size, [[3 * MiB + 5, 'abd'], [17 * MiB, 'xyz'], [size - 2, 'ZZ']]);
    assert.notEqual(await hashFile(other), expected, 'one byte changed');
    assert.equal(await sameContent(sparse, other), false);
    const longer = path.join(dir, 'longer.img');
    await sparseFile(longer, size + 1, data);
    assert.notEqual(await hashFile(longer, { kind: 'blocks' }), expected, 'one more zero at the end');
  });

  test('a file with holes is read only where it holds data: a 1 GiB file holding one byte is read by its block', async () => {
    const file = path.join(dir, 'mostly-holes.img');
    await sparseFile(file, 1024 ** 3, [[700 * MiB + 1, 'x']]);
    const handle = await open(file, 'r');
    try {
      const got = await readContent(handle);
      assert.equal(got.size, 1024 ** 3);
      assert.ok(got.bytesRead <= HASH_BLOCK, `read ${got.bytesRead} bytes`);
      assert.deepEqual((await dataRegions(handle.fd, got.size)).length, 1);
      assert.deepEqual(dataRegionsSync(handle.fd, got.size).length, 1);
    } finally {
      await handle.close();
    }
    const empty = path.join(dir, 'nothing-allocated.img');
    await sparseFile(empty, 10 * 1024 ** 3, []);
    const h = await open(empty, 'r');
    try {
      assert.deepEqual(await dataRegions(h.fd, 10 * 1024 ** 3), []);
      assert.equal((await readContent(h)).bytesRead, 0);
    } finally {
      await h.close();
    }
  });
});
