import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { IndexBuilder, addSnapshot, applyDelta, emptyIndex, findPathLine, makeDelta, markSkipped, parseIndex, parseLog, sameVersion, serialiseDelta, serialiseIndex, versionKey, type PathIndexData } from '../../../src/core/history/path-index.js';
import type { ManifestEntry } from '../../../src/core/tree/manifest.js';

function file(p: string, content: number, mode = 0o644): ManifestEntry {
  return { path: p, type: 'file', mode, mtimeNs: `${1_700_000_000 + content}000000000`, size: content, oid: `o${content}`, hash: `${content}`.padStart(64, '0') } as ManifestEntry;
}

/** What a query answers from: every path's versions and the snapshot ids holding each. */
function held(index: PathIndexData): Record<string, string[]> {
  const byseq = new Map([...index.snapshots].map(([id, seq]) => [seq, id]));
  const out: Record<string, string[]> = {};
  for (const [p, versions] of index.paths) {
    for (const v of versions) {
      const ids: string[] = [];
      for (let i = 0; i < v.runs.length; i += 2) for (let s = v.runs[i] ?? 0; s <= (v.runs[i + 1] ?? -1); s++) { const id = byseq.get(s); if (id) ids.push(id); }
      out[`${p} ${v.key}`] = ids;
    }
  }
  return out;
}

test('folding the log of deltas gives the index that adding every snapshot whole gives', () => {
  const snapshot = fc.array(fc.tuple(fc.constantFrom('a', 'b', 'c/d', 'c/e', 'f'), fc.integer({ min: 0, max: 3 })), { maxLength: 6 })
    .map((pairs) => [...new Map(pairs)].map(([p, c]) => file(p, c)));
  fc.assert(fc.property(fc.array(snapshot, { minLength: 1, maxLength: 8 }), fc.integer({ min: 0, max: 7 }), (snapshots, split) => {
    const whole = emptyIndex('/t');
    snapshots.forEach((entries, i) => addSnapshot(whole, `s${i}`, entries));
    // The first `split` snapshots in the index file, the rest in its log, each against the one before.
    const cut = Math.min(split, snapshots.length);
    const index = emptyIndex('/t');
    snapshots.slice(0, cut).forEach((entries, i) => addSnapshot(index, `s${i}`, entries));
    const on = parseIndex(serialiseIndex(index));
    assert.ok(on);
    const log = snapshots.slice(cut).map((entries, k) => {
      const i = cut + k;
      const before = snapshots[i - 1];
      return serialiseDelta(makeDelta('/t', `s${i}`, entries, before ? { id: `s${i - 1}`, entries: before } : null));
    }).join('');
    for (const d of parseLog(log, '/t')) assert.equal(applyDelta(on, d), true);
    assert.deepEqual(held(on), held(whole));
    // And one path folded alone answers the same as the whole fold.
    const text = serialiseIndex(index);
    for (const p of ['a', 'c/d', 'f']) {
      const one: PathIndexData = { ...emptyIndex('/t'), nextSeq: index.nextSeq, snapshots: new Map(index.snapshots), paths: new Map() };
      const line = findPathLine(text, p);
      if (line) one.paths.set(p, line);
      for (const d of parseLog(log, '/t')) applyDelta(one, d, p);
      const mine = Object.fromEntries(Object.entries(held(one)).filter(([k]) => k.startsWith(`${p} `)));
      const all = Object.fromEntries(Object.entries(held(whole)).filter(([k]) => k.startsWith(`${p} `)));
      assert.deepEqual(mine, all);
    }
  }), { numRuns: 300 });
});

/** Entries of every kind the index keys differently: hashed and unhashed files, tree files, folders, links. */
const anyEntry = fc.record({
  path: fc.constantFrom('a', 'b', 'c/d', 'c/e', 'f'),
  kind: fc.constantFrom('hashed', 'oid', 'tree', 'dir', 'link'),
  n: fc.integer({ min: 0, max: 2 }),
  m: fc.integer({ min: 0, max: 1 }),
}).map(({ path: p, kind, n, m }): ManifestEntry => {
  const base = { path: p, mode: 0o644, mtimeNs: `${1_700_000_000 + m}000000000` };
  if (kind === 'dir') return { ...base, type: 'dir' } as ManifestEntry;
  if (kind === 'link') return { ...base, type: 'symlink', link: `to-${n}` } as ManifestEntry;
  if (kind === 'tree') return { ...base, type: 'file', size: n, oid: '', hash: null, ino: `${m}`, ctimeNs: '5' } as ManifestEntry;
  return { ...base, type: 'file', size: n, oid: `o${n}${m}`, hash: kind === 'hashed' ? `${n}`.padStart(64, '0') : null } as ManifestEntry;
});

