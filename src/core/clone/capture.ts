import { lstatSync, type BigIntStats } from 'node:fs';
import path from 'node:path';
import { IO_PARALLELISM, mapLimit } from '../concurrency.js';
import { errnoCode } from '../errors.js';
import { sameMtime, type FileEntry, type Manifest, type ManifestEntry } from './entries.js';
import type { ClonePool } from './pool.js';
import { walk, type LiveEntry } from './walk.js';

export const RESTORE_TEMP_PREFIX = '.snapctl-restore-';

/** snapctl's own half-written restore files are never part of a snapshot. */
export function isRestoreTemp(relPath: string): boolean {
  return path.posix.basename(relPath).startsWith(RESTORE_TEMP_PREFIX);
}

export interface CaptureResult {
  manifest: Manifest;
  size: number;
  addedBytes: number;
  files: number;
  /** Everything the walk saw (restore temp files included), for a restore that follows at once. */
  live: LiveEntry[];
}

const COPY_ATTEMPTS = 3;

/**
 * Takes a snapshot of `root` into the pool. A file whose size and mtime match its entry in one of the `bases`
 * (earlier snapshots of the same folder) is not read or copied again: its object is shared (the quick check
 * rsync and Time Machine use). A rollback passes the snapshot it restores as a base too, so its safety
 * snapshot does not copy again the files an earlier rollback put back.
 */
export async function capture(root: string, pool: ClonePool, id: string, bases: readonly Manifest[], added: string[] = []): Promise<CaptureResult> {
  const before = new Map<string, FileEntry | FileEntry[]>();
  for (const base of bases) {
    for (const e of base.entries) {
      if (e.type !== 'file') continue;
      const known = before.get(e.path);
      if (known === undefined) before.set(e.path, e);
      else if (Array.isArray(known)) known.push(e);
      else before.set(e.path, [known, e]);
    }
  }

  const { entries: walked, skipped } = await walk(root);
  const problems = [...skipped];
  let size = 0;
  let addedBytes = 0;

  // Everything that is not a changed file is decided here, synchronously: a promise per entry cost ~45 ms
  // and much garbage on 22,000 entries of which a repeat snapshot copies a few hundred.
  const entries: (ManifestEntry | null)[] = [];
  const toCopy: { index: number; live: Extract<LiveEntry, { type: 'file' }> }[] = [];
  for (const e of walked) {
    if (isRestoreTemp(e.path)) continue;
    const { mtimeNs } = e;
    if (e.type === 'dir') { entries.push({ path: e.path, type: 'dir', mode: e.mode, mtimeNs }); continue; }
    if (e.type === 'symlink') { entries.push({ path: e.path, type: 'symlink', mtimeNs, link: e.link }); continue; }
    const prev = unchangedIn(before.get(e.path), e.size, mtimeNs);
    if (prev) {
      size += e.size;
      entries.push({ path: e.path, type: 'file', mode: e.mode, mtimeNs, size: e.size, oid: prev.oid });
      continue;
    }
    toCopy.push({ index: entries.length, live: e });
    entries.push(null);
  }

  await mapLimit(toCopy, IO_PARALLELISM, async ({ index, live: e }) => {
    const copied = await copyStable(pool, path.join(root, e.path), e.size, e.mtimeNs, added);
    if ('problem' in copied) problems.push({ path: e.path, reason: copied.problem });
    const got = copied.entry;
    if (!got) return;
    size += got.size;
    addedBytes += got.size;
    entries[index] = { path: e.path, type: 'file', mode: e.mode, mtimeNs: got.mtimeNs, size: got.size, oid: got.oid };
  });

  const kept = entries.filter((e): e is ManifestEntry => e !== null);
  const manifest: Manifest = { version: 1, id, target: root, createdAt: new Date().toISOString(), entries: kept, problems };
  return { manifest, size, addedBytes, files: kept.length - countNonFiles(kept), live: walked };
}

/** The base entry with the same size and mtime, if any: then the file is shared, not read again. */
function unchangedIn(known: FileEntry | FileEntry[] | undefined, size: number, mtimeNs: string): FileEntry | undefined {
  if (known === undefined) return undefined;
  const same = (b: FileEntry): boolean => b.size === size && (b.mtimeNs === mtimeNs || sameMtime(b.mtimeNs, mtimeNs));
  if (!Array.isArray(known)) return same(known) ? known : undefined;
  return known.find(same);
}

function countNonFiles(entries: readonly ManifestEntry[]): number {
  let n = 0;
  for (const e of entries) if (e.type !== 'file') n++;
  return n;
}

interface Copied { oid: string; size: number; mtimeNs: string }

/**
 * Copies a file and checks it did not change while being copied (a build writing into the folder); retries
 * a few times, then keeps the last copy flagged, with the pre-copy mtime so the next snapshot copies it again.
 */
async function copyStable(pool: ClonePool, abs: string, size: number, mtimeNs: string, added: string[]): Promise<{ entry: Copied } | { entry: Copied | null; problem: string }> {
  let stat = { size, mtimeNs };
  for (let attempt = 1; ; attempt++) {
    let oid: string;
    try {
      oid = await pool.addObject(abs);
      added.push(oid);
    } catch (err) {
      const code = errnoCode(err);
      if (code === 'ENOENT') return { entry: null, problem: 'deleted while the snapshot was taken' };
      if (code === 'EACCES' || code === 'EPERM') return { entry: null, problem: `could not read: ${code}` };
      throw err;
    }
    // A direct call: the promise API's per-call cost dominated on 20,000 small files.
    const after = lstatOrNull(abs);
    if (after && Number(after.size) === stat.size && after.mtimeNs.toString() === stat.mtimeNs) return { entry: { oid, size: stat.size, mtimeNs: stat.mtimeNs } };
    if (!after) return { entry: null, problem: 'deleted while the snapshot was taken' };
    if (attempt >= COPY_ATTEMPTS) {
      return { entry: { oid, size: Number(after.size), mtimeNs: stat.mtimeNs }, problem: 'kept changing while it was copied; the copy may mix old and new content' };
    }
    stat = { size: Number(after.size), mtimeNs: after.mtimeNs.toString() };
  }
}

function lstatOrNull(abs: string): BigIntStats | null {
  try {
    return lstatSync(abs, { bigint: true });
  } catch {
    return null;
  }
}
