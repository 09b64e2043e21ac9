import assert from 'node:assert/strict';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { ManifestStore } from '../../../../src/core/providers/clone/manifest-store.js';
import { applyChanges, changeSince, MAX_DEPTH, rememberChange, spliceChanges } from '../../../../src/core/providers/clone/manifest-delta.js';
import { diffEntries } from '../../../../src/core/tree/manifest.js';
import { makeDelta } from '../../../../src/core/history/path-index.js';
import type { Manifest, ManifestEntry } from '../../../../src/core/tree/manifest.js';
import { tempDir } from '../../../helpers/helpers.js';
import { seededRandom as rng } from '../../../helpers/random.js';

const hex = (r: () => number, n: number): string => Array.from({ length: n }, () => Math.floor(r() * 16).toString(16)).join('');

function fileAt(r: () => number, p: string): ManifestEntry {
  const oid = hex(r, 64);
  const e: ManifestEntry = { path: p, type: 'file', mode: 0o644, mtimeNs: String(1_700_000_000_000_000_000n + BigInt(Math.floor(r() * 1e9))), size: Math.floor(r() * 5000), oid, hash: oid, uid: 1000, gid: 1000, ino: String(Math.floor(r() * 1e7)), ctimeNs: '1700000000000000000' };
  if (r() < 0.05) e.xattrs = { 'user.tag': 'dGFn' };
  if (r() < 0.02) { e.uid = 0; e.gid = 0; }
  return e;
}

/** A folder's manifest: `dirs` folders of files, a link in some (a leaf name: nothing lies beneath it). */
function folderManifest(id: string, r: () => number, dirs: number, perDir: number): Manifest {
  const entries: ManifestEntry[] = [];
  for (let d = 0; d < dirs; d++) {
    const dir = `d${String(d).padStart(3, '0')}`;
    entries.push({ path: dir, type: 'dir', mode: 0o755, mtimeNs: '1700000000000000000', uid: 1000, gid: 1000, ino: String(d + 1), ctimeNs: '1700000000000000000' });
    for (let f = 0; f < perDir; f++) entries.push(fileAt(r, `${dir}/f${String(f).padStart(3, '0')}`));
    if (d % 7 === 0) entries.push({ path: `${dir}/zlink`, type: 'symlink', mtimeNs: '1700000000000000000', link: '../elsewhere', uid: 1000, gid: 1000, ino: String(900_000 + d), ctimeNs: '1700000000000000000' });
  }
  entries.sort((a, b) => (a.path < b.path ? -1 : 1));
  return { version: 1, id, target: '/project', createdAt: new Date(0).toISOString(), entries, problems: [] };
}

/** The next snapshot: some files changed, some removed, some added, a folder gone or made, problems moved. */
function changed(prev: Manifest, id: string, r: () => number, share: number, folders = true): Manifest {
  const byPath = new Map(prev.entries.map((e) => [e.path, e]));
  for (const e of prev.entries) {
    if (e.type !== 'file' || r() > share) continue;
    const roll = r();
    if (roll < 0.15) byPath.set(e.path, { ...e, mtimeNs: String(BigInt(e.mtimeNs) + 1_000_000_000n) }); // touched: same content
    else if (roll < 0.6) byPath.set(e.path, { ...fileAt(r, e.path) });
    else if (roll < 0.8) byPath.delete(e.path);
    else byPath.set(`${e.path}.new`, fileAt(r, `${e.path}.new`));
  }
  if (folders && r() < 0.3) {
    const gone = `d${String(Math.floor(r() * 40)).padStart(3, '0')}`;
    for (const p of [...byPath.keys()]) if (p === gone || p.startsWith(`${gone}/`)) byPath.delete(p);
  }
  const entries = [...byPath.values()].sort((a, b) => (a.path < b.path ? -1 : 1));
  const problems = r() < 0.5 ? [{ path: 'd001/sock', reason: 'a socket' }] : [];
  return { ...prev, id, createdAt: new Date(Number(id.slice(1)) * 1000).toISOString(), entries, problems };
}

/** A manifest as any reader gets it from a store that writes every manifest whole. */
async function asWhole(dir: string, m: Manifest): Promise<Manifest> {
  const manifests = new ManifestStore(dir, Number.POSITIVE_INFINITY);
  await manifests.writeManifest(m);
  return new ManifestStore(dir).readManifest(m.id);
}

async function kind(manifests: ManifestStore, id: string): Promise<'delta' | 'whole'> {
  return (await readFile(manifests.manifestPath(id), 'utf8')).startsWith('{"version":2,') ? 'delta' : 'whole';
}