test('two entries are the same version exactly when their keys are equal', () => {
  fc.assert(fc.property(anyEntry, anyEntry, (a, b) => { assert.equal(sameVersion(a, b), versionKey(a) === versionKey(b)); }), { numRuns: 2000 });
});

test('a build snapshot after snapshot gives the index adding each whole gives, unsorted, repeated or skipped ones too', () => {
  fc.assert(fc.property(fc.array(fc.tuple(fc.array(anyEntry, { maxLength: 7 }), fc.boolean(), fc.boolean()), { minLength: 1, maxLength: 8 }), (snapshots) => {
    const whole = emptyIndex('/t');
    const built = emptyIndex('/t');
    const builder = new IndexBuilder(built);
    snapshots.forEach(([entries, sorted, skip], i) => {
      const list = sorted ? [...entries].sort((x, y) => (x.path < y.path ? -1 : x.path > y.path ? 1 : 0)) : entries;
      if (skip && i % 2 === 1) { markSkipped(whole, `s${i}`, 'damaged'); markSkipped(built, `s${i}`, 'damaged'); return; }
      addSnapshot(whole, `s${i}`, list);
      builder.add(`s${i}`, list);
    });
    assert.equal(serialiseIndex(built), serialiseIndex(whole));
  }), { numRuns: 1000 });
});

test('an index cut short anywhere, at a line boundary too, does not parse; a log line cut short is left out', () => {
  const index = emptyIndex('/t');
  addSnapshot(index, 's0', [file('a', 1), file('b', 2), file('c', 3)]);
  const text = serialiseIndex(index);
  assert.ok(parseIndex(text));
  for (let n = 1; n < text.length; n++) assert.equal(parseIndex(text.slice(0, n)), null, `cut at ${n}`);
  const line = serialiseDelta(makeDelta('/t', 's1', [file('a', 4)], { id: 's0', entries: [file('a', 1)] }));
  assert.equal(parseLog(line, '/t').length, 1);
  assert.equal(parseLog(line.slice(0, -1), '/t').length, 0);
  assert.equal(parseLog(line, '/other').length, 0, 'a log of another folder is not this one');
});

test('a delta whose base is not in the index is refused, so the query reads that snapshot instead', () => {
  const index = emptyIndex('/t');
  addSnapshot(index, 's0', [file('a', 1)]);
  assert.equal(applyDelta(index, makeDelta('/t', 's2', [file('a', 1)], { id: 's1', entries: [file('a', 1)] })), false);
  assert.equal(index.snapshots.has('s2'), false);
});

test('an index changed anywhere, still valid JSON of the same length, does not parse: a reused number, a run, a path', () => {
  const index = emptyIndex('/t');
  addSnapshot(index, 's0', [file('a', 1), file('b', 2)]);
  addSnapshot(index, 's1', [file('a', 3)]);
  const text = serialiseIndex(index);
  assert.ok(parseIndex(text));
  for (const [from, to] of [['"nextSeq":2,', '"nextSeq":1,'], ['"s1":1', '"s1":0'], ['[0,0]', '[0,1]'], ['["b",', '["/b",']] as const) {
    assert.ok(text.includes(from), from);
    assert.equal(parseIndex(text.replace(from, to)), null, `${from} -> ${to}`);
  }
  // Without the digest (an index of an earlier release), the numbers are still checked.
  const old = text.replace(/,"sha1":"[0-9a-f]+"/, '');
  assert.ok(parseIndex(old));
  assert.equal(parseIndex(old.replace('"s1":1', '"s1":0')), null, 'a number two snapshots share');
});

test('a log line changed anywhere, or without its digest, is left out, never folded in', () => {
  const line = serialiseDelta(makeDelta('/t', 's1', [file('a', 10)], { id: 's0', entries: [file('a', 3)] }));
  assert.equal(parseLog(line, '/t').length, 1);
  assert.ok(line.includes(',10,'));
  assert.deepEqual(parseLog(line.replace(',10,', ',90,'), '/t'), [], 'a size changed');
  assert.deepEqual(parseLog(line.replace(/\t[0-9a-f]+\n$/, '\n'), '/t'), [], 'no digest');
  assert.deepEqual(parseLog(line.replace('"removed":[]', '"removed":["b"]'), '/t'), [], 'a forged removal');
});
