import { lstatSync, readdirSync, readlinkSync, type BigIntStats, type Dirent } from 'node:fs';
import path from 'node:path';
import { errnoCode, nullIfMissing } from '../base/errors.js';
import { fromBytes, fsPath } from './names.js';
import { readXattrs } from './xattrs.js';

/**
 * A path as it is on disk now (never following symlinks). mtimes are decimal nanoseconds, as in manifests, so
 * an unchanged file compares equal as a string without BigInt arithmetic.
 */
export type LiveEntry =
  | ({ path: string; type: 'dir'; mode: number; mtimeNs: string } & Ownership)
  | ({ path: string; type: 'file'; mode: number; mtimeNs: string; size: number; ino: string; ctimeNs: string; nlink: number; sparse: boolean } & Ownership)
  | ({ path: string; type: 'symlink'; mtimeNs: string; link: string } & Ownership);

/** Who owns an entry, and its extended attributes (ACLs, Finder tags, quarantine flags...), base64 by name. */
export interface Ownership {
  uid: number;
  gid: number;
  xattrs?: Record<string, string>;
}

export interface WalkResult {
  entries: LiveEntry[];
  /** Paths that exist but are not among `entries` (unreadable folders' contents, sockets, FIFOs, too long). */
  skipped: { path: string; reason: string }[];
  /** Entries listed, but not whole (extended attributes that could not be read). */
  notes: { path: string; reason: string }[];
}

export interface WalkOptions {
  /** Relative paths (and everything below them) left out, e.g. snapctl's own temp files. */
  exclude?: (relPath: string) => boolean;
}

/** Entries examined between two turns of the event loop, so a walk never stalls the tray app or serve. */
const BATCH = 2000;

/**
 * Lists every path below `root` with lstat, sorted by path (parents before children).
 *
 * The calls are synchronous, in batches: a cached lstat costs several times more through the promise API
 * and the thread pool, and a developer tree has tens of thousands of entries (bench/README.md, "Forms the
 * code keeps"). Between batches the event loop runs.
 */
export async function walk(root: string, options: WalkOptions = {}): Promise<WalkResult> {
  const entries: LiveEntry[] = [];
  const skipped: WalkResult['skipped'] = [];
  const notes: WalkResult['notes'] = [];
  const pending: string[] = [''];
  const rootAbs = path.resolve(root);
  let sinceYield = 0;
  while (pending.length > 0) {
    const dirRel = pending.pop() as string;
    let dirents: Dirent<Buffer>[];
    // Plain concatenation: path.join normalises every call, measurable over tens of thousands of entries.
    const dirAbs = dirRel === '' ? rootAbs : `${rootAbs}${path.sep}${dirRel}`;
    try {
      // Names as bytes: a name that is not UTF-8 is kept exactly (names.ts).
      dirents = readdirSync(fsPath(dirAbs), { withFileTypes: true, encoding: 'buffer' });
    } catch (err) {
      const code = errnoCode(err);
      if (dirRel !== '' && (code === 'EACCES' || code === 'EPERM' || code === 'ENOENT' || code === 'ENOTDIR' || code === 'ENAMETOOLONG')) {
        skipped.push({ path: dirRel, reason: `could not read folder: ${code}` });
        continue;
      }
      throw err;
    }
    for (const d of dirents) {
      const name = fromBytes(d.name);
      const entry = describe(`${dirAbs}${path.sep}${name}`, dirRel ? `${dirRel}/${name}` : name, options, skipped, notes);
      if (!entry) continue;
      entries.push(entry);
      if (entry.type === 'dir') pending.push(entry.path);
    }
    sinceYield += dirents.length + 1;
    if (sinceYield >= BATCH) {
      sinceYield = 0;
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }
  // Sorting makes manifests and diffs stable, and puts every folder before what it holds.
  entries.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { entries, skipped, notes };
}

function describe(abs: string, rel: string, options: WalkOptions, skipped: WalkResult['skipped'], notes: WalkResult['notes']): LiveEntry | null {
  if (options.exclude?.(rel)) return null;
  let st: BigIntStats;
  try {
    st = lstatSync(fsPath(abs), { bigint: true });
  } catch (err) {
    // Longer than the system takes (PATH_MAX): it cannot be read, so it is named and left alone, not lost.
    if (errnoCode(err) === 'ENAMETOOLONG') { skipped.push({ path: rel, reason: 'path too long for the system to read (over its PATH_MAX)' }); return null; }
    // A file deleted while we walk is simply not part of this snapshot.
    return nullIfMissing(err);
  }
  const mode = Number(st.mode & 0o7777n);
  const mtimeNs = st.mtimeNs.toString();
  const owner = ownership(abs, st, notes, rel);
  if (st.isDirectory()) return { path: rel, type: 'dir', mode, mtimeNs, ...owner };
  if (st.isFile()) {
    const size = Number(st.size);
    // Fewer blocks than the size needs: holes, kept as holes (a 1 GiB sparse disk image stays small).
    const sparse = st.blocks * 512n < st.size;
    return { path: rel, type: 'file', mode, mtimeNs, size, ino: st.ino.toString(), ctimeNs: st.ctimeNs.toString(), nlink: Number(st.nlink), sparse, ...owner };
  }
  if (st.isSymbolicLink()) {
    try {
      return { path: rel, type: 'symlink', mtimeNs, link: fromBytes(readlinkSync(fsPath(abs), { encoding: 'buffer' })), ...owner };
    } catch (err) {
      return nullIfMissing(err);
    }
  }
  skipped.push({ path: rel, reason: st.isSocket() ? 'socket' : st.isFIFO() ? 'FIFO' : 'device or special file' });
  return null;
}

function ownership(abs: string, st: BigIntStats, notes: WalkResult['notes'], rel: string): Ownership {
  const owner: Ownership = { uid: Number(st.uid), gid: Number(st.gid) };
  const xattrs = readXattrs(abs);
  if (xattrs === 'unreadable') notes.push({ path: rel, reason: 'extended attributes not kept: they could not be read' });
  else if (xattrs) owner.xattrs = xattrs;
  return owner;
}
