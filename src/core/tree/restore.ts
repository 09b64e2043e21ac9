import { chmodSync, constants as fsc, copyFileSync, linkSync, lstatSync, mkdirSync, readdirSync, renameSync, symlinkSync, unlinkSync, utimesSync } from 'node:fs';
import { IO_PARALLELISM, mapLimit } from '../base/concurrency.js';
import { SnapctlError, errnoCode } from '../base/errors.js';
import { faultPoint, faultWrite } from '../base/faults.js';
import type { RestoreResult } from '../../shared/model.js';
import { isSafeRelativePath, isUnder, nsToSeconds, parentOf, sameMtime, type ContentSource, type EntryLookup, type FileEntry, type Manifest, type ManifestEntry, type PathFilter } from './manifest.js';
import { fsPath, shownName, type FsPath } from './names.js';
import { finalMode, quickMatch, sameByHash, sameContent, sameMeta } from './same-file.js';
import { isRestoreTemp, isTempOf } from './temp-names.js';
import { walk, type LiveEntry } from './walk.js';
import { classify, foldersHolding, linkMismatches, rememberingFilter, type DiffResult } from './compare.js';
import { PathGuard } from './path-guard.js';
import { copySparseSync, removeDirHere, removingOnFailure, setMetaHere, tempName } from './restore-writes.js';

export type { RestoreResult };

export interface RestoreOptions {
  /** Names this restore's temporary files: the same when it is run again after a crash, so it removes its own leftovers and never a user's file. */
  token: string;
  /** Paths left out of a walk, a comparison and a restore: a provider's own folder inside the target. */
  exclude?: PathFilter;
  /** The folder as a walk just found it (the safety snapshot's), to save reading the tree twice. */
  walked?: readonly LiveEntry[];
  /**
   * Paths the safety snapshot could not hold (unreadable, too long): never removed or overwritten, since
   * undo could not bring them back. They stay where they are and are reported as kept.
   */
  protect?: ReadonlySet<string>;
  /**
   * The preview of this restore made from the same walk (`walked`) under the same lock: the result is
   * counted from it. Without it, the restore compares before its first change.
   */
  plan?: DiffResult;
  /**
   * The safety snapshot's entries by path (it recorded the folder as it is now): a file it holds as the
   * snapshot's is known the same by hash, without reading either copy (sameByHash).
   */
  reference?: EntryLookup;
  /** Told each file it leaves holding the snapshot's content, as it is now (its new inode and ctime). */
  onWritten?: (entry: FileEntry) => void;
}

type DirEntry = Extract<ManifestEntry, { type: 'dir' }>;

/**
 * Makes `root` (or only the `scope` paths inside it) match `manifest` exactly: extra paths are removed,
 * missing or different ones are written, modes, mtimes, extended attributes, hard links and (as root) owners
 * are set.
 *
 * Crash safety comes from two properties: every file or link is written to a temporary name in its own
 * folder and renamed over the old one (so each path is whole, old or new), and the whole operation is
 * idempotent (running it again after an interruption finishes the job). The caller journals it so that an
 * interrupted restore is re-run.
 *
 * Confinement: nothing is written through a symlink. The folder itself must stay the very folder it was
 * (device and inode) and every folder on the way to a path is checked with lstat right before each change;
 * a link found where a folder was stops the restore before it writes, and the journal finishes it safely.
 */
