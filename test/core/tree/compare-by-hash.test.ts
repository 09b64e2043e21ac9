import assert from 'node:assert/strict';
import { readFile, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { compare } from '../../../src/core/tree/compare.js';
import { hashFile } from '../../../src/core/tree/content-hash.js';
import { fileEntry, treeEntry, type ContentSource, type FileEntry, type Manifest, type ManifestEntry } from '../../../src/core/tree/manifest.js';
import { restore } from '../../../src/core/tree/restore.js';
import { walk } from '../../../src/core/tree/walk.js';
import { tempDir } from '../../helpers/helpers.js';

/** A manifest of `root` as it is now, each file hashed, its content read from `copies` (a folder of copies). */
async function manifestOf(root: string, id: string): Promise<Manifest> {
  const { entries } = await walk(root);
  const out: ManifestEntry[] = [];
  for (const e of entries) {
    out.push(e.type === 'file' ? fileEntry(e, { oid: e.path, hash: await hashFile(path.join(root, e.path)) }) : treeEntry(e));
  }
  return { version: 1, id, target: root, createdAt: new Date().toISOString(), problems: [], entries: out };
}

/** The snapshot's copies, kept aside, and every path a comparison or restore asked of them. */
function countingSource(dir: string): ContentSource & { asked: string[] } {
  const asked: string[] = [];
  return { asked, contentPath: (e: FileEntry) => { asked.push(e.path); return path.join(dir, e.path); } };
}

/** Writes `text` as a new file (a new inode) over `file`, keeping its mtime: only its bytes can tell. */
async function rewriteKeepingMtime(file: string, text: string): Promise<void> {
  const before = await stat(file);
  await writeFile(`${file}.tmp`, text);
  await utimes(`${file}.tmp`, before.atime, before.mtime);
  await rename(`${file}.tmp`, file);
}

async function folderWithSnapshot(t: { after: (fn: () => Promise<void>) => void }): Promise<{ root: string; snapshot: Manifest; copies: string }> {
  const root = await tempDir('snapctl-by-hash-');
  const copies = await tempDir('snapctl-by-hash-copies-');
  t.after(async () => { await rm(root, { recursive: true, force: true }); await rm(copies, { recursive: true, force: true }); });
  await writeFile(path.join(root, 'same.txt'), 'hello');
  await writeFile(path.join(root, 'other.txt'), 'world!');
  await writeFile(path.join(copies, 'same.txt'), 'hello');
  await writeFile(path.join(copies, 'other.txt'), 'world!');
  const snapshot = await manifestOf(root, 'old');
  // Both files are written anew with their size and mtime kept: one with the same bytes, one with others.
  await rewriteKeepingMtime(path.join(root, 'same.txt'), 'hello');
  await rewriteKeepingMtime(path.join(root, 'other.txt'), 'WORLD!');
  return { root, snapshot, copies };
}

const byPath = (m: Manifest): Map<string, ManifestEntry> => new Map(m.entries.map((e) => [e.path, e]));

test('a file a newer snapshot recorded as it is now is compared by hash: neither copy is read', async (t) => {
  const { root, snapshot, copies } = await folderWithSnapshot(t);
  const newest = await manifestOf(root, 'new');
  const source = countingSource(copies);
  const found = await compare(root, snapshot, source, null, { reference: byPath(newest) });
  assert.deepEqual(found.modified, ['other.txt']);
  assert.deepEqual(source.asked, [], 'no byte of a copy was read');

  const unaided = countingSource(copies);
  const again = await compare(root, snapshot, unaided, null);
  assert.deepEqual(again.modified, ['other.txt'], 'the same answer from the bytes');
  assert.deepEqual(unaided.asked.sort(), ['other.txt', 'same.txt']);
});

test('a newer snapshot that recorded another file at the path is not trusted: the bytes are compared', async (t) => {
  const { root, snapshot, copies } = await folderWithSnapshot(t);
  // Taken before the files were written anew: its inodes are not the files' now.
  const source = countingSource(copies);
  const found = await compare(root, snapshot, source, null, { reference: byPath(snapshot) });
  assert.deepEqual(found.modified, ['other.txt']);
  assert.deepEqual(source.asked.sort(), ['other.txt', 'same.txt']);
});

test('a restore given the safety snapshot writes what differs and reads nothing of what is the same', async (t) => {
  const { root, snapshot, copies } = await folderWithSnapshot(t);
  const safety = await manifestOf(root, 'safety');
  const source = countingSource(copies);
  await restore(root, snapshot, source, null, { token: 'test', reference: byPath(safety) });
  assert.equal(await readFile(path.join(root, 'other.txt'), 'utf8'), 'world!');
  assert.equal(await readFile(path.join(root, 'same.txt'), 'utf8'), 'hello');
  assert.deepEqual(source.asked, ['other.txt'], 'only the file it wrote was read from the snapshot');
});
