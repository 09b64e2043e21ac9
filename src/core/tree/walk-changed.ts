import { lstatSync, type BigIntStats } from 'node:fs';
import path from 'node:path';
import { CACHEDIR_TAG } from './excludes.js';
import { fsPath } from './names.js';
import { parentOf, type Manifest, type ManifestEntry } from './manifest.js';
import { MountBoundary } from './mount-points.js';
import { byPath, COULD_NOT_READ_FOLDER, listFolder, listNames, readNames, sortResult, walk, WALK_BATCH, type LiveDir, type LiveEntry, type WalkOptions, type WalkResult } from './walk.js';

/**
 * What a walk lists that a manifest does not keep: the walk's side lists, and which folders were marked
 * `unlisted` or `leftovers`. Small (it names only what was left out), so it can be kept in memory beside a
 * snapshot's id and turn that snapshot's manifest back into the walk it was made from (listingFromManifest).
 */
export interface WalkSide {
  skipped: WalkResult['skipped'];
  notes: WalkResult['notes'];
  mounts: string[];
  excluded: string[];
  cacheDirs: string[];
  unlisted: string[];
  leftovers: string[];
}

export function sideOf(result: WalkResult): WalkSide {
  const unlisted: string[] = [];
  const leftovers: string[] = [];
  for (const e of result.entries) {
    if (e.type !== 'dir') continue;
    if (e.unlisted) unlisted.push(e.path);
    if (e.leftovers) leftovers.push(e.path);
  }
  return { skipped: result.skipped, notes: result.notes, mounts: result.mounts, excluded: result.excluded, cacheDirs: result.cacheDirs, unlisted, leftovers };
}

/**
 * The walk a snapshot was made from, rebuilt from its manifest and the walk's side lists; null when the
 * manifest predates the fields a walk gives (owner, inode, ctime): such a base cannot vouch for anything.
 * Paths the snapshot could not keep as they were (its problems) are to be looked at again (`recheck`).
 * `origins`, when given, is told the manifest entry each listed entry was made from: a narrowed walk hands
 * back those of the base it did not describe again, as the very objects, so a snapshot takes their entries as
 * they are instead of comparing each one again.
 */
export function listingFromManifest(manifest: Pick<Manifest, 'entries' | 'problems'>, side: WalkSide, origins?: Map<LiveEntry, ManifestEntry>): BaseListing | null {
  const unlisted = new Set(side.unlisted);
  const leftovers = new Set(side.leftovers);
  const entries: LiveEntry[] = [];
  for (const e of manifest.entries) {
    if (e.uid === undefined || e.gid === undefined || e.ino === undefined || e.ctimeNs === undefined) return null;
    const own = { uid: e.uid, gid: e.gid, ino: e.ino, ctimeNs: e.ctimeNs, ...(e.xattrs ? { xattrs: e.xattrs } : {}) };
    let live: LiveEntry;
    if (e.type === 'dir') live = { path: e.path, type: 'dir', mode: e.mode, mtimeNs: e.mtimeNs, ...own, ...(unlisted.has(e.path) ? { unlisted: true } : {}), ...(leftovers.has(e.path) ? { leftovers: true } : {}) };
    else if (e.type === 'symlink') live = { path: e.path, type: 'symlink', mtimeNs: e.mtimeNs, link: e.link, ...own };
    else live = { path: e.path, type: 'file', mode: e.mode, mtimeNs: e.mtimeNs, size: e.size, nlink: e.nlink ?? 1, sparse: e.sparse ?? false, ...(e.sparse && e.allocated !== undefined ? { allocated: e.allocated } : {}), ...own };
    entries.push(live);
    origins?.set(live, e);
  }
  // A manifest is sorted by path already; sorted again in case one was not (walk-changed relies on the order).
  entries.sort(byPath);
  return { entries, skipped: side.skipped, notes: side.notes, mounts: side.mounts, excluded: side.excluded, cacheDirs: side.cacheDirs, recheck: manifest.problems.map((p) => p.path) };
}

/** What the change journal says changed: paths, and inodes of files with several names changed through one. */
export interface ChangedPaths {
  paths: readonly string[];
  inodes?: readonly string[];
}

/** A walk to narrow from: a whole walk's result, and paths to look at again whatever the journal says. */
export type BaseListing = WalkResult & { recheck?: readonly string[] };

