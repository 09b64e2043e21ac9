import { lstat } from 'node:fs/promises';
import path from 'node:path';
import { nullIfMissing } from '../base/errors.js';
import { IO_PARALLELISM, mapLimit } from '../base/concurrency.js';
import { isUnder, parentOf, sameMtime, type ContentSource, type EntryLookup, type FileEntry, type Manifest, type ManifestEntry, type PathFilter } from './manifest.js';
import { fsPath } from './names.js';
import { quickMatch, sameByHash, sameContent, sameMeta } from './same-file.js';
import { walk, type LiveEntry } from './walk.js';
import { LOCK_LETTER, lockFlags } from './file-flags.js';

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
  /**
   * Folders the rollback would remove (added since, or standing where the snapshot has a file or a link) that
   * hold paths it leaves alone (excluded, a cache folder's contents, a mounted filesystem, `.git` with
   * keepGit, what could not be read): they stay, emptied of the rest, and the snapshot's file or link there
   * is not restored. Never listed as added or modified.
   */
  kept?: string[];
  /** Filesystems mounted inside the folder (mount points, when the comparison walked the folder): left alone. */
  mounts?: string[];
  /**
   * Paths the rollback would have to change that the system will not let change (immutable or append-only:
   * chattr +i / +a): the rollback refuses before changing anything while any is there.
   */
  refused?: { path: string; flag: 'immutable' | 'append-only' }[];
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


/**
 * Folders of the folder now that hold something a rollback leaves alone: what the walk did not list in them
 * (`unlisted`: excluded, a cache folder's contents, a mount point, what it could not read) and what `exclude`
 * leaves out of what it did list, with every folder above them. A rollback never removes one whole: it would
 * have to remove what it promised to leave alone (and rmdir would stop it part way with ENOTEMPTY).
 */
export function foldersHolding(liveEntries: readonly LiveEntry[], exclude?: PathFilter, alsoHeld: Iterable<string> = []): Set<string> {
  const holding = new Set<string>();
  const mark = (dir: string): void => {
    for (let d = dir; d !== '' && !holding.has(d); d = parentOf(d)) holding.add(d);
  };
  for (const e of liveEntries) {
    if (e.type === 'dir' && e.unlisted) mark(e.path);
    if (exclude?.(e.path)) mark(parentOf(e.path));
  }
  for (const p of alsoHeld) mark(parentOf(p));
  return holding;
}

/**
 * Files whose hard links differ between the snapshot and the folder now: the names the snapshot holds as one
 * file (the same recorded inode) are not one file now, or a name is now one file with a name the snapshot
 * held apart. Judged among the paths that are files on both sides (a link to a name outside the folder, or to
 * a path left alone, is no difference). Empty at once when neither side has a file with several names.
 */
export function linkMismatches(entries: readonly ManifestEntry[], liveEntries: readonly LiveEntry[], exclude?: PathFilter): Set<string> {
  const out = new Set<string>();
  const liveFiles = new Map<string, Extract<LiveEntry, { type: 'file' }>>();
  let anyLive = false;
  for (const e of liveEntries) if (e.type === 'file' && !exclude?.(e.path)) { liveFiles.set(e.path, e); if (e.nlink > 1) anyLive = true; }
  const recorded = entries.filter((e): e is FileEntry => e.type === 'file' && liveFiles.has(e.path));
  if (!anyLive && !recorded.some((e) => (e.nlink ?? 1) > 1)) return out;
  const byRecorded = new Map<string, string[]>();
  const byLive = new Map<string, string[]>();
  for (const e of recorded) {
    if ((e.nlink ?? 1) > 1 && e.ino !== undefined) byRecorded.set(e.ino, [...(byRecorded.get(e.ino) ?? []), e.path]);
    const now = liveFiles.get(e.path);
    if (now && now.nlink > 1) byLive.set(now.ino, [...(byLive.get(now.ino) ?? []), e.path]);
  }
  for (const e of recorded) {
    const then = (e.nlink ?? 1) > 1 && e.ino !== undefined ? byRecorded.get(e.ino) ?? [e.path] : [e.path];
    const now = liveFiles.get(e.path);
    const together = now && now.nlink > 1 ? byLive.get(now.ino) ?? [e.path] : [e.path];
    if (then.length !== together.length || then.some((p) => !together.includes(p))) out.add(e.path);
  }
  return out;
}

