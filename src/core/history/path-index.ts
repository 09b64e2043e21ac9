import { nodeCrypto } from '../base/lazy-crypto.js';
import { jsonOrNull } from '../base/quiet-reads.js';
import { entryAt, isSafeRelativePath, type ManifestEntry } from '../tree/manifest.js';

/**
 * One folder's path index: every path any of its snapshots holds, each with its distinct versions and the
 * snapshots holding each. Snapshots are numbered as they are added (`seq`, never reused); a version holds
 * the live seqs inside its runs (`[first, last, first, last, ...]`), so a file unchanged across a thousand
 * snapshots is one run. A seq whose snapshot was deleted is simply no longer live.
 */
export interface IndexedVersion {
  /** Content hash (clone), else size+mtime+inode+ctime (trees), `d` for a folder, `l:` + target for a link. */
  key: string;
  type: 'file' | 'dir' | 'symlink';
  size: number;
  mtimeNs: string;
  mode: number;
  runs: number[];
}

export interface PathIndexData {
  version: 1;
  target: string;
  nextSeq: number;
  /** Snapshot id -> seq, for every snapshot the index covers. */
  snapshots: Map<string, number>;
  /** Snapshots that could not be read (a damaged manifest), with why: covered, holding nothing. */
  skipped: Map<string, string>;
  paths: Map<string, IndexedVersion[]>;
}

export function emptyIndex(target: string): PathIndexData {
  return { version: 1, target, nextSeq: 0, snapshots: new Map(), skipped: new Map(), paths: new Map() };
}

export function versionKey(e: ManifestEntry): string {
  if (e.type === 'dir') return 'd';
  if (e.type === 'symlink') return `l:${e.link}`;
  if (e.hash) return `h:${e.hash}`;
  // Tree providers keep no object: a file with the same size, mtime, inode and ctime is the same version.
  if (e.oid === '') return `s:${e.size}:${e.mtimeNs}:${e.ino ?? ''}:${e.ctimeNs ?? ''}`;
  return `o:${e.oid}`;
}

/** Adds one snapshot's entries under a new seq. */
export function addSnapshot(index: PathIndexData, id: string, entries: readonly ManifestEntry[]): void {
  if (index.snapshots.has(id)) return;
  const seq = index.nextSeq++;
  index.snapshots.set(id, seq);
  for (const e of entries) hold(index, entryLine(e), seq);
}

/** One path of a snapshot as the index and its log keep it: `[path, key, type, size, mtimeNs, mode]`. */
export type EntryLine = [string, string, IndexedVersion['type'], number, string, number];

function entryLine(e: ManifestEntry): EntryLine {
  return [e.path, versionKey(e), e.type, e.type === 'file' ? e.size : 0, e.mtimeNs, e.type === 'symlink' ? 0 : e.mode];
}

/** `seq` holds this version of its path: a new version, or the next number of a run. */
function hold(index: PathIndexData, [p, key, type, size, mtimeNs, mode]: EntryLine, seq: number): IndexedVersion {
  let versions = index.paths.get(p);
  if (!versions) { versions = []; index.paths.set(p, versions); }
  const found = versions.find((v) => v.key === key);
  if (found) { extend(found, seq); return found; }
  const made: IndexedVersion = { key, type, size, mtimeNs, mode, runs: [seq, seq] };
  versions.push(made);
  return made;
}

/**
 * Adds snapshots one after another, as a build from the snapshots does. An entry is first met with the
 * same path in the snapshot added before (manifests are sorted by path, and most files stay as they were
 * from one snapshot to the next): the same key there is the same version, with no lookup by path, which
 * was most of a build's time (bench/README.md, "File history"). Anything else is added as addSnapshot does.
 */
export class IndexBuilder {
  private before: readonly ManifestEntry[] = [];
  private held: IndexedVersion[] = [];

  constructor(readonly index: PathIndexData) {}

