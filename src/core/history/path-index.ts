import type { ManifestEntry } from '../tree/manifest.js';

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
  for (const e of entries) {
    const key = versionKey(e);
    let versions = index.paths.get(e.path);
    if (!versions) { versions = []; index.paths.set(e.path, versions); }
    const found = versions.find((v) => v.key === key);
    if (!found) {
      versions.push({ key, type: e.type, size: e.type === 'file' ? e.size : 0, mtimeNs: e.mtimeNs, mode: e.type === 'symlink' ? 0 : e.mode, runs: [seq, seq] });
      continue;
    }
    const last = found.runs.length - 1;
    if (found.runs[last] === seq - 1) found.runs[last] = seq; else found.runs.push(seq, seq);
  }
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
 * so the history of one path is found by searching the text for its line without parsing the rest.
 */
export function serialiseIndex(index: PathIndexData): string {
  const header = { version: 1, target: index.target, nextSeq: index.nextSeq, snapshots: Object.fromEntries(index.snapshots), skipped: Object.fromEntries(index.skipped) };
  const lines = [JSON.stringify(header)];
  for (const [p, versions] of index.paths) lines.push(JSON.stringify([p, ...versions.map((v) => [v.key, v.type, v.size, v.mtimeNs, v.mode, v.runs])]));
  return lines.join('\n') + '\n';
}

export interface IndexHeader { target: string; nextSeq: number; snapshots: Map<string, number>; skipped: Map<string, string> }

/** The header line, checked; null when it is not one. */
export function parseHeader(text: string): IndexHeader | null {
  const end = text.indexOf('\n');
  const raw = safeJson(end < 0 ? text : text.slice(0, end));
  if (!isRecord(raw) || raw['version'] !== 1 || typeof raw['target'] !== 'string' || !Number.isSafeInteger(raw['nextSeq'])) return null;
  const snapshots = raw['snapshots'];
  const skipped = raw['skipped'];
  if (!isRecord(snapshots) || !isRecord(skipped)) return null;
  const seqs = new Map<string, number>();
  for (const [id, seq] of Object.entries(snapshots)) { if (!Number.isSafeInteger(seq)) return null; seqs.set(id, seq as number); }
  const why = new Map<string, string>();
  for (const [id, reason] of Object.entries(skipped)) { if (typeof reason !== 'string') return null; why.set(id, reason); }
  return { target: raw['target'], nextSeq: raw['nextSeq'] as number, snapshots: seqs, skipped: why };
}

/** One path line, checked; null when damaged. */
export function parsePathLine(line: string): [string, IndexedVersion[]] | null {
  const raw = safeJson(line);
  if (!Array.isArray(raw) || typeof raw[0] !== 'string') return null;
  const versions: IndexedVersion[] = [];
  for (const v of raw.slice(1) as unknown[]) {
    if (!Array.isArray(v) || v.length !== 6) return null;
    const [key, type, size, mtimeNs, mode, runs] = v as unknown[];
    if (typeof key !== 'string' || (type !== 'file' && type !== 'dir' && type !== 'symlink') || !Number.isSafeInteger(size) || typeof mtimeNs !== 'string' || !/^\d{1,30}$/.test(mtimeNs) || !Number.isSafeInteger(mode)) return null;
    if (!Array.isArray(runs) || runs.length % 2 !== 0 || !runs.every((n) => Number.isSafeInteger(n))) return null;
    versions.push({ key, type, size: size as number, mtimeNs, mode: mode as number, runs: runs as number[] });
  }
  return [raw[0], versions];
}

/** The whole index, or null when any line is damaged. */
export function parseIndex(text: string): PathIndexData | null {
  const header = parseHeader(text);
  if (!header) return null;
  const index: PathIndexData = { version: 1, target: header.target, nextSeq: header.nextSeq, snapshots: header.snapshots, skipped: header.skipped, paths: new Map() };
  let at = text.indexOf('\n') + 1;
  while (at > 0 && at < text.length) {
    const end = text.indexOf('\n', at);
    const line = text.slice(at, end < 0 ? text.length : end);
    at = end < 0 ? text.length : end + 1;
    if (line === '') continue;
    const parsed = parsePathLine(line);
    if (!parsed) return null;
    index.paths.set(parsed[0], parsed[1]);
  }
  if (!text.endsWith('\n')) return null;
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

function safeJson(text: string): unknown {
  try { return JSON.parse(text); } catch { return null; }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