/**
 * A filter that answers each path once: the rules behind one (gitignore patterns, cache tags, mounts) are
 * asked of the same path by several passes over a walk.
 */
export function rememberingFilter(filter: PathFilter | undefined): PathFilter | undefined {
  if (!filter) return undefined;
  const known = new Map<string, boolean>();
  return (p) => {
    let answer = known.get(p);
    if (answer === undefined) { answer = filter(p); known.set(p, answer); }
    return answer;
  };
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
export function classify(entries: readonly ManifestEntry[], liveEntries: readonly LiveEntry[], scope: string[] | null, given?: PathFilter): DiffResult & { candidates: FileEntry[]; unchanged: number; git: GitPaths; beneathLink: [string, string][]; kept: string[]; metaOnly: string[] } {
  const exclude = rememberingFilter(given);
  const inScope = (p: string): boolean => (scope === null || scope.some((s) => isUnder(p, s))) && !exclude?.(p);
  const holding = foldersHolding(liveEntries, exclude);
  const relinked = linkMismatches(entries, liveEntries, exclude);
  const kept: string[] = [];
  /** Paths the same in content and kind whose metadata (mtime, attributes, owner) a restore sets again. */
  const metaOnly: string[] = [];
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
    if (now.type !== snap.type) {
      // A folder holding what the rollback leaves alone stays a folder: the snapshot's file is not put there.
      if (now.type === 'dir' && holding.has(now.path)) kept.push(now.path); else modified.push(snap.path);
      continue;
    }
    if (snap.type === 'symlink' && now.type === 'symlink') {
      if (now.link !== snap.link) modified.push(snap.path);
      else { unchanged++; if (!sameMeta(now, snap) || !sameMtime(now.mtimeNs, snap.mtimeNs)) metaOnly.push(snap.path); }
    } else if (snap.type === 'dir' && now.type === 'dir') {
      if (now.mode !== snap.mode) modified.push(snap.path);
      else { unchanged++; if (!sameMeta(now, snap) || !sameMtime(now.mtimeNs, snap.mtimeNs)) metaOnly.push(snap.path); }
    } else if (snap.type === 'file' && now.type === 'file') {
      const match = quickMatch(now, snap);
      if (match === 'differs' || now.mode !== snap.mode || relinked.has(snap.path)) modified.push(snap.path);
      else if (match === 'check') candidates.push(snap);
      else { unchanged++; if (!sameMeta(now, snap)) metaOnly.push(snap.path); }
    }
  }
  for (const [p, e] of live) {
    if (e.type === 'dir' && holding.has(p)) kept.push(p); else added.push(p);
  }
  const unknown = scope === null ? [] : scope.filter((s) => !seen.has(s));
  return { added, removed, modified, candidates, unchanged, unknown, git, beneathLink: underLink, kept, metaOnly };
}

/**
 * Compares a snapshot with the folder as it is now (`live`: a walk just made of it, else the folder is
 * walked). A file whose size matches but whose mtime, inode or ctime does not is compared byte for byte: a
 * file that was only touched does not show as modified, and one whose content changed with its size and
 * mtime kept does.
 */
export interface CompareOptions {
  exclude?: PathFilter | undefined;
  /** The folder as a walk just found it; without it the folder is walked. */
  walked?: readonly LiveEntry[] | undefined;
  /** Paths excluded from snapshots: left out of the comparison, and counted (DiffResult.leftAlone). */
  leaveAlone?: PathFilter | undefined;
  /** A newer snapshot's entries by path: files it recorded as they are now are compared by hash (sameByHash). */
  reference?: EntryLookup | undefined;
  /** With `walked`: paths the listing left out that may be left alone (what its excludes skipped), and its mount points. */
  unlisted?: { paths: readonly string[]; mounts: string[] } | undefined;
}

