import { isObject, stripUnknown } from '../base/checks.js';
import type { LiveEntry } from './walk.js';

/**
 * What a clone snapshot remembers of one path, relative to the target with `/` separators.
 * mtimes are kept in nanoseconds as decimal strings (JSON numbers lose precision past 2^53).
 * test/helpers/manifest-schema.ts states manifests read from disk against these shapes.
 */
export type ManifestEntry =
  | ({ path: string; type: 'dir'; mode: number; mtimeNs: string } & EntryMeta)
  | FileEntry
  | ({ path: string; type: 'symlink'; mtimeNs: string; link: string } & EntryMeta);

/**
 * Who owned an entry (restored when snapctl runs as root) and its extended attributes (ACLs, Finder tags,
 * quarantine flags, resource forks), base64 by name. Absent in manifests written before they were kept.
 */
export interface EntryMeta {
  uid?: number;
  gid?: number;
  xattrs?: Record<string, string>;
  /** As the entry was when snapshotted: an entry with the same two since has the same attributes. */
  ino?: string;
  ctimeNs?: string;
}

/**
 * A file: its object in the pool (`oid`), and the hash of the object's content (`hash`: its SHA-256, or for a
 * large file with holes the `blocks1:` hash, see content-hash.ts), taken before the snapshot was listed.
 * Null only in entries of reflink clones made by earlier versions, which hashed them later (a restore checks
 * those by size; `snapctl verify` hashes them). `ino` and
 * `ctimeNs` are what the file was on disk when it was read: like git's index, a file whose size and mtime
 * match but whose inode or ctime changed (`cp -p`, `rsync -t`, `tar x`) is read again.
 */
export interface FileEntry extends EntryMeta {
  path: string;
  type: 'file';
  mode: number;
  mtimeNs: string;
  size: number;
  oid: string;
  hash: string | null;
  ino?: string;
  ctimeNs?: string;
  /** More than one name for the same file (hard links): files with one `ino` come back as one file. */
  nlink?: number;
  /** It had holes, kept as holes when it is restored. */
  sparse?: boolean;
  /** With holes: the bytes its blocks took (what its copy in the pool takes too), for what deleting frees. */
  allocated?: number;
}

export interface Manifest {
  version: 1;
  id: string;
  target: string;
  createdAt: string;
  entries: ManifestEntry[];
  /** Paths not kept as they were (sockets, FIFOs, unreadable or still-changing files), with the reason. */
  problems: { path: string; reason: string }[];
  /** The owner most entries have; an entry written without one has this one (see compactEntries). */
  owner?: { uid: number; gid: number };
}

/** Objects are named by their hash (64 hex digits), or at random (32) when the filesystem cloned them. */
const OID = /^(?:[0-9a-f]{32}|[0-9a-f]{64})$/;
const HASH = /^(?:blocks1:)?[0-9a-f]{64}$/;
const DECIMAL = /^\d{1,30}$/;

/**
 * Checks a manifest read back from disk before a restore trusts anything in it (written by hand: zod is
 * several times slower on the manifests every rollback reads; bench/README.md, "Forms the code keeps"). The
 * parsed JSON is checked in place, unknown keys deleted, rather than copied entry by entry: the copies were
 * most of the garbage of a rollback.
 * Returns the manifest, or null when it is not one.
 */
export function checkManifest(raw: unknown): Manifest | null {
  if (!isObject(raw) || raw['version'] !== 1) return null;
  for (const k of ['id', 'target', 'createdAt'] as const) if (typeof raw[k] !== 'string') return null;
  const { entries, problems } = raw;
  if (!Array.isArray(entries) || !Array.isArray(problems)) return null;
  for (const e of entries as unknown[]) if (!isEntry(e)) return null;
  if (pathBeneathALink(entries as ManifestEntry[])) return null;
  const owner = raw['owner'];
  if (owner !== undefined) {
    if (!isObject(owner) || !Number.isSafeInteger(owner['uid']) || !Number.isSafeInteger(owner['gid'])) return null;
    for (const e of entries as Record<string, unknown>[]) if (e['uid'] === undefined) { e['uid'] = owner['uid']; e['gid'] = owner['gid']; }
  }
  for (const pr of problems as unknown[]) {
    if (!isObject(pr) || typeof pr['path'] !== 'string' || typeof pr['reason'] !== 'string') return null;
    stripUnknown(pr, PROBLEM_KEYS);
  }
  stripUnknown(raw, MANIFEST_KEYS);
  return raw as unknown as Manifest;
}

/**
 * The manifest as JSON, leaving out what reading gives back (checkManifest fills it in): a hash the object's
 * name already is (or the missing hash of an earlier version's clone), a ctime equal to the mtime, an owner equal to the
 * manifest's. A third smaller: read by every rollback and snapshot, written by every snapshot.
 */