/**
 * What `walk(root, options)` would list now, given the walk of the base snapshot and the paths changed since
 * (relative; a folder stands for all it holds; '' for the whole folder), as the change journal reports them.
 *
 * Built from walk's own step (listFolder), so every folder it lists is listed exactly as a whole walk lists it:
 * - every folder on the way to a changed path is listed again (each name described anew: a folder's mtime
 *   moves with its names, and its `unlisted`/`leftovers` marks with what they are);
 * - a changed path that is a folder now is walked whole, and so is a folder on the way whose base listing
 *   stopped at it (a cache folder, an unreadable one), since the base holds nothing below it;
 * - a folder listed again whose own subtree holds no changed path keeps its base subtree (and the base's
 *   notes about it), everything else of the base is dropped;
 * - every file of the base with more than one name is described again, and so is each other name of a
 *   changed file's inode: a link made or removed moves the other names' link count and ctime without an
 *   event naming them;
 * - every folder of the base whose CACHEDIR.TAG is not listed (a cache folder's, an excluded one) is listed
 *   again when the tag has more than one name or was changed through another name: no name of the base leads
 *   to it, yet a write through another name decides whether the folder is a cache folder.
 * The result is only as good as the changed paths: the journal vouches for them after a sync point, and the
 * audit (core/changes/audit.ts) checks the whole against a full walk.
 */
/**
 * What a narrowed walk did beside its result, for a caller that builds on the base instead of going through
 * every entry again (capture.ts): the entries it described anew (`fresh`), and the base's entries it did not
 * carry over (`dropped`: described anew, or gone). `whole`: it walked everything (then neither is set).
 */
export interface NarrowedParts {
  whole: boolean;
  fresh: LiveEntry[];
  dropped: LiveEntry[];
}

export async function walkChanged(root: string, base: BaseListing, changed: readonly string[] | ChangedPaths, options: WalkOptions = {}, parts?: NarrowedParts): Promise<WalkResult> {
  const rootAbs = path.resolve(root);
  const { paths, inodes = [] } = Array.isArray(changed) ? { paths: changed as readonly string[] } : (changed as ChangedPaths);
  const targets = new Set<string>(paths);
  for (const p of base.recheck ?? []) targets.add(p);
  if (targets.has('')) {
    if (parts) parts.whole = true;
    return walk(root, options);
  }
  // The base's names by inode, built only when a file with several names is met (most walks meet none).
  let inodeMap: Map<string, string[]> | null = null;
  const byIno = { get: (ino: string): string[] | undefined => (inodeMap ??= inodeNames(base.entries)).get(ino) };
  for (const ino of inodes) for (const q of byIno.get(ino) ?? []) targets.add(q);
  for (const p of multiNamed(base.entries)) targets.add(p);
  for (const p of tagsToReadAgain(rootAbs, base, inodes)) targets.add(p);
  if (targets.size === 0) return copyOf(base);

  const boundary = options.boundary ?? MountBoundary.of(rootAbs);
  // A name made where no listing shows it (in a cache folder, an excluded path) still moves the link count of
  // the file's names that are listed: each changed path is asked for its inode directly.
  for (const p of [...targets]) {
    const st = statOf(rootAbs, p);
    if (st?.isFile() && st.nlink > 1n) for (const q of byIno.get(st.ino.toString()) ?? []) targets.add(q);
  }
  // Folders whose base listing stopped at the folder (a cache folder, an unreadable one): the base has nothing
  // below them, so once listed again (a tag removed, a name changed inside) they are walked whole.
  const cutShort = new Set([...base.cacheDirs, ...base.skipped.filter((s) => s.reason.startsWith(COULD_NOT_READ_FOLDER)).map((s) => s.path)]);
  // Names the base's side lists hold (excluded, skipped, noted, mounted), by folder: names too (see lightRelist).
  const sideNames = new Map<string, Set<string>>();
  for (const p of [...base.excluded, ...base.mounts, ...base.cacheDirs, ...base.skipped.map((x) => x.path), ...base.notes.map((x) => x.path)]) {
    const parent = parentOf(p);
    const names = sideNames.get(parent) ?? new Set<string>();
    names.add(p.slice(parent === '' ? 0 : parent.length + 1));
    sideNames.set(parent, names);
  }
  // A name made now for a file of the base moves the link count and ctime of its other names, unseen: once
  // described, an inode with several names has its base names described too (one more round at most per link).
  for (;;) {
    const narrowed = await listNarrowed(rootAbs, targets, cutShort, base.entries, sideNames, boundary, options);
    const more: string[] = [];
    for (const e of narrowed.out.entries) {
      if (e.type !== 'file' || e.nlink < 2) continue;
      for (const p of byIno.get(e.ino) ?? []) if (!targets.has(p)) more.push(p);
    }
    if (more.length === 0) return assemble(base, narrowed, parts);
    for (const p of more) targets.add(p);
  }
}

