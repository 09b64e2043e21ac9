import type { Dirent } from 'node:fs';
import { lstat, readdir, readlink } from 'node:fs/promises';
import path from 'node:path';
import { IO_PARALLELISM, mapLimit } from '../concurrency.js';
import { errnoCode } from '../errors.js';

/** A path as it is on disk now (never following symlinks). */
export type LiveEntry =
  | { path: string; type: 'dir'; mode: number; mtimeNs: bigint }
  | { path: string; type: 'file'; mode: number; mtimeNs: bigint; size: number; ino: bigint }
  | { path: string; type: 'symlink'; mtimeNs: bigint; link: string };

export interface WalkResult {
  entries: LiveEntry[];
  skipped: { path: string; reason: string }[];
}

export interface WalkOptions {
  /** Relative paths (and everything below them) left out, e.g. snapctl's own temp files. */
  exclude?: (relPath: string) => boolean;
}

/**
 * Lists every path below `root` with lstat, parents before children. Directories are read in parallel
 * (bounded) because a developer tree is wide: node_modules has thousands of small folders.
 */
export async function walk(root: string, options: WalkOptions = {}): Promise<WalkResult> {
  const entries: LiveEntry[] = [];
  const skipped: WalkResult['skipped'] = [];
  let frontier: string[] = [''];
  while (frontier.length > 0) {
    const next: string[] = [];
    await mapLimit(frontier, IO_PARALLELISM, async (dirRel) => {
      let dirents: Dirent[];
      try {
        dirents = await readdir(path.join(root, dirRel), { withFileTypes: true });
      } catch (err) {
        const code = errnoCode(err);
        if (dirRel !== '' && (code === 'EACCES' || code === 'EPERM' || code === 'ENOENT')) {
          skipped.push({ path: dirRel, reason: `could not read folder: ${code}` });
          return;
        }
        throw err;
      }
      const found = await mapLimit(dirents, IO_PARALLELISM, (d) => describe(root, dirRel ? `${dirRel}/${d.name}` : d.name, options, skipped));
      for (const entry of found) {
        if (!entry) continue;
        entries.push(entry);
        if (entry.type === 'dir') next.push(entry.path);
      }
    });
    frontier = next;
  }
  // Level-by-level order already puts parents first; sorting makes manifests and diffs stable.
  entries.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { entries, skipped };
}

async function describe(root: string, rel: string, options: WalkOptions, skipped: WalkResult['skipped']): Promise<LiveEntry | null> {
  if (options.exclude?.(rel)) return null;
  const abs = path.join(root, rel);
  let st;
  try {
    st = await lstat(abs, { bigint: true });
  } catch (err) {
    // A file deleted while we walk is simply not part of this snapshot.
    if (errnoCode(err) === 'ENOENT') return null;
    throw err;
  }
  const mode = Number(st.mode & 0o7777n);
  if (st.isDirectory()) return { path: rel, type: 'dir', mode, mtimeNs: st.mtimeNs };
  if (st.isFile()) return { path: rel, type: 'file', mode, mtimeNs: st.mtimeNs, size: Number(st.size), ino: st.ino };
  if (st.isSymbolicLink()) {
    try {
      return { path: rel, type: 'symlink', mtimeNs: st.mtimeNs, link: await readlink(abs) };
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return null;
      throw err;
    }
  }
  skipped.push({ path: rel, reason: st.isSocket() ? 'socket' : st.isFIFO() ? 'FIFO' : 'device or special file' });
  return null;
}
