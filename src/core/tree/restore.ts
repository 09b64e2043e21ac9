import { constants as fsc } from 'node:fs';
import { chmod, copyFile, lstat, lutimes, mkdir, rename, rm, symlink, unlink, utimes } from 'node:fs/promises';
import path from 'node:path';
import { IO_PARALLELISM, mapLimit } from '../base/concurrency.js';
import { SnapctlError, nullIfMissing } from '../base/errors.js';
import { faultPoint } from '../base/faults.js';
import { isRestoreTemp, RESTORE_TEMP_PREFIX } from './temp-names.js';
import { isSafeRelativePath, isUnder, nsToSeconds, sameMtime, type ContentSource, type FileEntry, type Manifest, type ManifestEntry, type PathFilter } from './manifest.js';
import { walk, type LiveEntry } from './walk.js';
import { quickMatch, sameContent } from './same-file.js';
import { nodeCrypto } from '../base/lazy-crypto.js';
import type { RestoreResult } from '../../shared/model.js';

export type { RestoreResult };

/**
 * Makes `root` (or only the `scope` paths inside it) match `manifest` exactly: extra paths are removed,
 * missing or different ones are written, modes and mtimes are set.
 *
 * Crash safety comes from two properties: every file or link is written to a temporary name in its own
 * folder and renamed over the old one (so each path is whole, old or new), and the whole operation is
 * idempotent (running it again after an interruption finishes the job). The caller journals it so that an
 * interrupted restore is re-run. Nothing is ever followed through a symlink: entries are examined with
 * lstat and a symlink standing where a folder belongs is replaced, never written through.
 */