/**
 * How a folder is listed again: `whole`, it and all below (a changed folder); `relist`, each of its names
 * described again (it holds a changed name: its mtime and marks move with its names); `pass`, only the names
 * on the way to a changed path described again (the rest of a wide folder such as node_modules stays as in the
 * base: a name made or removed there would be a changed path itself).
 */
type Mode = 'whole' | 'relist' | 'pass';

interface Narrowed {
  out: WalkResult;
  modes: Map<string, Mode>;
  /** Folders described again but not descended: their subtrees stay as in the base. */
  kept: Set<string>;
  /** Names described in `pass` folders. */
  passed: Set<string>;
}

async function listNarrowed(rootAbs: string, targets: ReadonlySet<string>, cutShort: ReadonlySet<string>, base: readonly LiveEntry[], sideNames: ReadonlyMap<string, ReadonlySet<string>>, boundary: MountBoundary, options: WalkOptions): Promise<Narrowed> {
  const onTheWay = new Set<string>(['']);
  const parents = new Set<string>();
  for (const p of targets) {
    const slash = p.lastIndexOf('/');
    parents.add(slash === -1 ? '' : p.slice(0, slash));
    for (let i = p.indexOf('/'); i !== -1; i = p.indexOf('/', i + 1)) onTheWay.add(p.slice(0, i));
  }
  // The base's folders, found by bisection when asked for (a few per changed path), not indexed all at once.
  const baseDirs = { get: (p: string): LiveDir | undefined => { const e = base[indexOf(base, p)]; return e?.type === 'dir' ? e : undefined; } };
  const modeOf = (d: string): Mode => (targets.has(d) || cutShort.has(d) ? 'whole' : parents.has(d) ? 'relist' : 'pass');
  const out: WalkResult = { entries: [], skipped: [], notes: [], excluded: [], cacheDirs: [], mounts: [] };
  const modes = new Map<string, Mode>();
  const kept = new Set<string>();
  const passed = new Set<string>();
  // The names of each `pass` folder to describe: the next folder on the way to each changed path.
  const passNames = new Map<string, Set<string>>();
  for (const d of onTheWay) {
    if (d === '') continue;
    const parent = parentOf(d);
    const names = passNames.get(parent) ?? new Set<string>();
    names.add(d.slice(parent === '' ? 0 : parent.length + 1));
    passNames.set(parent, names);
  }
  // The changed names of each folder, for folders listed again (see lightRelist).
  const changedNames = new Map<string, Set<string>>();
  for (const p of targets) {
    const parent = parentOf(p);
    const names = changedNames.get(parent) ?? new Set<string>();
    names.add(p.slice(parent === '' ? 0 : parent.length + 1));
    changedNames.set(parent, names);
  }
  const pending: [string, LiveDir | null, Mode][] = [['', null, parents.has('') ? 'relist' : 'pass']];
  let sinceYield = 0;
  while (pending.length > 0) {
    const [dirRel, dirEntry, listed] = pending.pop() as [string, LiveDir | null, Mode];
    const light = listed === 'relist' ? lightRelist(rootAbs, dirRel, baseDirs.get(dirRel), base, sideNames.get(dirRel), changedNames.get(dirRel), passNames.get(dirRel), options) : null;
    const mode: Mode = light ? 'pass' : listed;
    modes.set(dirRel, mode);
    let dirs: LiveDir[];
    let examined: number;
    if (mode === 'pass') {
      // Its marks are the base's (no name of it changed), and may only gain one from a name described now.
      const was = baseDirs.get(dirRel);
      if (dirEntry && was?.unlisted) dirEntry.unlisted = true;
      if (dirEntry && was?.leftovers) dirEntry.leftovers = true;
      const names = light ?? [...(passNames.get(dirRel) ?? [])];
      for (const n of names) passed.add(dirRel === '' ? n : `${dirRel}/${n}`);
      dirs = listNames(dirRel === '' ? rootAbs : `${rootAbs}${path.sep}${dirRel}`, dirRel, dirEntry, names, options, boundary, out);
      examined = names.length;
    } else {
      ({ dirs, examined } = listFolder(rootAbs, dirRel, dirEntry, options, boundary, out));
    }
    for (const d of dirs) {
      if (mode === 'whole') pending.push([d.path, d, 'whole']);
      else if (onTheWay.has(d.path) || targets.has(d.path)) pending.push([d.path, d, modeOf(d.path)]);
      else {
        const was = baseDirs.get(d.path);
        if (was?.unlisted) d.unlisted = true;
        if (was?.leftovers) d.leftovers = true;
        kept.add(d.path);
      }
    }
    sinceYield += examined;
    if (sinceYield >= WALK_BATCH) {
      sinceYield = 0;
      options.onBatch?.(out.entries.length);
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }
  return { out, modes, kept, passed };
}

/**
 * The names to describe again in a folder that holds a changed name, when the rest of its names can stay as the
 * base listed them: the changed names, the names on the way to changed paths, and the names made or gone since
 * the base (the journal names those too; read here all the same, by one readdir). Then the folder costs its
 * changes, not its width (node_modules/.bin, a folder of 2,000 files), and is listed as a `pass` folder.
 * The base's names are its entries and the names its side lists hold (excluded, skipped, noted: a folder holding
 * one is marked, but the top folder has no entry to mark). Null, to list every name again, when the base marked the folder (a mark comes from names the base does not
 * list: which of them remain only a whole listing tells), the folder cannot be read now, or it holds a
 * CACHEDIR.TAG (the tag decides what the folder holds).
 */
function lightRelist(rootAbs: string, dirRel: string, was: LiveDir | undefined, base: readonly LiveEntry[], side: ReadonlySet<string> | undefined, changed: ReadonlySet<string> | undefined, onTheWay: ReadonlySet<string> | undefined, options: WalkOptions): string[] | null {
  if (dirRel !== '' && (!was || was.unlisted || was.leftovers)) return null;
  let now: string[];
  try {
    now = readNames(dirRel === '' ? rootAbs : `${rootAbs}${path.sep}${dirRel}`);
  } catch {
    return null;
  }
  if (options.cacheDirs && dirRel !== '' && now.includes(CACHEDIR_TAG)) return null;
  const before = childNames(base, dirRel);
  for (const n of side ?? []) before.add(n);
  // A changed name is described even where it is gone: what the base said of it (an exclude, a note) goes too.
  const names = new Set<string>([...(changed ?? []), ...(onTheWay ?? [])]);
  for (const n of now) if (!before.has(n)) names.add(n);
  const present = new Set(now);
  for (const n of before) if (!present.has(n)) names.add(n);
  return [...names];
}

/** The names the sorted base lists directly in `dirRel`: each child found by bisection, its subtree skipped. */
function childNames(sorted: readonly LiveEntry[], dirRel: string): Set<string> {
  const prefix = dirRel === '' ? '' : `${dirRel}/`;
  const out = new Set<string>();
  const [lo, end] = dirRel === '' ? [0, sorted.length] : rangeOf(sorted, prefix);
  let i = lo;
  while (i < end) {
    const rest = (sorted[i] as LiveEntry).path.slice(prefix.length);
    const slash = rest.indexOf('/');
    if (slash === -1) { out.add(rest); i++; continue; }
    i = Math.max(i + 1, rangeOf(sorted, `${prefix}${rest.slice(0, slash)}/`)[1]);
  }
  return out;
}

/**
 * The fresh listing joined with what stays as in the base: the subtrees of the kept folders, and the names of
 * `pass` folders not described again (with their subtrees). Each is a run of the sorted base, so the whole is
 * put in order by sorting the runs and the fresh entries by their first path, not every entry again.
 */
function assemble(base: BaseListing, n: Narrowed, parts?: NarrowedParts): WalkResult {
  const { out, modes, kept, passed } = n;
  const sorted = base.entries;
  // Runs of the base as [start, end) (what no run covers was dropped), and the fresh entries: copied once, at the end.
  const carried: [number, number][] = [];
  const carry = (lo: number, hi: number): void => { carried.push([lo, hi]); };
  // The names described again, by folder: looked up per `pass` folder, not searched for in all of them.
  const passedIn = new Map<string, string[]>();
  for (const p of passed) {
    const parent = parentOf(p);
    const list = passedIn.get(parent);
    if (list) list.push(p); else passedIn.set(parent, [p]);
  }
  for (const k of kept) {
    const [lo, hi] = rangeOf(sorted, `${k}/`);
    if (hi > lo) carry(lo, hi);
  }
  for (const [dir, mode] of modes) {
    if (mode !== 'pass') continue;
    const [lo, hi] = dir === '' ? [0, sorted.length] : rangeOf(sorted, `${dir}/`);
    // Holes: each name described again, and everything below it (listed again, or gone with it).
    const holes: [number, number][] = [];
    for (const p of passedIn.get(dir) ?? []) {
      const at = indexOf(sorted, p);
      if (at !== -1) holes.push([at, at + 1]);
      holes.push(rangeOf(sorted, `${p}/`));
    }
    holes.sort((x, y) => x[0] - y[0]);
    let from = lo;
    for (const [start, end] of holes) {
      if (start > from) carry(from, start);
      from = Math.max(from, end);
    }
    if (hi > from) carry(from, hi);
  }
  out.entries.sort(byPath);
  carried.sort((x, y) => x[0] - y[0]);
  if (parts) {
    parts.fresh = out.entries.slice();
    let from = 0;
    for (const [lo, hi] of [...carried, [sorted.length, sorted.length] as [number, number]]) {
      for (let i = from; i < lo; i++) parts.dropped.push(sorted[i] as LiveEntry);
      from = Math.max(from, hi);
    }
  }
  // The base's runs (in order, never overlapping) merged with the fresh entries; each run is sorted, so only
  // where a run meets a fresh entry or the next run is the order checked.
  let entries: LiveEntry[] = [];
  const fresh = out.entries;
  let f = 0;
  let ordered = true;
  const put = (e: LiveEntry): void => {
    const last = entries[entries.length - 1];
    if (last !== undefined && last.path >= e.path) ordered = false;
    entries.push(e);
  };
  for (const [lo, hi] of carried) {
    const first = sorted[lo] as LiveEntry;
    while (f < fresh.length && (fresh[f] as LiveEntry).path < first.path) put(fresh[f++] as LiveEntry);
    put(first);
    for (let i = lo + 1; i < hi; i++) entries.push(sorted[i] as LiveEntry);
  }
  while (f < fresh.length) put(fresh[f++] as LiveEntry);
  // A run never holds a fresh path between two of its own (a name new to the base is a changed path, whose
  // folder is listed again); checked all the same where runs meet, and put right by one sort if it ever did.
  if (!ordered) entries = entries.sort(byPath);

  /** Whether a side note at `p` stays from the base: `own` when the folder at `p` said it of itself. */
  const fromBase = (p: string, own: boolean): boolean => {
    let at = own ? p : parentOf(p);
    let child = p;
    for (;;) {
      if (kept.has(at) && (at !== p || own)) return true;
      const mode = modes.get(at);
      if (mode === 'whole' || mode === 'relist') return false;
      if (mode === 'pass') return at === p ? own : !passed.has(child);
      if (at === '') return false;
      child = at;
      at = parentOf(at);
    }
  };
  for (const s of base.skipped) if (fromBase(s.path, s.reason.startsWith(COULD_NOT_READ_FOLDER))) out.skipped.push(s);
  for (const x of base.notes) if (fromBase(x.path, false)) out.notes.push(x);
  for (const p of base.excluded) if (fromBase(p, false)) out.excluded.push(p);
  for (const p of base.mounts) if (fromBase(p, false)) out.mounts.push(p);
  for (const p of base.cacheDirs) if (fromBase(p, true)) out.cacheDirs.push(p);
  const result = sortResult({ ...out, entries: [] });
  result.entries = entries;
  return result;
}

/** The run of the sorted entries whose paths start with `prefix`, as [start, end). */
function rangeOf(sorted: readonly LiveEntry[], prefix: string): [number, number] {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((sorted[mid] as LiveEntry).path < prefix) lo = mid + 1;
    else hi = mid;
  }
  // Paths holding the prefix sort together, right after it: the end is found the same way.
  hi = sorted.length;
  let end = lo;
  while (end < hi) {
    const mid = (end + hi) >>> 1;
    if ((sorted[mid] as LiveEntry).path.startsWith(prefix)) end = mid + 1;
    else hi = mid;
  }
  return [lo, end];
}