export function manifestJson(manifest: Manifest): string {
  const first = manifest.entries.find((e) => e.uid !== undefined && e.gid !== undefined);
  const owner = first?.uid !== undefined && first.gid !== undefined ? { uid: first.uid, gid: first.gid } : undefined;
  return JSON.stringify(owner ? { ...manifest, owner } : manifest, function compact(this: Record<string, unknown>, key: string, value: unknown): unknown {
    switch (key) {
      case 'hash': return value === this['oid'] || (value === null && typeof this['oid'] === 'string' && this['oid'].length === 32) ? undefined : value;
      case 'ctimeNs': return value === this['mtimeNs'] ? undefined : value;
      case 'uid': return this !== owner && owner && value === owner.uid && this['gid'] === owner.gid ? undefined : value;
      case 'gid': return this !== owner && owner && value === owner.gid && this['uid'] === owner.uid ? undefined : value;
      default: return value;
    }
  });
}

/** The ownership and extended attributes of an entry as walked, for its manifest entry. */
export function metaOf(live: { uid: number; gid: number; xattrs?: Record<string, string>; ino: string; ctimeNs: string }): EntryMeta {
  const meta: EntryMeta = { uid: live.uid, gid: live.gid, ino: live.ino, ctimeNs: live.ctimeNs };
  if (live.xattrs) meta.xattrs = live.xattrs;
  return meta;
}

/** The manifest entry of a folder or link as walked (files need their object: see the clone capture). */
export function treeEntry(e: Exclude<LiveEntry, { type: 'file' }>): ManifestEntry {
  return e.type === 'dir'
    ? { path: e.path, type: 'dir', mode: e.mode, mtimeNs: e.mtimeNs, ...metaOf(e) }
    : { path: e.path, type: 'symlink', mtimeNs: e.mtimeNs, link: e.link, ...metaOf(e) };
}

/** What a file's content takes in the pool: its length, or with holes the blocks it took (the pool keeps the holes). */
export function storedBytes(f: { size: number; sparse?: boolean; allocated?: number }): number {
  return f.sparse && f.allocated !== undefined ? Math.min(f.size, f.allocated) : f.size;
}

/** A file entry as walked, holding `stored`'s content. */
export function fileEntry(e: Extract<LiveEntry, { type: 'file' }>, stored: { oid: string; hash: string | null }): FileEntry {
  const entry: FileEntry = { path: e.path, type: 'file', mode: e.mode, mtimeNs: e.mtimeNs, size: e.size, oid: stored.oid, hash: stored.hash, uid: e.uid, gid: e.gid, ino: e.ino, ctimeNs: e.ctimeNs };
  if (e.xattrs) entry.xattrs = e.xattrs;
  if (e.nlink > 1) entry.nlink = e.nlink;
  if (e.sparse) { entry.sparse = true; if (e.allocated !== undefined) entry.allocated = e.allocated; }
  return entry;
}

/**
 * A path beneath a symlink entry cannot exist on disk; restoring it would write through the link, wherever
 * it points. Such a manifest is damaged (or forged) and refused whole.
 */
function pathBeneathALink(entries: readonly ManifestEntry[]): boolean {
  const links = new Set<string>();
  for (const e of entries) if (e.type === 'symlink') links.add(e.path);
  if (links.size === 0) return false;
  for (const e of entries) {
    for (let i = e.path.indexOf('/'); i >= 0; i = e.path.indexOf('/', i + 1)) if (links.has(e.path.slice(0, i))) return true;
  }
  return false;
}

/**
 * pathBeneathALink for `all` (sorted by path) made of entries already checked and `changed` (among them): only
 * the changed ones can be beneath a link, or be a link with entries beneath it.
 */
export function pathsBeneathLinks(all: readonly ManifestEntry[], changed: readonly ManifestEntry[]): boolean {
  const links = new Set<string>();
  for (const e of all) if (e.type === 'symlink') links.add(e.path);
  if (links.size === 0) return false;
  for (const e of changed) {
    for (let i = e.path.indexOf('/'); i >= 0; i = e.path.indexOf('/', i + 1)) if (links.has(e.path.slice(0, i))) return true;
    if (e.type !== 'symlink') continue;
    // The first path after the link's own that starts with it: sorted, it follows the link at once or not at all.
    const prefix = `${e.path}/`;
    let lo = 0;
    let hi = all.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((all[mid] as ManifestEntry).path < prefix) lo = mid + 1; else hi = mid;
    }
    if (all[lo]?.path.startsWith(prefix)) return true;
  }
  return false;
}