describe('manifests kept as what changed since the one before', () => {
  const made: string[] = [];
  after(async () => { for (const d of made) await rm(d, { recursive: true, force: true }); });

  test('over random changes, each snapshot reads back entry for entry as the same manifest written whole, in a fresh store object', async () => {
    const dir = await tempDir();
    made.push(dir);
    const r = rng(30);
    const manifests = new ManifestStore(path.join(dir, 'store'), 1);
    const expected: Manifest[] = [];
    let m = folderManifest('s100', r, 40, 25);
    await manifests.writeManifest(m);
    expected.push(m);
    for (let k = 1; k <= 60; k++) {
      const next = changed(m, `s${100 + k}`, r, k % 13 === 0 ? 0.3 : 0.01 + r() * 0.03);
      await manifests.writeManifest(next, m.id);
      expected.push(next);
      m = next;
    }
    const kinds = await Promise.all(expected.map((e) => kind(manifests, e.id)));
    assert.ok(kinds.filter((k) => k === 'delta').length > 30, 'most repeat snapshots are deltas');
    assert.ok(kinds.slice(1).includes('whole'), 'a chain is written whole again once its changes pass the limit');
    const cold = new ManifestStore(path.join(dir, 'store'), 1);
    for (const e of [...expected].reverse()) {
      assert.deepEqual(await cold.readManifestOnce(e.id), await asWhole(path.join(dir, `whole-${e.id}`), e), `snapshot ${e.id} as a whole manifest reads it`);
    }
    // And each read alone, the chain read from disk down to its whole manifest.
    for (const e of expected) assert.deepEqual(await new ManifestStore(path.join(dir, 'store'), 1).readManifest(e.id), await asWhole(path.join(dir, `whole-${e.id}`), e));
  });

  test("the path index's change taken from a delta is the one it finds comparing every entry", () => {
    const r = rng(34);
    let m = folderManifest('s100', r, 40, 25);
    for (let k = 1; k <= 30; k++) {
      const next = changed(m, `s${100 + k}`, r, 0.01 + r() * 0.05);
      const { changed: diff, removed } = diffEntries(m.entries, next.entries);
      assert.deepEqual(makeDelta('/project', next.id, next.entries, { id: m.id, entries: m.entries, changes: { changed: diff, removed } }), makeDelta('/project', next.id, next.entries, { id: m.id, entries: m.entries }));
      m = next;
    }
  });

  test('a chain is never longer than its limit, however small the changes', async () => {
    const dir = await tempDir();
    made.push(dir);
    const r = rng(31);
    const manifests = new ManifestStore(path.join(dir, 'store'), 1);
    let m = folderManifest('s100', r, 40, 50);
    await manifests.writeManifest(m);
    const kinds: string[] = [];
    for (let k = 1; k <= MAX_DEPTH + 3; k++) {
      const next = changed(m, `s${100 + k}`, r, 0.0005, false);
      await manifests.writeManifest(next, m.id);
      kinds.push(await kind(manifests, next.id));
      m = next;
    }
    assert.equal(kinds.indexOf('whole'), MAX_DEPTH, `whole again after ${MAX_DEPTH} deltas`);
  });

  test('removing a snapshot other deltas build on writes them again first: each reads as before, down to the last one left', async () => {
    const dir = await tempDir();
    made.push(dir);
    const r = rng(32);
    const store = path.join(dir, 'store');
    const manifests = new ManifestStore(store, 1);
    const chain: Manifest[] = [folderManifest('s100', r, 30, 30)];
    await manifests.writeManifest(chain[0] as Manifest);
    for (let k = 1; k <= 6; k++) {
      const next = changed(chain[k - 1] as Manifest, `s${100 + k}`, r, 0.02);
      await manifests.writeManifest(next, (chain[k - 1] as Manifest).id);
      chain.push(next);
    }
    const want = new Map<string, Manifest>();
    for (const m of chain) want.set(m.id, await asWhole(path.join(dir, `whole-${m.id}`), m));
    // A delta in the middle (its child is folded onto its base), then the whole one at the root, then the rest.
    const order = ['s103', 's100', 's101', 's105', 's102', 's104'];
    const left = new Set(chain.map((m) => m.id));
    for (const id of order) {
      await new ManifestStore(store, 1).removeManifest(id);
      left.delete(id);
      for (const k of left) assert.deepEqual(await new ManifestStore(store, 1).readManifest(k), want.get(k), `${k} after ${id} was removed`);
    }
    assert.equal(await kind(manifests, 's106'), 'whole');
  });

  test('a delta whose base cannot be read keeps the base: removing it leaves it in place', async () => {
    const dir = await tempDir();
    made.push(dir);
    const r = rng(33);
    const store = path.join(dir, 'store');
    const manifests = new ManifestStore(store, 1);
    const a = folderManifest('s100', r, 10, 10);
    const b = changed(a, 's101', r, 0.02);
    await manifests.writeManifest(a);
    await manifests.writeManifest(b, a.id);
    const text = await readFile(manifests.manifestPath(b.id), 'utf8');
    await writeFile(manifests.manifestPath(b.id), text.replace('"entries":[', '"entries":[{"path":"../x"},'));
    await new ManifestStore(store, 1).removeManifest(a.id);
    assert.deepEqual(await new ManifestStore(store, 1).readManifest(a.id), await asWhole(path.join(dir, 'whole'), a), 'kept');
  });

  test('a manifest written whole by an earlier version (no owner, no ctime, hashes left out) still reads, and a delta builds on it', async () => {
    const dir = await tempDir();
    made.push(dir);
    const store = path.join(dir, 'store');
    const manifests = new ManifestStore(store, 1);
    const oid = 'a'.repeat(64);
    const old = { version: 1, id: 's100', target: '/project', createdAt: '2026-01-01T00:00:00.000Z', problems: [], entries: [
      { path: 'a', type: 'dir', mode: 493, mtimeNs: '1' },
      { path: 'a/b', type: 'file', mode: 420, mtimeNs: '2', size: 3, oid },
      { path: 'a/c', type: 'file', mode: 420, mtimeNs: '2', size: 3, oid: 'b'.repeat(32) },
      ...Array.from({ length: 20 }, (_, k) => ({ path: `a/m${String(k).padStart(2, '0')}`, type: 'file', mode: 420, mtimeNs: '2', size: 3, oid })),
    ] };
    await mkdir(manifests.dir, { recursive: true });
    await writeFile(manifests.manifestPath('s100'), JSON.stringify(old));
    const read = await new ManifestStore(store, 1).readManifest('s100');
    assert.equal((read.entries[1] as { hash: string }).hash, oid, 'a hash the object name is');
    assert.equal((read.entries[2] as { hash: string | null }).hash, null, 'an early clone, without one');
    const next: Manifest = { ...read, id: 's101', entries: [...read.entries.slice(0, 2), { path: 'a/d', type: 'file', mode: 420, mtimeNs: '3', size: 1, oid, hash: oid }, ...read.entries.slice(3)] };
    const writer = new ManifestStore(store, 1);
    await writer.writeManifest(next, 's100');
    assert.equal(await kind(writer, 's101'), 'delta');
    assert.deepEqual((await new ManifestStore(store, 1).readManifest('s101')).entries.map((e) => e.path), next.entries.map((e) => e.path));
  });

  test('a change spliced into the base by bisection gives the same entries as the merge of every entry', () => {
    const r = rng(31);
    let prev = folderManifest('s100', r, 40, 25);
    for (let k = 1; k <= 30; k++) {
      const next = changed(prev, `s${100 + k}`, r, k % 3 === 0 ? 0.3 : 0.02);
      const { changed: c, removed } = diffEntries(prev.entries, next.entries);
      assert.deepEqual(spliceChanges(prev.entries, c, removed), applyChanges(prev.entries, c, removed), `round ${k}`);
      assert.deepEqual(spliceChanges(prev.entries, c, removed), next.entries, `round ${k}`);
      prev = next;
    }
  });

  test("a snapshot's change remembered by the capture that made it is the one the store writes, with no comparison of every entry", async () => {
    const dir = await tempDir();
    try {
      const r = rng(32);
      const base = folderManifest('s100', r, 20, 20);
      const next = changed(base, 's101', r, 0.05, false);
      const change = diffEntries(base.entries, next.entries);
      rememberChange(next, base.id, change.changed, change.removed);
      assert.equal(changeSince(base, next).changed, change.changed, 'the remembered lists themselves');
      assert.notEqual(changeSince({ ...base, id: 'other' }, next).changed, change.changed, 'another base is compared');
      const manifests = new ManifestStore(path.join(dir, 'store'), 1);
      await manifests.writeManifest(base);
      await manifests.writeManifest(next, base.id);
      const stored = JSON.parse(await readFile(manifests.manifestPath(next.id), 'utf8')) as { entries: unknown[]; removed: string[] };
      assert.equal(stored.entries.length, change.changed.length);
      assert.deepEqual(stored.removed, change.removed);
      assert.deepEqual(await new ManifestStore(path.join(dir, 'store'), 1).readManifest(next.id), await asWhole(path.join(dir, 'whole'), next));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