  add(id: string, entries: readonly ManifestEntry[]): void {
    const index = this.index;
    if (index.snapshots.has(id)) return;
    const seq = index.nextSeq++;
    index.snapshots.set(id, seq);
    const held: IndexedVersion[] = [];
    let j = 0;
    for (const e of entries) {
      // Paths gone since the snapshot before are stepped over; an unsorted manifest only loses the shortcut.
      while (j < this.before.length && (this.before[j] as ManifestEntry).path < e.path) j++;
      const was = this.before[j];
      const v = this.held[j];
      if (was !== undefined && v !== undefined && was.path === e.path && sameVersion(was, e)) { extend(v, seq); held.push(v); } else held.push(hold(index, entryLine(e), seq));
    }
    this.before = entries;
    this.held = held;
  }
}

function extend(v: IndexedVersion, seq: number): void {
  const last = v.runs.length - 1;
  if (v.runs[last] === seq - 1) v.runs[last] = seq; else if (v.runs[last] !== seq) v.runs.push(seq, seq);
}

function holds(v: IndexedVersion, seq: number): boolean {
  for (let i = 0; i + 1 < v.runs.length; i += 2) if ((v.runs[i] ?? 0) <= seq && seq <= (v.runs[i + 1] ?? -1)) return true;
  return false;
}

/** versionKey(a) === versionKey(b), without making the two keys (a build compares twenty million). */
export function sameVersion(a: ManifestEntry, b: ManifestEntry): boolean {
  if (a.type !== b.type) return false;
  if (a.type === 'dir') return true;
  if (a.type === 'symlink') return b.type === 'symlink' && a.link === b.link;
  if (b.type !== 'file') return false;
  if (a.hash || b.hash) return a.hash === b.hash;
  if (a.oid === '' || b.oid === '') return a.oid === b.oid && a.size === b.size && a.mtimeNs === b.mtimeNs && (a.ino ?? '') === (b.ino ?? '') && (a.ctimeNs ?? '') === (b.ctimeNs ?? '');
  return a.oid === b.oid;
}

/**
 * A create's change to the index, appended to the index's log (`<key>.log.ndjson`) instead of rewriting the
 * index: the paths whose version differs from the base snapshot's (the one the create shared files with)
 * and the paths the base held that are gone. A query folds the log in; a rewrite of the index empties it.
 */
export interface IndexDelta { target: string; id: string; base: string | null; changed: EntryLine[]; removed: string[] }

/** What `entries` changes against `base`, the snapshot the create compared with (null: holds only `entries`). */
export function makeDelta(target: string, id: string, entries: readonly ManifestEntry[], base: { id: string; entries: readonly ManifestEntry[]; changes?: { changed: readonly ManifestEntry[]; removed: readonly string[] } } | null): IndexDelta {
  if (!base) return { target, id, base: null, changed: entries.map(entryLine), removed: [] };
  // The changes known already (entries sorted by path, as a clone's delta is made): only those are looked at.
  if (base.changes) {
    const changed = base.changes.changed.filter((e) => { const was = entryAt(base.entries, e.path); return !was || versionKey(was) !== versionKey(e); });
    return { target, id, base: base.id, changed: changed.map(entryLine), removed: [...base.changes.removed] };
  }
  const before = new Map(base.entries.map((e) => [e.path, versionKey(e)]));
  const changed: EntryLine[] = [];
  for (const e of entries) {
    const key = versionKey(e);
    if (before.get(e.path) !== key) changed.push(entryLine(e));
    before.delete(e.path);
  }
  return { target, id, base: base.id, changed, removed: [...before.keys()] };
}

/** One log line: the delta, then its SHA-1 after a tab, so a line changed anywhere is left out, never folded in. */
export function serialiseDelta(d: IndexDelta): string {
  const body = JSON.stringify({ target: d.target, id: d.id, base: d.base, changed: d.changed, removed: d.removed });
  return `${body}\t${digest(body)}\n`;
}