const MANIFEST_KEYS = new Set(['version', 'id', 'target', 'createdAt', 'entries', 'problems', 'owner']);
const PROBLEM_KEYS = new Set(['path', 'reason']);
const META_KEYS = ['uid', 'gid', 'xattrs', 'ino', 'ctimeNs'];
const ENTRY_KEYS = {
  dir: new Set(['path', 'type', 'mode', 'mtimeNs', ...META_KEYS]),
  file: new Set(['path', 'type', 'mode', 'mtimeNs', 'size', 'oid', 'hash', 'ino', 'ctimeNs', 'nlink', 'sparse', 'allocated', ...META_KEYS]),
  symlink: new Set(['path', 'type', 'mtimeNs', 'link', ...META_KEYS]),
} as const;

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

function isMeta(e: Record<string, unknown>): boolean {
  // Written without a ctime when it equals the mtime (see compactEntries).
  if (e['ino'] !== undefined && e['ctimeNs'] === undefined) e['ctimeNs'] = e['mtimeNs'];
  for (const k of ['uid', 'gid'] as const) if (e[k] !== undefined && !(Number.isSafeInteger(e[k]) && (e[k] as number) >= 0)) return false;
  for (const k of ['ino', 'ctimeNs'] as const) if (e[k] !== undefined && (typeof e[k] !== 'string' || !DECIMAL.test(e[k]))) return false;
  const x = e['xattrs'];
  if (x === undefined) return true;
  return isObject(x) && Object.values(x).every((v) => typeof v === 'string' && BASE64.test(v));
}

function isEntry(e: unknown): boolean {
  // A path that could name something outside the target makes the whole manifest damaged: refused when it
  // is read (verify, before any safety snapshot or journal), not half way through a restore.
  if (!isObject(e) || typeof e['path'] !== 'string' || !isSafeRelativePath(e['path']) || typeof e['mtimeNs'] !== 'string' || !isMeta(e)) return false;
  const type = e['type'];
  if (type === 'dir') {
    if (!Number.isInteger(e['mode'])) return false;
  } else if (type === 'file') {
    const size = e['size'];
    if (!Number.isInteger(e['mode']) || !Number.isInteger(size) || (size as number) < 0 || typeof e['oid'] !== 'string' || !OID.test(e['oid'])) return false;
    // Entries written before content was hashed have no hash: an object named by its SHA-256 says it all the
    // same; one named at random (a clone of an earlier version) is checked by size until verify hashes it.
    if (e['hash'] === undefined) e['hash'] = HASH.test(e['oid']) ? e['oid'] : null;
    if (e['hash'] !== null && (typeof e['hash'] !== 'string' || !HASH.test(e['hash']))) return false;
    for (const k of ['ino', 'ctimeNs'] as const) if (e[k] !== undefined && (typeof e[k] !== 'string' || !DECIMAL.test(e[k]))) return false;
    if (e['nlink'] !== undefined && !(Number.isSafeInteger(e['nlink']) && (e['nlink'] as number) >= 1)) return false;
    if (e['sparse'] !== undefined && typeof e['sparse'] !== 'boolean') return false;
    if (e['allocated'] !== undefined && !(Number.isSafeInteger(e['allocated']) && (e['allocated'] as number) >= 0)) return false;
  } else if (type === 'symlink') {
    if (typeof e['link'] !== 'string') return false;
  } else {
    return false;
  }
  stripUnknown(e, ENTRY_KEYS[type]);
  return true;
}


/**
 * utimes() takes seconds as a double, so a restored mtime can differ from the recorded one by a fraction of
 * a microsecond; anything closer than this is the same time.
 */
const MTIME_TOLERANCE_NS = 2_000n;

export function sameMtime(a: string | bigint, b: string | bigint): boolean {
  // Equal values of the same kind need no BigInt arithmetic (the common case, 20,000 times per rollback).
  if (a === b) return true;
  const d = BigInt(a) - BigInt(b);
  return d < MTIME_TOLERANCE_NS && d > -MTIME_TOLERANCE_NS;
}

/** Seconds as the double that fs.utimes wants, keeping as much of the nanoseconds as a double can. */
export function nsToSeconds(ns: string | bigint): number {
  const n = BigInt(ns);
  // utimes takes a double and libuv keeps whole microseconds of it: aimed at the middle of the microsecond,
  // the double's error (~0.1 µs at today's dates) never carries it into the next one (or the next
  // millisecond), so the time set is the recorded one to the microsecond, always on the same side.
  const seconds = n / 1_000_000_000n;
  const micros = (n % 1_000_000_000n) / 1000n;
  return Number(seconds) + (Number(micros) * 1000 + 500) / 1e9;
}

/**
 * A manifest path is trusted only if it cannot name anything outside the target: relative, no `..` or `.`
 * segments, no empty segments, no NUL.
 */