function indexOf(sorted: readonly LiveEntry[], p: string): number {
  const [lo] = rangeOf(sorted, p);
  return sorted[lo]?.path === p ? lo : -1;
}

/**
 * Every file of the base with more than one name: a link made or removed elsewhere moves its link count and
 * ctime without an event naming it (unlinking one name of two leaves the other with one). Its cost is the
 * number of files with several names, which a full walk would lstat anyway.
 */
function multiNamed(entries: readonly LiveEntry[]): string[] {
  const out: string[] = [];
  for (const e of entries) if (e.type === 'file' && e.nlink > 1) out.push(e.path);
  return out;
}

/**
 * The CACHEDIR.TAGs of the base that are not listed and may have been rewritten with no event naming them. A
 * tag decides by its first bytes whether its folder's contents are walked, yet a cache folder's tag is never
 * listed (the folder's contents are left out), nor is one the person's excludes leave out, so no name of the
 * base shares its inode and neither the base's multi-named files nor the journal's inodes lead to it. Named
 * here: a tag with several names (written through another one, even from outside the folder), one whose
 * inode the journal saw changed through another name, one that is no longer a file, and one mounted over (its
 * filesystem's writes make no event here). One lstat per such tag; each one named lists its folder again.
 */
function tagsToReadAgain(rootAbs: string, base: BaseListing, inodes: readonly string[]): string[] {
  const out: string[] = [];
  const changed = new Set(inodes);
  const tags = [...base.cacheDirs.map((d) => `${d}/${CACHEDIR_TAG}`), ...base.excluded.filter(isTag)];
  for (const tag of tags) {
    const st = statOf(rootAbs, tag);
    if (!st?.isFile() || st.nlink > 1n || changed.has(st.ino.toString())) out.push(tag);
  }
  for (const p of base.mounts) if (isTag(p)) out.push(p);
  return out;
}