export async function compare(root: string, manifest: Manifest, source: ContentSource, scope: string[] | null, options: CompareOptions = {}): Promise<DiffResult> {
  const { exclude, leaveAlone, reference } = options;
  let entries = options.walked;
  let mounts: string[] | undefined = entries ? options.unlisted?.mounts : undefined;
  const leftAlone: string[] = [];
  // Each tree left alone is counted once, by its topmost path: the walk never descends below it.
  const counting: PathFilter | undefined = leaveAlone ? (p) => { if (!leaveAlone(p)) return false; leftAlone.push(p); return true; } : undefined;
  if (!entries) {
    // A folder deleted by mistake differs from its snapshot by everything: a rollback brings it all back.
    const gone = (await lstat(root).catch(nullIfMissing)) === null;
    const filter = bothFilters(exclude, counting);
    const found = gone ? null : await walk(root, filter ? { exclude: filter } : {});
    entries = found?.entries ?? [];
    mounts = found?.mounts ?? [];
  } else if (leaveAlone) {
    // Ancestors sort before what they hold: each tree is counted by its topmost path, as a walk would. Asked by
    // each path's own ancestors (a cache folder may hold thousands of paths left alone, each a top).
    const found = [...(options.unlisted?.paths ?? []), ...entries.map((e) => e.path)].filter((p) => leaveAlone(p)).sort();
    const tops = new Set<string>();
    for (const p of found) {
      let under = false;
      for (let d = p; d !== '' && !under; d = parentOf(d)) under = tops.has(d);
      if (!under) { tops.add(p); leftAlone.push(p); }
    }
  }
  // Given whole: classify leaves out what the filters leave out, and needs to know what that was.
  const sorted = classify(manifest.entries, entries, scope, bothFilters(exclude, leaveAlone));
  // A copy that cannot be read to compare (the snapshot's is missing, the folder's went) counts as changed:
  // the preview still shows, and the rollback's own checks say what is wrong before it changes anything.
  const liveByPath = new Map(entries.map((e) => [e.path, e]));
  const differing = await mapLimit(sorted.candidates, IO_PARALLELISM, async (c) => {
    const known = reference ? sameByHash(liveByPath.get(c.path), c, reference.get(c.path)) : null;
    if (known !== null) return known ? null : c.path;
    return (await sameContent(fsPath(path.join(root, c.path)), source.contentPath(c)).catch(() => false)) ? null : c.path;
  });
  let unchanged = sorted.unchanged;
  const metaOnly = [...sorted.metaOnly];
  sorted.candidates.forEach((c, i) => {
    if (differing[i] !== null && differing[i] !== undefined) { sorted.modified.push(c.path); return; }
    unchanged++;
    // Same bytes, another mtime or attributes: the restore sets those again (it does not write the bytes).
    const now = liveByPath.get(c.path);
    if (now && (!sameMtime(now.mtimeNs, c.mtimeNs) || !sameMeta(now, c))) metaOnly.push(c.path);
  });
  const refused = await lockedInTheWay(root, sorted, metaOnly, liveByPath);
  return {
    added: sorted.added.sort(), removed: sorted.removed.sort(), modified: sorted.modified.sort(),
    unknown: sorted.unknown, beneathLink: sorted.beneathLink, unchanged, git: sorted.git,
    ...(leaveAlone ? { leftAlone: leftAlone.sort() } : {}),
    ...(sorted.kept.length > 0 ? { kept: sorted.kept.sort() } : {}),
    ...(mounts && mounts.length > 0 ? { mounts } : {}),
    ...(refused.length > 0 ? { refused } : {}),
  };
}

/**
 * What the rollback would have to change that is immutable or append-only now: every path it writes over,
 * removes or sets metadata on, and every folder it creates or removes entries in. A file whose content and
 * metadata already match (only its ctime moved, as chattr moves it) is not among them: it is left alone.
 */
async function lockedInTheWay(root: string, plan: { added: string[]; removed: string[]; modified: string[] }, metaOnly: readonly string[], live: ReadonlyMap<string, LiveEntry>): Promise<NonNullable<DiffResult['refused']>> {
  const changed = [...plan.added, ...plan.modified, ...metaOnly];
  const folders = new Set<string>();
  for (const p of [...plan.added, ...plan.modified, ...plan.removed]) {
    // The nearest folder that exists now: the ones below it are made by the rollback.
    let d = parentOf(p);
    while (d !== '' && live.get(d)?.type !== 'dir') d = parentOf(d);
    folders.add(d);
  }
  const asked = [...new Set([...changed.filter((p) => live.get(p)?.type !== 'symlink'), ...folders])];
  if (asked.length === 0) return [];
  const flags = await lockFlags(root, asked);
  return [...flags].map(([p, flag]) => ({ path: p, flag })).sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

export { LOCK_LETTER };

/** Whether a rollback would change nothing in preview's words. */
export function changesNothing(diff: DiffResult): boolean {
  return diff.added.length === 0 && diff.removed.length === 0 && diff.modified.length === 0;
}