export function isSafeRelativePath(p: string): boolean {
  // A backslash is an ordinary character in a name on Linux and macOS (systemd writes `dev-disk-by\x2duuid`).
  if (p === '' || p.includes('\0') || p.startsWith('/') || p.endsWith('/') || p.includes('//')) return false;
  // Segments `.` and `..` are found without splitting every path (a restore checks 20,000 of them).
  if (!p.includes('.')) return true;
  const wrapped = `/${p}/`;
  return !wrapped.includes('/./') && !wrapped.includes('/../');
}

/** True when `p` is `scope` or lies below it. */
/** Finds a manifest's entry by path: a Map answers too. */
export interface EntryLookup {
  get(path: string): ManifestEntry | undefined;
}

/** The entry at `p` in entries sorted by path, by bisection. */
export function entryAt(sorted: readonly ManifestEntry[], p: string): ManifestEntry | undefined {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((sorted[mid] as ManifestEntry).path < p) lo = mid + 1; else hi = mid;
  }
  return sorted[lo]?.path === p ? sorted[lo] : undefined;
}

/**
 * A manifest's entries by path: by bisection where they are sorted by path (as every walk lists them), so a
 * look at a few paths does not index 200,000 first; through a map built on first use where they are not.
 */
export class EntriesByPath implements EntryLookup {
  private readonly sorted: boolean;
  private map: Map<string, ManifestEntry> | null = null;

  constructor(private readonly entries: readonly ManifestEntry[]) {
    this.sorted = entries.every((e, i, all) => i === 0 || (all[i - 1] as ManifestEntry).path < e.path);
  }

  get(p: string): ManifestEntry | undefined {
    if (this.sorted) return entryAt(this.entries, p);
    if (!this.map) {
      this.map = new Map();
      for (const e of this.entries) if (!this.map.has(e.path)) this.map.set(e.path, e);
    }
    return this.map.get(p);
  }
}

export function isUnder(p: string, scope: string): boolean {
  return p === scope || p.startsWith(scope + '/');
}


/**
 * Where the bytes of a snapshot's files are read from: the clone pool's objects, or a read-only snapshot
 * directory (btrfs, ZFS `.zfs/snapshot`, a mounted APFS snapshot). Restore and compare need nothing else.
 */
export interface ContentSource {
  /** A path to hand to the filesystem (bytes where the name is not UTF-8: see names.ts). */
  contentPath(entry: FileEntry): string | Buffer;
}

export type { PathFilter } from './path-filter.js';

/** The folder a relative path is in ('' for the top). */
export function parentOf(rel: string): string {
  const i = rel.lastIndexOf('/');
  return i < 0 ? '' : rel.slice(0, i);
}

/**
 * What changed from `base` to `next` (both sorted by path): one pass over both. Entries `same` calls equal
 * (by default field for field) are left out, whatever object holds them.
 */
export function diffEntries(base: readonly ManifestEntry[], next: readonly ManifestEntry[], same: (a: ManifestEntry, b: ManifestEntry) => boolean = sameEntry): { changed: ManifestEntry[]; removed: string[] } {
  const changed: ManifestEntry[] = [];
  const removed: string[] = [];
  let i = 0;
  let j = 0;
  while (i < base.length || j < next.length) {
    const b = base[i];
    const n = next[j];
    if (b === undefined) { changed.push(n as ManifestEntry); j++; continue; }
    if (n === undefined) { removed.push(b.path); i++; continue; }
    if (b.path === n.path) {
      if (b !== n && !same(b, n)) changed.push(n);
      i++; j++;
    } else if (b.path < n.path) {
      removed.push(b.path); i++;
    } else {
      changed.push(n); j++;
    }
  }
  return { changed, removed };
}

/** Two entries that would be written the same (see manifestJson), key for key; keys in `ignoring` are not compared. */
export function sameEntry(a: ManifestEntry, b: ManifestEntry, ignoring?: ReadonlySet<string>): boolean {
  const ra = a as unknown as Record<string, unknown>;
  const rb = b as unknown as Record<string, unknown>;
  for (const k in ra) if (ra[k] !== undefined && !ignoring?.has(k) && !sameValue(ra[k], rb[k])) return false;
  for (const k in rb) if (rb[k] !== undefined && !ignoring?.has(k) && ra[k] === undefined) return false;
  return true;
}

/** A field's values: primitives as they are, an attribute map key for key. */
function sameValue(x: unknown, y: unknown): boolean {
  if (x === y) return true;
  if (!isObject(x) || !isObject(y)) return false;
  const kx = Object.keys(x);
  if (kx.length !== Object.keys(y).length) return false;
  return kx.every((k) => x[k] === y[k]);
}
