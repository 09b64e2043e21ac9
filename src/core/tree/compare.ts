import { lstat } from 'node:fs/promises';
import path from 'node:path';
import { nullIfMissing } from '../base/errors.js';
import { IO_PARALLELISM, mapLimit } from '../base/concurrency.js';
import { isUnder, type ContentSource, type FileEntry, type Manifest, type ManifestEntry, type PathFilter } from './manifest.js';
import { fsPath } from './names.js';
import { quickMatch, sameContent } from './same-file.js';
import { walk, type LiveEntry } from './walk.js';

export interface DiffResult {
  /** In the folder now, not in the snapshot: a rollback removes them. */
  added: string[];
  /** In the snapshot, not in the folder now: a rollback brings them back. */
  removed: string[];
  /** In both, but different (content, kind, mode or link target): a rollback restores the snapshot's. */
  modified: string[];
  /** Paths of the scope found neither in the snapshot nor in the folder (a typing mistake, most often). */
  unknown?: string[];
  /** Paths of the scope beneath a link in the snapshot, with the link: not paths of their own there. */
  beneathLink?: [string, string][];
  /** Paths in scope the snapshot holds that are the same in the folder. */
  unchanged?: number;
  /** What the git impact needs, gathered on the same pass: see gitPaths. */
  git?: GitPaths;
  /** Paths of the folder excluded from snapshots and left alone (the topmost of each tree), when asked. */
  leftAlone?: string[];
}

/** The `.git` folders of the folder now, and the files of the snapshot's `.git` folders that name commits. */
export interface GitPaths {
  /** Repositories (their folder, '' for the top) with a `.git` folder now. */
  now: string[];
  /** Repositories with a `.git` folder in the snapshot, with their HEAD, packed-refs and refs/heads files. */
  then: Map<string, string[]>;
}

/** A path inside a `.git` folder (or the folder itself), at any depth: what keepGit leaves alone. */
export function isGitPath(p: string): boolean {
  return p === '.git' || p.startsWith('.git/') || p.endsWith('/.git') || p.includes('/.git/');
}

/** Both filters: a path left out by either is left out. */
export function bothFilters(a: PathFilter | undefined, b: PathFilter | undefined): PathFilter | undefined {
  if (!a) return b;
  if (!b) return a;
  return (p) => a(p) || b(p);
}

const GIT_REF_FILE = /^(?:(.*)\/)?\.git\/(HEAD|packed-refs|refs\/heads\/.+)$/;

/**
 * Sorts every path in scope into the preview's words from the snapshot's entries and a walk of the folder.
 * The restore counts its result with this same function, so what it reports is what the preview showed.
 * Files that only a byte comparison can tell apart are returned as `candidates`.
 */