/** A CACHEDIR.TAG below the top (the folder chosen is never a cache of itself: its own tag decides nothing). */
function isTag(p: string): boolean {
  return p.endsWith(`/${CACHEDIR_TAG}`);
}

/**
 * lstat of a path below the root, undefined when there is nothing to describe there: a changed path may lie
 * below a name that is no longer a folder (`rm -rf build && touch build`: ENOTDIR), a link (ELOOP) or a folder
 * made unreadable (EACCES). The walk describes what is there; this only looks for other names of a file.
 */
function statOf(rootAbs: string, rel: string): BigIntStats | undefined {
  try {
    return lstatSync(fsPath(`${rootAbs}${path.sep}${rel}`), { bigint: true, throwIfNoEntry: false });
  } catch {
    return undefined;
  }
}

/** The base's file names by inode. */
function inodeNames(entries: readonly LiveEntry[]): Map<string, string[]> {
  const byIno = new Map<string, string[]>();
  for (const e of entries) {
    if (e.type !== 'file') continue;
    const list = byIno.get(e.ino);
    if (list) list.push(e.path);
    else byIno.set(e.ino, [e.path]);
  }
  return byIno;
}

function copyOf(base: BaseListing): WalkResult {
  return { entries: base.entries.slice(), skipped: base.skipped.slice(), notes: base.notes.slice(), excluded: base.excluded.slice(), cacheDirs: base.cacheDirs.slice(), mounts: base.mounts.slice() };
}

