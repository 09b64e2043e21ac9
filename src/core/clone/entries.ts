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

const OID = /^[0-9a-f]{32}$/;

/**
 * Checks a manifest read back from disk before a restore trusts anything in it (written by hand: zod took
 * ~100 ms on a 20,000-entry manifest, read on every rollback). Unknown keys are dropped. Returns the
 * manifest, or null when it is not one.
 */
export function checkManifest(raw: unknown): Manifest | null {
  if (!isRecord(raw) || raw['version'] !== 1) return null;
  for (const k of ['id', 'target', 'createdAt'] as const) if (typeof raw[k] !== 'string') return null;
  const { entries, problems } = raw;
  if (!Array.isArray(entries) || !Array.isArray(problems)) return null;
  const outEntries: ManifestEntry[] = new Array<ManifestEntry>(entries.length);
  for (let i = 0; i < entries.length; i++) {
    const e: unknown = entries[i];
    if (!isRecord(e) || typeof e['path'] !== 'string' || typeof e['mtimeNs'] !== 'string') return null;
    const { path: p, mtimeNs } = e;
    if (e['type'] === 'dir') {
      if (!Number.isInteger(e['mode'])) return null;
      outEntries[i] = { path: p, type: 'dir', mode: e['mode'] as number, mtimeNs };
    } else if (e['type'] === 'file') {
      const size = e['size'];
      if (!Number.isInteger(e['mode']) || !Number.isInteger(size) || (size as number) < 0 || typeof e['oid'] !== 'string' || !OID.test(e['oid'])) return null;
      outEntries[i] = { path: p, type: 'file', mode: e['mode'] as number, mtimeNs, size: size as number, oid: e['oid'] };
    } else if (e['type'] === 'symlink') {
      if (typeof e['link'] !== 'string') return null;
      outEntries[i] = { path: p, type: 'symlink', mtimeNs, link: e['link'] };
    } else {
      return null;
    }
  }
  const outProblems: Manifest['problems'] = [];
  for (const pr of problems as unknown[]) {
    if (!isRecord(pr) || typeof pr['path'] !== 'string' || typeof pr['reason'] !== 'string') return null;
    outProblems.push({ path: pr['path'], reason: pr['reason'] });
  }
  return { version: 1, id: raw['id'] as string, target: raw['target'] as string, createdAt: raw['createdAt'] as string, entries: outEntries, problems: outProblems };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
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