/** The log's deltas for `target`; a damaged or unfinished line (a create killed while appending) is left out. */
export function parseLog(text: string, target: string): IndexDelta[] {
  const out: IndexDelta[] = [];
  const lines = text.split('\n');
  lines.pop(); // after the last newline: empty, or a line never finished
  for (const line of lines) {
    // A line without its digest (an earlier release's) or with a wrong one is left out: the query then reads
    // that snapshot from its manifest instead.
    const tab = line.lastIndexOf('\t');
    if (tab < 0 || line.slice(tab + 1) !== digest(line.slice(0, tab))) continue;
    const raw = jsonOrNull(line.slice(0, tab));
    if (!isRecord(raw) || raw['target'] !== target || typeof raw['id'] !== 'string' || (raw['base'] !== null && typeof raw['base'] !== 'string')) continue;
    const changed = raw['changed'];
    const removed = raw['removed'];
    if (!Array.isArray(changed) || !Array.isArray(removed) || !removed.every((r) => typeof r === 'string' && isSafeRelativePath(r))) continue;
    const lines2: EntryLine[] = [];
    for (const c of changed as unknown[]) {
      if (!Array.isArray(c) || typeof c[0] !== 'string' || !isSafeRelativePath(c[0])) break;
      const v = parseVersion(c.slice(1).concat([[]]));
      if (!v) break;
      lines2.push([c[0], v.key, v.type, v.size, v.mtimeNs, v.mode]);
    }
    if (lines2.length !== changed.length) continue;
    out.push({ target, id: raw['id'], base: raw['base'] as string | null, changed: lines2, removed: removed as string[] });
  }
  return out;
}

/**
 * Folds one delta into the index (or into the lines of `only`, the one path a history asks for); false when
 * its base is not there to build on (deleted, skipped, never added): the query then reads that snapshot.
 */
export function applyDelta(index: PathIndexData, d: IndexDelta, only?: string): boolean {
  if (index.snapshots.has(d.id)) return true;
  let baseSeq: number | undefined;
  if (d.base !== null) {
    baseSeq = index.snapshots.get(d.base);
    if (baseSeq === undefined || index.skipped.has(d.base)) return false;
  }
  const seq = index.nextSeq++;
  index.snapshots.set(d.id, seq);
  if (baseSeq !== undefined) {
    const changed = new Set(d.changed.map((c) => c[0]));
    const removed = new Set(d.removed);
    const keep = (p: string, versions: IndexedVersion[]): void => {
      if (changed.has(p) || removed.has(p)) return;
      const v = versions.find((x) => holds(x, baseSeq));
      if (v) extend(v, seq);
    };
    if (only !== undefined) { const versions = index.paths.get(only); if (versions) keep(only, versions); } else for (const [p, versions] of index.paths) keep(p, versions);
  }
  for (const c of d.changed) if (only === undefined || c[0] === only) hold(index, c, seq);
  return true;
}

/**
 * What snapshot `id` holds, as far as the index keeps it: each path's version as an entry whose version key is
 * the one the snapshot gave it (a tree file's size, mtime, inode and ctime; a link's target). Null when a
 * version's key cannot be turned back into an entry (clone's content hashes), or the snapshot is not held.
 */
