import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { FileEntry, ManifestEntry } from '../../../src/core/tree/manifest.js';
import { pathsToRestore, sameToRestore } from '../../../src/core/tree/same-file.js';

const HASH = 'a'.repeat(64);
const file = (over: Partial<FileEntry> = {}): FileEntry => ({
  path: 'src/a.js', type: 'file', mode: 0o644, mtimeNs: '1700000000000000000', size: 3, oid: HASH, hash: HASH, ino: '10', ctimeNs: '1700000000000000001', uid: 1000, gid: 1000, ...over,
});

describe('what a restore from one snapshot to another would change', () => {
  test('a file put back with the bytes, mode and times it had is the same, wherever it lives now', () => {
    assert.equal(sameToRestore(file(), file({ ino: '99', ctimeNs: '1800000000000000000' })), true);
    assert.equal(sameToRestore(file(), file({ oid: 'b'.repeat(32), ino: '99' })), true, 'another object with the same SHA-256');
  });

  test('anything a restore sets is a difference', () => {
    const others: Partial<FileEntry>[] = [
      { hash: 'c'.repeat(64), oid: 'c'.repeat(64) }, { size: 4 }, { mode: 0o755 }, { mtimeNs: '1700000000001000000' },
      { uid: 0 }, { xattrs: { 'user.x': 'eA==' } }, { nlink: 2 }, { hash: null, oid: 'd'.repeat(32) },
    ];
    for (const o of others) assert.equal(sameToRestore(file(), file(o)), false, JSON.stringify(o));
    const link: ManifestEntry = { path: 'src/a.js', type: 'symlink', link: 'b', mtimeNs: '1' };
    assert.equal(sameToRestore(link, { ...link, link: 'c' }), false);
    assert.equal(sameToRestore(file(), link), false);
  });

  test('the paths that differ: in one only, or otherwise in both, in either order', () => {
    const a = [file({ path: 'a' }), file({ path: 'b' }), file({ path: 'c', ino: '1' })];
    const b = [file({ path: 'b', mode: 0o600 }), file({ path: 'c', ino: '2' }), file({ path: 'd' })];
    assert.deepEqual(pathsToRestore(a, b), ['a', 'b', 'd']);
    assert.deepEqual(pathsToRestore(b, a), ['a', 'b', 'd']);
  });
});