export async function restore(root: string, manifest: Manifest, source: ContentSource, scope: string[] | null, options: RestoreOptions): Promise<RestoreResult> {
  for (const e of manifest.entries) {
    if (!isSafeRelativePath(e.path)) {
      throw new SnapctlError('corrupt', `snapshot ${manifest.id} holds an unsafe path ${JSON.stringify(shownName(e.path))}`, 'it was not restored; nothing was changed');
    }
  }
  const guard = new PathGuard(root);
  const { token } = options;
  const exclude = rememberingFilter(options.exclude);
  const protect = options.protect ?? new Set<string>();
  // A path the safety snapshot could not hold is left alone with all it holds (an unreadable folder's
  // contents are as unknown to undo as the folder).
  const isProtected = (p: string): boolean => {
    if (protect.size === 0) return false;
    if (protect.has(p)) return true;
    for (let i = p.indexOf('/'); i !== -1; i = p.indexOf('/', i + 1)) if (protect.has(p.slice(0, i))) return true;
    return false;
  };
  // `exclude`d paths are neither removed nor written: a provider's own folder inside the target survives.
  const inScope = (p: string): boolean => (scope === null || scope.some((s) => isUnder(p, s))) && !exclude?.(p);
  const wanted = new Map<string, ManifestEntry>();
  for (const e of manifest.entries) if (inScope(e.path)) wanted.set(e.path, e);
  const recorded = new Map(manifest.entries.map((e) => [e.path, e]));
  // Folders leading to a scoped path must exist as folders, but their other contents are left alone. One
  // that is a link in the snapshot cannot lead anywhere: restoring beneath it would write through the link.
  const ancestors = new Set<string>();
  for (const s of scope ?? []) {
    const parts = s.split('/');
    for (let i = 1; i < parts.length; i++) {
      const a = parts.slice(0, i).join('/');
      if (recorded.get(a)?.type === 'symlink') {
        throw new SnapctlError('usage', `${shownName(a)} is a symbolic link in snapshot ${manifest.id}, so ${shownName(s)} is not a path of its own`, `restore ${shownName(a)} itself; nothing was changed`);
      }
      ancestors.add(a);
    }
  }

  const walkedList = options.walked ?? (await walk(root, { ...(exclude ? { exclude } : {}), restoreTemps: true })).entries;
  const liveList = walkedList.filter((e) => !exclude?.(e.path));
  const live = new Map<string, LiveEntry>();
  for (const e of liveList) live.set(e.path, e);
  // Counted in the preview's words, from the folder as it is before the first change.
  const plan = options.plan ?? await countChanges(manifest, source, scope, exclude, walkedList, (rel) => fsPath(guard.abs(rel)), options.reference);
  // Folders holding what is left alone are never removed whole (see foldersHolding): decided here, from the
  // same walk and the same rule as the preview, before the first change.
  const holding = foldersHolding(walkedList, exclude, protect);
  /** Folders that stay, emptied of the rest, because they hold what is left alone. */
  const keptFolders = new Set<string>();
  const stats: { kept: string[] } = { kept: [] };
  const keep = (p: string): void => { if (!stats.kept.includes(p)) stats.kept.push(p); };
  /** Folders whose entries changed (or whose mode we changed): their mode and mtime must be set again. */
  const touched = new Set<string>();
  /** Folders of the user's made writable for us, with the mode to put back (those not in the snapshot). */
  const opened = new Map<string, number>();
  const openForWriting = async (dir: string): Promise<void> => {
    const now = live.get(dir);
    if (dir === '' || opened.has(dir) || now?.type !== 'dir' || (now.mode & 0o700) === 0o700) return;
    guard.inside(parentOf(dir), (at) => chmodSync(at(nameOf(dir)), now.mode | 0o700));
    opened.set(dir, now.mode);
    touched.add(dir);
  };
  for (const e of liveList) if (e.type === 'dir') guard.know(e.path, e.ino);
  // The folder itself is opened for the restore and gets its own mode back at the end.
  const rootMode = guard.inside('', () => {
    const st = lstatSync('.');
    if ((st.mode & 0o700) !== 0o700) chmodSync('.', (st.mode & 0o7777) | 0o700);
    return st.mode & 0o7777;
  });

  // 0. Temporary files a killed restore left where the walk saw them (it lists none), and at the top: removed
  //    whatever the scope, by their exact shape of name (the folder's lock is held: no restore writes them now).
  for (const dir of ['', ...liveList.filter((e) => e.type === 'dir' && e.leftovers === true && !isProtected(e.path)).map((e) => e.path)]) {
    guard.inside(dir, (at) => {
      for (const name of readdirSync(at('.'))) {
        if (!isRestoreTemp(name) || lstatSync(at(name)).isDirectory()) continue;
        try { unlinkSync(at(name)); } catch (err) { if (errnoCode(err) !== 'ENOENT') throw err; }
      }
    });
  }

  // 1. Remove what the snapshot does not have, or has as another kind of entry. Parents come before
  //    children in the walk, so removing a folder skips everything below it. The folders of one being
  //    removed are opened first: a read-only folder of the user's must not stop the rollback half way.
  const doomed: LiveEntry[] = [];
  let removedDir: string | null = null;
  for (const e of liveList) {
    if (removedDir !== null && isUnder(e.path, removedDir)) continue;
    const isAncestor = ancestors.has(e.path);
    // Temporary files a crash left (this restore's own, or any other's: the folder's lock is held, so no
    // restore is writing them) go whatever the scope.
    const ownTemp = isTempOf(e.path, token) || isRestoreTemp(e.path);
    if (!inScope(e.path) && !isAncestor && !ownTemp) continue;
    const want = isAncestor ? ({ type: 'dir' } as const) : wanted.get(e.path);
    if (want && want.type === e.type && !ownTemp) continue;
    if (isProtected(e.path)) {
      // The safety snapshot could not hold it: left in place, with all it holds.
      keep(e.path);
      if (e.type === 'dir') removedDir = e.path;
      continue;
    }
    if (e.type === 'dir' && holding.has(e.path)) {
      // It holds what is left alone: it stays, and loses only what else is to go (each handled below, since
      // it is not removed whole). The snapshot's file or link at its path is not put there.
      keptFolders.add(e.path);
      continue;
    }
    doomed.push(e);
    if (e.type === 'dir') removedDir = e.path;
  }
  // What each doomed folder holds, found in one pass: a rollback after `npm install` removes thousands of
  // folders, and a pass over the whole folder for each was quadratic.
  const doomedDirs = new Set(doomed.filter((e) => e.type === 'dir').map((e) => e.path));
  const belowOf = new Map<string, LiveEntry[]>();
  if (doomedDirs.size > 0) {
    for (const x of liveList) {
      // The topmost doomed folder above it removes it (one below it may be doomed too, and finds it gone).
      let top: string | null = null;
      for (let d = parentOf(x.path); d !== ''; d = parentOf(d)) if (doomedDirs.has(d)) top = d;
      if (top === null) continue;
      const list = belowOf.get(top);
      if (list) list.push(x); else belowOf.set(top, [x]);
    }
  }
  for (const e of doomed) {
    faultPoint();
    await openForWriting(parentOf(e.path));
    // A folder goes entry by entry, deepest first, each from inside its own folder: nothing is removed by a
    // path a swapped link could lead elsewhere.
    const below = belowOf.get(e.path) ?? [];
    for (const x of below) if (x.type === 'dir' && (x.mode & 0o700) !== 0o700) guard.inside(parentOf(x.path), (at) => chmodSync(at(nameOf(x.path)), x.mode | 0o700));
    for (const x of [...below, e].sort((a, b) => (a.path < b.path ? 1 : a.path > b.path ? -1 : 0))) {
      guard.inside(parentOf(x.path), (at) => { try { (x.type === 'dir' ? removeDirHere : unlinkSync)(at(nameOf(x.path))); } catch (err) { if (errnoCode(err) !== 'ENOENT') throw err; } });
      guard.forget(x.path);
    }
    for (const x of below) live.delete(x.path);
    live.delete(e.path);
    touched.add(parentOf(e.path));
  }

  // 2. Folders, parents first. Made writable for us while we fill them; final modes are set in step 4.
  const wantedDirs: DirEntry[] = [];
  const leaves: Exclude<ManifestEntry, { type: 'dir' }>[] = [];
  for (const e of wanted.values()) if (e.type === 'dir') wantedDirs.push(e); else leaves.push(e);
  const dirs = [...ancestors].map((p) => ({ path: p, keepMode: true })).concat(wantedDirs.map((e) => ({ path: e.path, keepMode: false })));
  dirs.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const createdAncestors: DirEntry[] = [];
  for (const d of dirs) {
    if (isProtected(d.path)) continue;
    if (!live.has(d.path)) {
      if (live.has(parentOf(d.path)) || parentOf(d.path) === '') await openForWriting(parentOf(d.path));
      faultPoint();
      guard.inside(parentOf(d.path), (at) => {
        mkdirSync(at(nameOf(d.path)), { mode: 0o700 });
        guard.know(d.path, String(lstatSync(at(nameOf(d.path))).ino));
      });
      touched.add(d.path).add(parentOf(d.path));
      if (d.keepMode) {
        const entry = recorded.get(d.path);
        if (entry?.type === 'dir') createdAncestors.push(entry);
      }
    } else {
      await openForWriting(d.path);
    }
  }

  // 3. Files and links, each written beside its final name and renamed into place. What already matches is
  //    settled here without a promise per entry; only real writes go to the thread pool. Hard links: the
  //    names the snapshot holds as one file are made one file again (see chooseLeaders).
  /** Files whose content is the snapshot's: at most their mode, times and attributes are set. */
  const sameBytes = new Set<string>();
  /** Files whose hard links are not the snapshot's (see linkMismatches). */
  const relinked = linkMismatches(manifest.entries, walkedList, exclude);
  const suspects: FileEntry[] = [];
  const settle: Exclude<ManifestEntry, { type: 'dir' }>[] = [];
  // Names the snapshot holds as one file, with a name outside the scope (or already whole) to link to.
  const groups = linkGroups(manifest.entries, (p) => !exclude?.(p) && !isProtected(p));
  const grouped = new Set([...groups.values()].flat().map((m) => m.path));
  const judge = (e: FileEntry): void => {
    const now = live.get(e.path);
    // A name linked now to a name the snapshot held apart is written anew, whatever it holds.
    if (now?.type !== 'file' || (relinked.has(e.path) && !grouped.has(e.path))) return;
    const match = quickMatch(now, e);
    if (match === 'same') sameBytes.add(e.path);
    else if (match === 'check') suspects.push(e);
  };
  for (const e of leaves) {
    if (isProtected(e.path)) { keep(e.path); continue; }
    if (keptFolders.has(e.path)) continue;
    const now = live.get(e.path);
    if (e.type === 'symlink' && now?.type === 'symlink' && now.link === e.link && sameMeta(now, e)) continue;
    if (e.type === 'file') judge(e);
    settle.push(e);
  }
  const settling = new Set<ManifestEntry>(settle);
  for (const group of groups.values()) for (const m of group) if (!inScope(m.path)) judge(m);
  await mapLimit(suspects, IO_PARALLELISM, async (e) => {
    const known = options.reference ? sameByHash(live.get(e.path), e, options.reference.get(e.path)) : null;
    if (known ?? await sameContent(fsPath(guard.abs(e.path)), source.contentPath(e)).catch(() => false)) sameBytes.add(e.path);
  });
  /** Whether the file at `e.path` now is the snapshot's, content and metadata: nothing to do to it. */
  const whole = (e: FileEntry): boolean => {
    const now = live.get(e.path);
    return now?.type === 'file' && sameBytes.has(e.path) && now.mode === finalMode(e) && sameMeta(now, e) && sameMtime(now.mtimeNs, e.mtimeNs);
  };
  // The names of the snapshot's files that share each file now: a name can be linked to only when its file
  // is shared by names of its own group alone.
  const together = new Map<string, string[]>();
  for (const e of manifest.entries) {
    const now = e.type === 'file' ? live.get(e.path) : undefined;
    if (now?.type === 'file' && now.nlink > 1) together.set(now.ino, [...(together.get(now.ino) ?? []), e.path]);
  }
  const apart = (m: FileEntry, group: readonly FileEntry[]): boolean => {
    const now = live.get(m.path);
    if (now?.type !== 'file') return false;
    return (together.get(now.ino) ?? [m.path]).every((p) => group.some((g) => g.path === p));
  };
  const leaderOf = new Map<string, string>();
  const followers = new Set<string>();
  for (const [ino, group] of groups) {
    const mine = group.filter((m) => settling.has(m));
    if (mine.length === 0) continue;
    // The file one of its names holds whole is the file: the others are linked to it (an undo of a restore
    // of one name links it back to the other). Else the first name is written and the others linked.
    const anchor = group.find((m) => whole(m) && apart(m, group));
    const leader = anchor ?? (mine[0] as FileEntry);
    if (!anchor && !apart(leader, group)) sameBytes.delete(leader.path);
    leaderOf.set(ino, leader.path);
    for (const m of mine) if (m !== leader) followers.add(m.path);
  }
  // Asked right after the write, and only of a file that is as the snapshot recorded it (size, mtime): a file
  // of several names is left out, since its other names are written apart.
  const tellWritten = (at: FsPath, e: FileEntry): void => {
    if (!options.onWritten || (e.nlink ?? 1) > 1 || e.hash === null) return;
    const st = lstatSync(at, { bigint: true, throwIfNoEntry: false });
    if (st?.isFile() && st.nlink === 1n && Number(st.size) === e.size && sameMtime(st.mtimeNs.toString(), e.mtimeNs)) {
      options.onWritten({ ...e, ino: st.ino.toString(), ctimeNs: st.ctimeNs.toString() });
    }
  };
  const writes: typeof leaves = [];
  const metaOnly: FileEntry[] = [];
  for (const e of settle) {
    if (e.type === 'file' && followers.has(e.path)) continue;
    if (e.type === 'file' && whole(e)) continue;
    // Same bytes, another mode, mtime, owner or attributes: those are set, the bytes are not written again.
    if (e.type === 'file' && sameBytes.has(e.path)) { metaOnly.push(e); continue; }
    writes.push(e);
  }
  await mapLimit([...metaOnly, ...writes], IO_PARALLELISM, async (e) => {
    const dir = parentOf(e.path);
    await openForWriting(dir);
    faultPoint();
    if (e.type === 'file' && sameBytes.has(e.path)) {
      guard.inside(dir, (at) => { setMetaHere(at(nameOf(e.path)), e, true); tellWritten(at(nameOf(e.path)), e); });
      return;
    }
    // Written beside its final name and renamed into place, all from inside the folder itself.
    const content = e.type === 'file' ? source.contentPath(e) : null;
    guard.inside(dir, (at) => {
      const tmp = at(tempName(token));
      const final = at(nameOf(e.path));
      removingOnFailure(tmp, () => {
        faultWrite(e.path);
        if (e.type === 'file' && content !== null) {
          // copyFile makes its copy with the source's mode, set-uid included, owned by whoever runs this until
          // setMeta gives it its owner: a set-id file is copied into a file made private (0600) instead.
          if (e.sparse || (e.mode & 0o6000) !== 0) copySparseSync(content, tmp, e.size, (e.mode & 0o6000) === 0);
          else copyFileSync(content, tmp, fsc.COPYFILE_FICLONE | fsc.COPYFILE_EXCL);
        } else if (e.type === 'symlink') {
          symlinkSync(fsPath(e.link), tmp);
        }
        setMetaHere(tmp, e, true);
        renameSync(tmp, final);
      });
      if (e.type === 'file') tellWritten(final, e);
    });
    touched.add(dir);
  });
  for (const e of settle) {
    if (e.type !== 'file' || !followers.has(e.path)) continue;
    const leader = leaderOf.get(e.ino ?? '') ?? '';
    const leaderNow = guard.inside(parentOf(leader), (at) => lstatSync(at(nameOf(leader)), { bigint: true }));
    const current = guard.inside(parentOf(e.path), (at) => lstatSync(at(nameOf(e.path)), { bigint: true, throwIfNoEntry: false }));
    if (current && current.ino === leaderNow.ino && current.dev === leaderNow.dev) continue;
    const dir = parentOf(e.path);
    await openForWriting(dir);
    // The link is made by the leader's absolute path and then checked to be the very file just written.
    guard.inside(dir, (at) => {
      const tmp = at(tempName(token));
      const final = at(nameOf(e.path));
      linkSync(fsPath(guard.abs(leader)), tmp);
      removingOnFailure(tmp, () => {
        if (lstatSync(tmp, { bigint: true }).ino !== leaderNow.ino) throw new SnapctlError('failed', `the rollback stopped without writing: ${shownName(leader)} was replaced while it ran`, 'any snapctl command finishes the rollback');
        renameSync(tmp, final);
      });
    });
    touched.add(dir);
  }

  // 4. Folder modes, owners, attributes and mtimes, after every write (writing a child changes its parent's
  //    mtime). Deepest level first, since a parent's final mode may forbid entering it; the folders of one
  //    level do not depend on each other and go to the thread pool together. A folder nothing was written
  //    into, removed from or made writable, already as recorded, is left alone: a 1% rollback of a wide tree
  //    touches a few folders, not all of them. Folders of the user's opened for us get their mode back.
  const byDepth = new Map<number, DirEntry[]>();
  for (const d of [...wantedDirs, ...createdAncestors]) {
    if (isProtected(d.path)) continue;
    const now = live.get(d.path);
    if (!touched.has(d.path) && now?.type === 'dir' && now.mode === finalMode(d) && sameMtime(now.mtimeNs, d.mtimeNs) && sameMeta(now, d)) continue;
    const depth = d.path.split('/').length;
    const level = byDepth.get(depth);
    if (level) level.push(d); else byDepth.set(depth, [d]);
  }
  const settled = new Set([...wantedDirs, ...createdAncestors].map((d) => d.path));
  for (const depth of [...byDepth.keys()].sort((a, b) => b - a)) {
    for (const d of byDepth.get(depth) ?? []) {
      guard.inside(parentOf(d.path), (at) => {
        setMetaHere(at(nameOf(d.path)), d, false);
        const t = nsToSeconds(d.mtimeNs);
        utimesSync(at(nameOf(d.path)), t, t);
      });
    }
  }
  for (const [dir, mode] of [...opened].sort((a, b) => (a[0] < b[0] ? 1 : -1))) {
    if (settled.has(dir) || !live.has(dir)) continue;
    guard.inside(parentOf(dir), (at) => chmodSync(at(nameOf(dir)), mode));
  }
  guard.inside('', () => { if ((lstatSync('.').mode & 0o7777) !== rootMode) chmodSync('.', rootMode); });
  for (const p of protect) if (!stats.kept.includes(p)) stats.kept.push(p);
  stats.kept.sort();
  // What was left alone is not counted as changed: a path kept, one beneath a kept folder, or a folder that
  // stays because it holds one.
  const changed = (p: string): boolean => !stats.kept.some((k) => isUnder(p, k) || isUnder(k, p));
  const count = (paths: readonly string[]): number => (stats.kept.length === 0 ? paths.length : paths.filter(changed).length);
  return {
    restored: count(plan.modified), broughtBack: count(plan.removed), removed: count(plan.added), unchanged: plan.unchanged ?? 0, kept: stats.kept,
    ...(keptFolders.size > 0 ? { keptFolders: [...keptFolders].sort() } : {}),
  };
}