export function entriesAt(index: PathIndexData, id: string): ManifestEntry[] | null {
  const seq = index.snapshots.get(id);
  if (seq === undefined || index.skipped.has(id)) return null;
  const out: ManifestEntry[] = [];
  for (const [p, versions] of index.paths) {
    const v = versions.find((x) => holds(x, seq));
    if (!v) continue;
    if (v.type === 'dir') { out.push({ path: p, type: 'dir', mode: v.mode, mtimeNs: v.mtimeNs }); continue; }
    if (v.type === 'symlink') { if (!v.key.startsWith('l:')) return null; out.push({ path: p, type: 'symlink', mtimeNs: v.mtimeNs, link: v.key.slice(2) }); continue; }
    const m = /^s:(\d+):(\d+):(\d+):(\d+)$/.exec(v.key);
    if (!m) return null;
    out.push({ path: p, type: 'file', mode: v.mode, mtimeNs: m[2] as string, size: Number(m[1]), oid: '', hash: null, ino: m[3] as string, ctimeNs: m[4] as string });
  }
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

export function markSkipped(index: PathIndexData, id: string, why: string): void {
  index.snapshots.set(id, index.nextSeq++);
  index.skipped.set(id, why);
}

/** Drops snapshots, and the versions and paths no live snapshot holds any more. */
export function removeSnapshots(index: PathIndexData, ids: Iterable<string>): boolean {
  let changed = false;
  for (const id of ids) changed = index.snapshots.delete(id) || changed;
  for (const id of ids) index.skipped.delete(id);
  if (!changed) return false;
  const live = new Set(index.snapshots.values());
  for (const [p, versions] of index.paths) {
    const kept = versions.filter((v) => liveSeqs(v, live).length > 0);
    if (kept.length === 0) index.paths.delete(p); else if (kept.length !== versions.length) index.paths.set(p, kept);
  }
  return true;
}

/** The live seqs a version holds. */
export function liveSeqs(v: IndexedVersion, live: ReadonlySet<number>): number[] {
  const out: number[] = [];
  for (let i = 0; i + 1 < v.runs.length; i += 2) {
    const a = v.runs[i] ?? 0;
    const b = v.runs[i + 1] ?? -1;
    // Long runs over few live snapshots: look the live ones up rather than every number in between.
    if (b - a > live.size) { for (const s of live) if (s >= a && s <= b) out.push(s); } else for (let s = a; s <= b; s++) if (live.has(s)) out.push(s);
  }
  return out;
}

/**
 * On disk: one header line, then one line per path (`[path, [key, type, size, mtimeNs, mode, runs], ...]`),
 * so the history of one path is found by searching the text for its line without parsing the rest, then a
 * trailer (`{"end": N}`, N the length of the text before it), so a cut-short file is never read as whole.
 */
export function serialiseIndex(index: PathIndexData): string {
  const header = { version: 2, target: index.target, nextSeq: index.nextSeq, snapshots: Object.fromEntries(index.snapshots), skipped: Object.fromEntries(index.skipped) };
  const lines = [JSON.stringify(header)];
  for (const [p, versions] of index.paths) lines.push(JSON.stringify([p, ...versions.map((v) => [v.key, v.type, v.size, v.mtimeNs, v.mode, v.runs])]));
  const body = lines.join('\n') + '\n';
  return `${body}${JSON.stringify({ end: body.length, sha1: digest(body) })}\n`;
}

/** The body's digest: a byte changed anywhere (a number in a run, a seq) makes the index damaged, never a wrong answer. */
function digest(body: string): string {
  return nodeCrypto().createHash('sha1').update(body).digest('hex');
}

/**
 * Where the path lines end: the trailer's start, or null when it is missing or wrong (a cut-short or changed
 * file). Indexes written before the digest was kept are taken by their length alone.
 */
function bodyEnd(text: string): number | null {
  if (!text.endsWith('\n')) return null;
  const start = text.lastIndexOf('\n', text.length - 2) + 1;
  const raw = jsonOrNull(text.slice(start, -1));
  if (!isRecord(raw) || raw['end'] !== start) return null;
  if (raw['sha1'] !== undefined && raw['sha1'] !== digest(text.slice(0, start))) return null;
  return start;
}

export interface IndexHeader { target: string; nextSeq: number; snapshots: Map<string, number>; skipped: Map<string, string> }

/** The header line, checked; null when it is not one. */
export function parseHeader(text: string): IndexHeader | null {
  const end = text.indexOf('\n');
  const raw = jsonOrNull(end < 0 ? text : text.slice(0, end));
  if (!isRecord(raw) || (raw['version'] !== 1 && raw['version'] !== 2) || typeof raw['target'] !== 'string' || !Number.isSafeInteger(raw['nextSeq'])) return null;
  // Version 1 (the first release) had no trailer; from version 2 a file without its trailer is damaged.
  if (raw['version'] === 2 && bodyEnd(text) === null) return null;
  const snapshots = raw['snapshots'];
  const skipped = raw['skipped'];
  if (!isRecord(snapshots) || !isRecord(skipped)) return null;
  const seqs = new Map<string, number>();
  const used = new Set<number>();
  const next = raw['nextSeq'] as number;
  // Each snapshot its own number below nextSeq: a reused one would give one snapshot's files to another.
  for (const [id, seq] of Object.entries(snapshots)) {
    if (!Number.isSafeInteger(seq) || (seq as number) < 0 || (seq as number) >= next || used.has(seq as number)) return null;
    used.add(seq as number);
    seqs.set(id, seq as number);
  }
  const why = new Map<string, string>();
  for (const [id, reason] of Object.entries(skipped)) { if (typeof reason !== 'string') return null; why.set(id, reason); }
  return { target: raw['target'], nextSeq: raw['nextSeq'] as number, snapshots: seqs, skipped: why };
}

/** One path line, checked; null when damaged. */
export function parsePathLine(line: string): [string, IndexedVersion[]] | null {
  const raw = jsonOrNull(line);
  if (!Array.isArray(raw) || typeof raw[0] !== 'string' || !isSafeRelativePath(raw[0])) return null;
  const versions: IndexedVersion[] = [];
  for (const v of raw.slice(1) as unknown[]) {
    const parsed = Array.isArray(v) ? parseVersion(v) : null;
    if (!parsed) return null;
    versions.push(parsed);
  }
  return [raw[0], versions];
}

function parseVersion(v: unknown[]): IndexedVersion | null {
  if (v.length !== 6) return null;
  const [key, type, size, mtimeNs, mode, runs] = v;
  if (typeof key !== 'string' || (type !== 'file' && type !== 'dir' && type !== 'symlink') || !Number.isSafeInteger(size) || typeof mtimeNs !== 'string' || !/^\d{1,30}$/.test(mtimeNs) || !Number.isSafeInteger(mode)) return null;
  if (!Array.isArray(runs) || runs.length % 2 !== 0 || !runs.every((n) => Number.isSafeInteger(n))) return null;
  // Runs in order, apart: [first, last, first, last, ...], each first after the last before it.
  for (let i = 0; i < runs.length; i++) if ((runs[i] as number) < (i === 0 ? 0 : (runs[i - 1] as number) + (i % 2 === 0 ? 1 : 0))) return null;
  return { key, type, size: size as number, mtimeNs, mode: mode as number, runs: runs as number[] };
}

/** The whole index, or null when any line is damaged. */
export function parseIndex(text: string): PathIndexData | null {
  const header = parseHeader(text);
  if (!header) return null;
  if (!text.endsWith('\n')) return null;
  const index: PathIndexData = { version: 1, target: header.target, nextSeq: header.nextSeq, snapshots: header.snapshots, skipped: header.skipped, paths: new Map() };
  const end = bodyEnd(text) ?? text.length;
  let at = text.indexOf('\n') + 1;
  while (at > 0 && at < end) {
    const stop = text.indexOf('\n', at);
    const line = text.slice(at, stop < 0 ? end : stop);
    at = stop < 0 ? end : stop + 1;
    if (line === '') continue;
    const parsed = parsePathLine(line);
    if (!parsed) return null;
    index.paths.set(parsed[0], parsed[1]);
  }
  return index;
}

/** The line of one path, found in the text without parsing the others; undefined when absent, null when damaged. */
export function findPathLine(text: string, p: string): IndexedVersion[] | undefined | null {
  const needle = `\n${JSON.stringify([p]).slice(0, -1)},`;
  const at = text.indexOf(needle);
  if (at < 0) return undefined;
  const end = text.indexOf('\n', at + 1);
  if (end < 0) return null;
  return parsePathLine(text.slice(at + 1, end))?.[1] ?? null;
}


function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
