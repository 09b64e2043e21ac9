import { lstatSync, readdirSync, readlinkSync, type BigIntStats, type Dirent } from 'node:fs';
import path from 'node:path';
import { errnoCode, nullIfMissing } from '../base/errors.js';

/**
 * A path as it is on disk now (never following symlinks). mtimes are decimal nanoseconds, as in manifests, so
 * an unchanged file compares equal as a string without BigInt arithmetic.
 */
export type LiveEntry =
  | { path: string; type: 'dir'; mode: number; mtimeNs: string }
  | { path: string; type: 'file'; mode: number; mtimeNs: string; size: number; ino: string; ctimeNs: string }
  | { path: string; type: 'symlink'; mtimeNs: string; link: string };

export interface WalkResult {
  entries: LiveEntry[];
  skipped: { path: string; reason: string }[];
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
  const pending: string[] = [''];
  const rootAbs = path.resolve(root);
  let sinceYield = 0;
  while (pending.length > 0) {
    const dirRel = pending.pop() as string;
    let dirents: Dirent[];
    // Plain concatenation: path.join normalises every call, measurable over tens of thousands of entries.
    const dirAbs = dirRel === '' ? rootAbs : `${rootAbs}${path.sep}${dirRel}`;
    try {
      dirents = readdirSync(dirAbs, { withFileTypes: true });
    } catch (err) {
      const code = errnoCode(err);
      if (dirRel !== '' && (code === 'EACCES' || code === 'EPERM' || code === 'ENOENT' || code === 'ENOTDIR')) {
        skipped.push({ path: dirRel, reason: `could not read folder: ${code}` });
        continue;
      }
      throw err;
    }
    for (const d of dirents) {
      const entry = describe(`${dirAbs}${path.sep}${d.name}`, dirRel ? `${dirRel}/${d.name}` : d.name, options, skipped);
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
  return { entries, skipped };
}

function describe(abs: string, rel: string, options: WalkOptions, skipped: WalkResult['skipped']): LiveEntry | null {
  if (options.exclude?.(rel)) return null;
  let st: BigIntStats;
  try {
    st = lstatSync(abs, { bigint: true });
  } catch (err) {
    // A file deleted while we walk is simply not part of this snapshot.
    return nullIfMissing(err);
  }
  const mode = Number(st.mode & 0o7777n);
  const mtimeNs = st.mtimeNs.toString();
  if (st.isDirectory()) return { path: rel, type: 'dir', mode, mtimeNs };
  if (st.isFile()) return { path: rel, type: 'file', mode, mtimeNs, size: Number(st.size), ino: st.ino.toString(), ctimeNs: st.ctimeNs.toString() };
  if (st.isSymbolicLink()) {
    try {
      return { path: rel, type: 'symlink', mtimeNs, link: readlinkSync(abs) };
    } catch (err) {
      return nullIfMissing(err);
    }
  }
  skipped.push({ path: rel, reason: st.isSocket() ? 'socket' : st.isFIFO() ? 'FIFO' : 'device or special file' });
  return null;
}
