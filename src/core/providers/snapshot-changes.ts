import path from 'node:path';
import { fileEntry, isSafeRelativePath, treeEntry, type ManifestEntry, type PathFilter } from '../tree/manifest.js';
import { MountBoundary } from '../tree/mount-points.js';
import { describeEntry, walk, type LiveEntry } from '../tree/walk.js';
import type { ChangeHints } from './change-hints.js';

/** What differs between two snapshots of one folder, path by path, as a walk of both would find it. */
export interface SnapshotChanges {
  /** Paths the newer snapshot holds that the older does not, or holds otherwise: their entries in the newer. */
  changed: ManifestEntry[];
  /** Paths the older snapshot holds that the newer does not. */
  removed: string[];
  /** How many paths were looked at (the filesystem's hints, the trees of renamed folders, other names of changed files). */
  looked: number;
}

/**
 * Turns the filesystem's hints (relative to the folder) into the exact difference: each path named is looked
 * at with lstat in both read-only trees, as `walk` would see it, and kept only where the two differ; a
 * renamed folder's paths are all looked at. A file changed under one of its names changes under all of them
 * (btrfs and ZFS name one), so every other name of it in `olderEntries` (found by inode: both filesystems keep
 * inode numbers in snapshots) is looked at too; without `olderEntries` such a file means `{ why }`.
 */
export async function resolveChanges(olderDir: string, newerDir: string, hints: ChangeHints, options: { exclude?: PathFilter | undefined; olderEntries?: readonly ManifestEntry[] | (() => Promise<readonly ManifestEntry[] | null>) | undefined }): Promise<SnapshotChanges | { why: string }> {
  const older = new TreeSide(olderDir, options.exclude);
  const newer = new TreeSide(newerDir, options.exclude);
  const looked = new Set<string>();
  for (const p of hints.paths) if (isSafeRelativePath(p)) looked.add(p);
  const trees = [...hints.trees].filter(isSafeRelativePath).sort();
  for (const [i, t] of trees.entries()) {
    const above = trees.slice(0, i).some((u) => t.startsWith(`${u}/`));
    if (above) continue;
    looked.add(t);
    for (const side of [older, newer]) for (const p of await side.below(t)) looked.add(p);
  }
  const linked = new Set<string>();
  for (const p of looked) {
    for (const side of [older, newer]) {
      const e = side.entry(p);
      if (e?.type === 'file' && e.nlink > 1) linked.add(e.ino);
    }
  }
  if (linked.size > 0) {
    const given = options.olderEntries;
    const olderEntries = typeof given === 'function' ? await given() : given;
    if (!olderEntries) return { why: 'a changed file has other names (hard links), which the filesystem names once' };
    for (const e of olderEntries) if (e.type === 'file' && e.ino !== undefined && linked.has(e.ino)) looked.add(e.path);
  }
  const changed: ManifestEntry[] = [];
  const removed: string[] = [];
  for (const p of [...looked].sort(byPath)) {
    const before = older.entry(p);
    const after = newer.entry(p);
    if (!after) { if (before) removed.push(p); continue; }
    const made = asManifest(after);
    if (!before || JSON.stringify(asManifest(before)) !== JSON.stringify(made)) changed.push(made);
  }
  return { changed, removed, looked: looked.size };
}

/** `olderEntries` with `changes` made: the newer snapshot's entries, sorted by path as a walk gives them. */
export function applyChanges(olderEntries: readonly ManifestEntry[], changes: SnapshotChanges): ManifestEntry[] {
  const drop = new Set<string>(changes.removed);
  for (const e of changes.changed) drop.add(e.path);
  const kept = olderEntries.filter((e) => !drop.has(e.path));
  return [...kept, ...changes.changed].sort((a, b) => byPath(a.path, b.path));
}

function byPath(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function asManifest(e: LiveEntry): ManifestEntry {
  return e.type === 'file' ? fileEntry(e, { oid: '', hash: null }) : treeEntry(e);
}

/** One read-only tree, each path described once, never through a link or into something a walk leaves out. */
class TreeSide {
  private readonly seen = new Map<string, LiveEntry | null>();
  private readonly boundary: MountBoundary;

  constructor(private readonly root: string, private readonly exclude: PathFilter | undefined) {
    this.boundary = MountBoundary.of(path.resolve(root));
  }

  /** What a walk of the tree lists at `rel`, or null: a folder on its way that is not one (a link, a file) hides it. */
  entry(rel: string): LiveEntry | null {
    const known = this.seen.get(rel);
    if (known !== undefined) return known;
    const slash = rel.lastIndexOf('/');
    const parent = slash < 0 ? null : this.entry(rel.slice(0, slash));
    const found = slash >= 0 && parent?.type !== 'dir' ? null : describeEntry(this.root, rel, { boundary: this.boundary, ...(this.exclude ? { exclude: this.exclude } : {}) });
    this.seen.set(rel, found);
    return found;
  }

  /** Every path a walk lists below the folder `rel` (none when it is not a folder here). */
  async below(rel: string): Promise<string[]> {
    if (this.entry(rel)?.type !== 'dir') return [];
    const exclude = this.exclude;
    const { entries } = await walk(path.join(this.root, rel), exclude ? { exclude: (p) => exclude(`${rel}/${p}`) } : {});
    return entries.map((e) => `${rel}/${e.path}`);
  }
}