export function classify(entries: readonly ManifestEntry[], liveEntries: readonly LiveEntry[], scope: string[] | null, exclude?: PathFilter): DiffResult & { candidates: FileEntry[]; unchanged: number; git: GitPaths; beneathLink: [string, string][] } {
  const inScope = (p: string): boolean => (scope === null || scope.some((s) => isUnder(p, s))) && !exclude?.(p);
  const live = new Map<string, LiveEntry>();
  const git: GitPaths = { now: [], then: new Map() };
  const seen = new Set<string>();
  // A scope path beneath a link is a path of its own to no one: the restore says why it refuses it.
  const underLink: [string, string][] = [];
  const beneathLink = (e: { type: string; path: string }, inSnapshot = false): void => {
    if (scope === null || e.type !== 'symlink') return;
    for (const s of scope) {
      if (s === e.path || !isUnder(s, e.path)) continue;
      seen.add(s);
      if (inSnapshot) underLink.push([s, e.path]);
    }
  };
  for (const e of liveEntries) {
    beneathLink(e);
    if (!inScope(e.path)) continue;
    live.set(e.path, e);
    if (scope !== null) for (const s of scope) if (isUnder(e.path, s)) seen.add(s);
    if (e.type === 'dir' && (e.path === '.git' || e.path.endsWith('/.git'))) git.now.push(e.path === '.git' ? '' : e.path.slice(0, -5));
  }
  const added: string[] = [];
  const removed: string[] = [];
  const candidates: FileEntry[] = [];
  const modified: string[] = [];
  let unchanged = 0;
  for (const snap of entries) {
    beneathLink(snap, true);
    if (!inScope(snap.path)) continue;
    if (scope !== null) for (const s of scope) if (isUnder(snap.path, s)) seen.add(s);
    if (snap.type === 'file') {
      const m = GIT_REF_FILE.exec(snap.path);
      if (m) {
        const repo = m[1] ?? '';
        const files = git.then.get(repo);
        if (files) files.push(snap.path); else git.then.set(repo, [snap.path]);
      }
    }
    const now = live.get(snap.path);
    live.delete(snap.path);
    if (!now) { removed.push(snap.path); continue; }
    if (now.type !== snap.type) { modified.push(snap.path); continue; }
    if (snap.type === 'symlink' && now.type === 'symlink') {
      if (now.link !== snap.link) modified.push(snap.path); else unchanged++;
    } else if (snap.type === 'dir' && now.type === 'dir') {
      if (now.mode !== snap.mode) modified.push(snap.path); else unchanged++;
    } else if (snap.type === 'file' && now.type === 'file') {
      const match = quickMatch(now, snap);
      if (match === 'differs' || now.mode !== snap.mode) modified.push(snap.path);
      else if (match === 'check') candidates.push(snap);
      else unchanged++;
    }
  }
  added.push(...live.keys());
  const unknown = scope === null ? [] : scope.filter((s) => !seen.has(s));
  return { added, removed, modified, candidates, unchanged, unknown, git, beneathLink: underLink };
}

/**
 * Compares a snapshot with the folder as it is now (`live`: a walk just made of it, else the folder is
 * walked). A file whose size matches but whose mtime, inode or ctime does not is compared byte for byte: a
 * file that was only touched does not show as modified, and one whose content changed with its size and
 * mtime kept does.
 */
export async function compare(root: string, manifest: Manifest, source: ContentSource, scope: string[] | null, exclude?: PathFilter, walked?: readonly LiveEntry[], leaveAlone?: PathFilter): Promise<DiffResult> {
  let entries = walked;
  const leftAlone: string[] = [];
  // Each tree left alone is counted once, by its topmost path: the walk never descends below it.
  const counting: PathFilter | undefined = leaveAlone ? (p) => { if (!leaveAlone(p)) return false; leftAlone.push(p); return true; } : undefined;
  if (!entries) {
    // A folder deleted by mistake differs from its snapshot by everything: a rollback brings it all back.
    const gone = (await lstat(root).catch(nullIfMissing)) === null;
    const filter = bothFilters(exclude, counting);
    entries = gone ? [] : (await walk(root, filter ? { exclude: filter } : {})).entries;
  } else if (leaveAlone) {
    entries = entries.filter((e) => {
      if (!leaveAlone(e.path)) return true;
      if (!leftAlone.some((top) => isUnder(e.path, top))) leftAlone.push(e.path);
      return false;
    });
  }
  const sorted = classify(manifest.entries, entries, scope, bothFilters(exclude, leaveAlone));
  // A copy that cannot be read to compare (the snapshot's is missing, the folder's went) counts as changed:
  // the preview still shows, and the rollback's own checks say what is wrong before it changes anything.
  const differing = await mapLimit(sorted.candidates, IO_PARALLELISM, async (c) =>
    (await sameContent(fsPath(path.join(root, c.path)), source.contentPath(c)).catch(() => false)) ? null : c.path);
  let unchanged = sorted.unchanged;
  for (const p of differing) if (p !== null) sorted.modified.push(p); else unchanged++;
  return {
    added: sorted.added.sort(), removed: sorted.removed.sort(), modified: sorted.modified.sort(),
    unknown: sorted.unknown, beneathLink: sorted.beneathLink, unchanged, git: sorted.git,
    ...(leaveAlone ? { leftAlone: leftAlone.sort() } : {}),
  };
}

/** Whether a rollback would change nothing in preview's words. */
export function changesNothing(diff: DiffResult): boolean {
  return diff.added.length === 0 && diff.removed.length === 0 && diff.modified.length === 0;
}