/**
 * What a restore will change, in a preview's words (see compare), from the walk it works from. A file it
 * cannot read to compare (swapped away meanwhile) counts as changed: the restore then finds what happened.
 */
async function countChanges(manifest: Manifest, source: ContentSource, scope: string[] | null, exclude: PathFilter | undefined, live: readonly LiveEntry[], abs: (rel: string) => FsPath, reference?: EntryLookup): Promise<DiffResult> {
  const sorted = classify(manifest.entries, live, scope, exclude);
  const byPath = reference ? new Map(live.map((e) => [e.path, e])) : null;
  const differing = await mapLimit(sorted.candidates, IO_PARALLELISM, async (c) => {
    const known = byPath && reference ? sameByHash(byPath.get(c.path), c, reference.get(c.path)) : null;
    if (known !== null) return known ? null : c.path;
    return (await sameContent(abs(c.path), source.contentPath(c)).catch(() => false)) ? null : c.path;
  });
  let unchanged = sorted.unchanged;
  for (const p of differing) if (p !== null) sorted.modified.push(p); else unchanged++;
  return { added: sorted.added, removed: sorted.removed, modified: sorted.modified, unchanged };
}

/**
 * The snapshot's files with several names inside the folder, by recorded inode: each group is made one file
 * again. A file whose other names are outside the folder (one name here) is a file like any other.
 */
function linkGroups(entries: readonly ManifestEntry[], usable: (p: string) => boolean): Map<string, FileEntry[]> {
  const byIno = new Map<string, FileEntry[]>();
  for (const e of entries) {
    if (e.type !== 'file' || (e.nlink ?? 1) < 2 || e.ino === undefined || !usable(e.path)) continue;
    const group = byIno.get(e.ino);
    if (group) group.push(e); else byIno.set(e.ino, [e]);
  }
  for (const [ino, group] of byIno) if (group.length < 2) byIno.delete(ino);
  return byIno;
}

function nameOf(rel: string): string {
  return rel.slice(rel.lastIndexOf('/') + 1);
}

