/**
 * What a clone snapshot remembers of one path, relative to the target with `/` separators.
 * mtimes are kept in nanoseconds as decimal strings (JSON numbers lose precision past 2^53).
 * manifest-schema.ts validates manifests read from disk against these shapes.
 */
export type ManifestEntry =
  | { path: string; type: 'dir'; mode: number; mtimeNs: string }
  | { path: string; type: 'file'; mode: number; mtimeNs: string; size: number; oid: string }
  | { path: string; type: 'symlink'; mtimeNs: string; link: string };

export interface Manifest {
  version: 1;
  id: string;
  target: string;
  createdAt: string;
  entries: ManifestEntry[];
  /** Paths not kept as they were (sockets, FIFOs, unreadable or still-changing files), with the reason. */
  problems: { path: string; reason: string }[];
}

/**
 * utimes() takes seconds as a double, so a restored mtime can differ from the recorded one by a fraction of
 * a microsecond; anything closer than this is the same time.
 */
const MTIME_TOLERANCE_NS = 2_000n;

export function sameMtime(a: string | bigint, b: string | bigint): boolean {
  const d = BigInt(a) - BigInt(b);
  return d < MTIME_TOLERANCE_NS && d > -MTIME_TOLERANCE_NS;
}

export function nsToDate(ns: string | bigint): Date {
  return new Date(Number(BigInt(ns) / 1_000_000n));
}

/** Seconds as the double that fs.utimes wants, keeping as much of the nanoseconds as a double can. */
export function nsToSeconds(ns: string | bigint): number {
  const n = BigInt(ns);
  return Number(n / 1_000_000_000n) + Number(n % 1_000_000_000n) / 1e9;
}

/**
 * A manifest path is trusted only if it cannot name anything outside the target: relative, no `..` or `.`
 * segments, no empty segments, no NUL, no backslash tricks.
 */
export function isSafeRelativePath(p: string): boolean {
  if (p === '' || p.includes('\0') || p.includes('\\') || p.startsWith('/')) return false;
  return p.split('/').every((seg) => seg !== '' && seg !== '.' && seg !== '..');
}

/** True when `p` is `scope` or lies below it. */
export function isUnder(p: string, scope: string): boolean {
  return p === scope || p.startsWith(scope + '/');
}

export type FileEntry = Extract<ManifestEntry, { type: 'file' }>;

/**
 * Where the bytes of a snapshot's files are read from: the clone pool's objects, or a read-only snapshot
 * directory (btrfs, ZFS `.zfs/snapshot`, a mounted APFS snapshot). Restore and compare need nothing else.
 */
export interface ContentSource {
  contentPath(entry: FileEntry): string;
}

/** Paths left out of a walk, a comparison and a restore: snapctl's own temp files, a provider's own folder. */
export type PathFilter = (relPath: string) => boolean;