export async function restore(root: string, manifest: Manifest, source: ContentSource, scope: string[] | null, exclude?: PathFilter, walked?: readonly LiveEntry[]): Promise<RestoreResult> {
  for (const e of manifest.entries) {
    if (!isSafeRelativePath(e.path)) {
      throw new SnapctlError('corrupt', `snapshot ${manifest.id} holds an unsafe path ${JSON.stringify(e.path)}`, 'it was not restored; nothing was changed');
    }
  }
  // `exclude`d paths are neither removed nor written: a provider's own folder inside the target survives.
  const inScope = (p: string): boolean => (scope === null || scope.some((s) => isUnder(p, s))) && !exclude?.(p);
  const wanted = new Map<string, ManifestEntry>();
  for (const e of manifest.entries) if (inScope(e.path)) wanted.set(e.path, e);
  // Folders leading to a scoped path must exist as folders, but their other contents are left alone.
  const ancestors = new Set<string>();
  for (const s of scope ?? []) {
    const parts = s.split('/');
    for (let i = 1; i < parts.length; i++) ancestors.add(parts.slice(0, i).join('/'));
  }

  // A walk the caller just made (the safety snapshot's) is as good as a new one and saves reading the tree twice.
  const liveList = walked ? (exclude ? walked.filter((e) => !exclude(e.path)) : walked) : (await walk(root, exclude ? { exclude } : {})).entries;
  const live = new Map<string, LiveEntry>();
  for (const e of liveList) live.set(e.path, e);
  const stats: RestoreResult = { written: 0, removed: 0, unchanged: 0 };
  /** Folders whose entries changed (or whose mode we changed): their mode and mtime must be set again. */
  const touched = new Set<string>();

  // 1. Remove what the snapshot does not have, or has as another kind of entry. Parents come before
  //    children in the walk, so removing a folder skips everything below it.
  let removedDir: string | null = null;
  for (const e of liveList) {
    if (removedDir !== null && isUnder(e.path, removedDir)) { live.delete(e.path); continue; }
    const isAncestor = ancestors.has(e.path);
    if (!inScope(e.path) && !isAncestor && !isRestoreTemp(e.path)) continue;
    const want = isAncestor ? ({ type: 'dir' } as const) : wanted.get(e.path);
    if (want && want.type === e.type && !isRestoreTemp(e.path)) continue;
    faultPoint();
    const abs = path.join(root, e.path);
    if (e.type === 'dir') {
      await rm(abs, { recursive: true, force: true });
      removedDir = e.path;
    } else {
      await unlink(abs).catch(nullIfMissing);
    }
    live.delete(e.path);
    touched.add(parentOf(e.path));
    stats.removed++;
  }

  // 2. Folders, parents first. Made writable for us while we fill them; final modes are set in step 4.
  const wantedDirs: Extract<ManifestEntry, { type: 'dir' }>[] = [];
  const leaves: Exclude<ManifestEntry, { type: 'dir' }>[] = [];
  for (const e of wanted.values()) if (e.type === 'dir') wantedDirs.push(e); else leaves.push(e);
  const dirs = [...ancestors].map((p) => ({ path: p, keepMode: true })).concat(wantedDirs.map((e) => ({ path: e.path, keepMode: false })));
  dirs.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  await ensureWritable(root);
  const createdAncestors: Extract<ManifestEntry, { type: 'dir' }>[] = [];
  for (const d of dirs) {
    const abs = path.join(root, d.path);
    if (!live.has(d.path)) {
      faultPoint();
      await mkdir(abs, { mode: 0o700 });
      touched.add(d.path).add(parentOf(d.path));
      if (d.keepMode) {
        const recorded = manifest.entries.find((e) => e.path === d.path);
        if (recorded?.type === 'dir') createdAncestors.push(recorded);
      }
    } else {
      // The walk has the folder's mode: no second lstat of every folder just to check it.
      const now = live.get(d.path);
      if (now?.type === 'dir' && (now.mode & 0o700) !== 0o700) {
        await chmod(abs, now.mode | 0o700);
        touched.add(d.path);
      }
    }
  }

  // 3. Files and links, each written beside its final name and renamed into place. What already matches is
  //    settled here without a promise per entry; only real writes go to the thread pool.
  const writes: typeof leaves = [];
  /** Files whose content is the snapshot's: at most their mode is set. */
  const sameBytes = new Set<string>();
  const suspects: FileEntry[] = [];
  for (const e of leaves) {
    const now = live.get(e.path);
    if (e.type === 'file' && now?.type === 'file') {
      const match = quickMatch(now, e);
      if (match === 'same' || (match === 'check' && sameMtime(now.mtimeNs, e.mtimeNs))) {
        // Same size and mtime with another inode or ctime: its bytes are compared below, before writing.
        if (match === 'check') suspects.push(e);
        else sameBytes.add(e.path);
        if (match === 'same' && now.mode === e.mode) { stats.unchanged++; continue; }
      }
    } else if (e.type === 'symlink' && now?.type === 'symlink' && now.link === e.link) {
      stats.unchanged++;
      continue;
    }
    writes.push(e);
  }
  await mapLimit(suspects, IO_PARALLELISM, async (e) => {
    if (await sameContent(path.join(root, e.path), source.contentPath(e)).catch(() => false)) sameBytes.add(e.path);
  });
  await mapLimit(writes, IO_PARALLELISM, async (e) => {
    const abs = path.join(root, e.path);
    faultPoint();
    if (e.type === 'file') {
      if (sameBytes.has(e.path)) {
        await chmod(abs, e.mode); // same content, another mode
        stats.unchanged++;
        return;
      }
      const tmp = tempName(abs);
      await copyFile(source.contentPath(e), tmp, fsc.COPYFILE_FICLONE);
      await chmod(tmp, e.mode);
      const t = nsToSeconds(e.mtimeNs);
      await utimes(tmp, t, t);
      await rename(tmp, abs);
    } else {
      const tmp = tempName(abs);
      await symlink(e.link, tmp);
      const t = nsToSeconds(e.mtimeNs);
      await lutimes(tmp, t, t).catch(() => undefined);
      await rename(tmp, abs);
    }
    touched.add(parentOf(e.path));
    stats.written++;
  });

  // 4. Folder modes and mtimes, after every write (writing a child changes its parent's mtime). Deepest
  //    level first, since a parent's final mode may forbid entering it; the folders of one level do not
  //    depend on each other and go to the thread pool together.
  //    A folder nothing was written into, removed from or made writable, with the right mode and mtime
  //    already, is left alone: a 1% rollback of a wide tree touches a few folders, not all of them.
  const byDepth = new Map<number, Extract<ManifestEntry, { type: 'dir' }>[]>();
  for (const d of [...wantedDirs, ...createdAncestors]) {
    const now = live.get(d.path);
    if (!touched.has(d.path) && now?.type === 'dir' && now.mode === d.mode && sameMtime(now.mtimeNs, d.mtimeNs)) continue;
    const depth = d.path.split('/').length;
    const level = byDepth.get(depth);
    if (level) level.push(d); else byDepth.set(depth, [d]);
  }
  for (const depth of [...byDepth.keys()].sort((a, b) => b - a)) {
    await mapLimit(byDepth.get(depth) ?? [], IO_PARALLELISM, async (d) => {
      const abs = path.join(root, d.path);
      await chmod(abs, d.mode);
      const t = nsToSeconds(d.mtimeNs);
      await utimes(abs, t, t);
    });
  }
  return stats;
}

function tempName(abs: string): string {
  return path.join(path.dirname(abs), `${RESTORE_TEMP_PREFIX}${nodeCrypto().randomBytes(6).toString('hex')}`);
}

/** A read-only folder in the snapshot must still be fillable while we restore into it. Says if it changed it. */
async function ensureWritable(abs: string): Promise<boolean> {
  const st = await lstat(abs);
  if ((st.mode & 0o700) === 0o700) return false;
  await chmod(abs, (st.mode & 0o7777) | 0o700);
  return true;
}

function parentOf(rel: string): string {
  const i = rel.lastIndexOf('/');
  return i < 0 ? '' : rel.slice(0, i);
}
