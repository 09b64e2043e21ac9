import { lstat } from 'node:fs/promises';
import path from 'node:path';
import { nullIfMissing } from '../base/errors.js';
import { IO_PARALLELISM, mapLimit } from '../base/concurrency.js';
import { isUnder, type ContentSource, type FileEntry, type Manifest, type PathFilter } from './manifest.js';
import { fsPath } from './names.js';
import { quickMatch, sameContent } from './same-file.js';
import { walk } from './walk.js';

export interface DiffResult {
  /** In the folder now, not in the snapshot: a rollback removes them. */
  added: string[];
  /** In the snapshot, not in the folder now: a rollback brings them back. */
  removed: string[];
  /** In both, but different (content, kind, mode or link target): a rollback restores the snapshot's. */
  modified: string[];
}

/**
 * Compares a snapshot with the folder as it is now. A file whose size matches but whose mtime, inode or ctime
 * does not is compared byte for byte: a file that was only touched does not show as modified, and one whose
 * content changed with its size and mtime kept does.
 */
export async function compare(root: string, manifest: Manifest, source: ContentSource, scope: string[] | null, exclude?: PathFilter): Promise<DiffResult> {
  const inScope = (p: string): boolean => (scope === null || scope.some((s) => isUnder(p, s))) && !exclude?.(p);
  // A folder deleted by mistake differs from its snapshot by everything: a rollback brings it all back.
  const gone = (await lstat(root).catch(nullIfMissing)) === null;
  const { entries } = gone ? { entries: [] } : await walk(root, exclude ? { exclude } : {});
  const live = new Map(entries.filter((e) => inScope(e.path)).map((e) => [e.path, e]));
  const added: string[] = [];
  const removed: string[] = [];
  const candidates: FileEntry[] = [];
  const modified: string[] = [];

  for (const snap of manifest.entries) {
    if (!inScope(snap.path)) continue;
    const now = live.get(snap.path);
    live.delete(snap.path);
    if (!now) { removed.push(snap.path); continue; }
    if (now.type !== snap.type) { modified.push(snap.path); continue; }
    if (snap.type === 'symlink' && now.type === 'symlink') {
      if (now.link !== snap.link) modified.push(snap.path);
    } else if (snap.type === 'dir' && now.type === 'dir') {
      if (now.mode !== snap.mode) modified.push(snap.path);
    } else if (snap.type === 'file' && now.type === 'file') {
      const match = quickMatch(now, snap);
      if (match === 'differs' || now.mode !== snap.mode) modified.push(snap.path);
      else if (match === 'check') candidates.push(snap);
    }
  }
  added.push(...live.keys());

  const differing = await mapLimit(candidates, IO_PARALLELISM, async (c) =>
    (await sameContent(fsPath(path.join(root, c.path)), source.contentPath(c))) ? null : c.path);
  for (const p of differing) if (p !== null) modified.push(p);

  return { added: added.sort(), removed: removed.sort(), modified: modified.sort() };
}