/**
 * The paths where two listings differ, field for field (an entry, a side note, a mark), sorted: empty when a
 * narrowed walk listed exactly what a whole walk did.
 */
export function listingDifferences(a: WalkResult, b: WalkResult): string[] {
  const differ = new Set<string>();
  const compare = <T>(xs: readonly T[], ys: readonly T[], key: (x: T) => string): void => {
    const left = new Map<string, string[]>();
    for (const x of xs) { const k = key(x); left.set(k, [...(left.get(k) ?? []), JSON.stringify(x, sortedKeys)]); }
    const right = new Map<string, string[]>();
    for (const y of ys) { const k = key(y); right.set(k, [...(right.get(k) ?? []), JSON.stringify(y, sortedKeys)]); }
    for (const k of new Set([...left.keys(), ...right.keys()])) if ((left.get(k) ?? []).join('\n') !== (right.get(k) ?? []).join('\n')) differ.add(k);
  };
  compare(a.entries, b.entries, (e) => e.path);
  compare(a.skipped, b.skipped, (e) => e.path);
  compare(a.notes, b.notes, (e) => e.path);
  for (const list of ['excluded', 'cacheDirs', 'mounts'] as const) compare(a[list], b[list], (p) => p);
  // The order a manifest is written in is part of the listing too.
  if (differ.size === 0 && a.entries.some((e, i) => e.path !== b.entries[i]?.path)) differ.add('');
  return [...differ].sort();
}

/** JSON with an object's keys in one order, so two entries built in different orders compare equal. */
function sortedKeys(_key: string, value: unknown): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  return Object.fromEntries(Object.entries(value as Record<string, unknown>).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)));
}
