import { lstatSync, readdirSync, readlinkSync, type BigIntStats } from 'node:fs';
import path from 'node:path';
import { errnoCode, nullIfMissing } from '../base/errors.js';
import { fromBytes, fsPath } from './names.js';
import { isRestoreTemp, isSyncCookie } from './temp-names.js';
import { readXattrs } from './xattrs.js';
import { CACHEDIR_TAG, readsAsCacheDirTag, type ExcludeMatcher } from './excludes.js';
import { MOUNT_NOTE, MountBoundary } from './mount-points.js';

/**
 * A path as it is on disk now (never following symlinks). mtimes are decimal nanoseconds, as in manifests, so
 * an unchanged file compares equal as a string without BigInt arithmetic.
 */
export type LiveEntry =
  | ({ path: string; type: 'dir'; mode: number; mtimeNs: string; /** See LiveDir. */ unlisted?: true; /** See LiveDir. */ leftovers?: true } & Ownership)
  | ({ path: string; type: 'file'; mode: number; mtimeNs: string; size: number; ino: string; ctimeNs: string; nlink: number; sparse: boolean; /** Bytes its blocks take on disk (less than size with holes). */ allocated?: number } & Ownership)
  | ({ path: string; type: 'symlink'; mtimeNs: string; link: string } & Ownership);

/**
 * Who owns an entry, its extended attributes (ACLs, Finder tags, quarantine flags...), base64 by name, and
 * its inode and ctime (any change to the entry, its attributes included, moves the ctime).
 */
export interface Ownership {
  uid: number;
  gid: number;
  xattrs?: Record<string, string>;
  ino: string;
  ctimeNs: string;
}

/**
 * A folder as walked. `unlisted`: it holds entries the walk did not list (excluded, a cache folder's contents,
 * a mounted filesystem, an unreadable folder's contents, a socket): a rollback can empty it of the rest but
 * never remove it whole, since what it does not know of is left alone. `leftovers`: it holds a restore's
 * temporary file that a killed process left (temp-names.ts), which this walk did not list: the next restore,
 * which holds the folder's lock, removes it.
 */
export type LiveDir = Extract<LiveEntry, { type: 'dir' }>;

export interface WalkResult {
  entries: LiveEntry[];
  /** Paths that exist but are not among `entries` (unreadable folders' contents, sockets, FIFOs, too long). */
  skipped: { path: string; reason: string }[];
  /**
   * Entries listed, but not whole (extended attributes that could not be read), and the filesystems mounted
   * inside the folder, left out (MOUNT_NOTE): named, so a snapshot's problems say what it does not hold.
   */
  notes: { path: string; reason: string }[];
  /** Mount points inside the folder (see MountBoundary): never descended, never listed. */
  mounts: string[];
  /** Paths the person's excludes left out (`skip`), never descended: the topmost of each excluded tree. */
  excluded: string[];
  /** Folders holding a valid CACHEDIR.TAG (with `cacheDirs`): listed, their contents left out. */
  cacheDirs: string[];
}

export interface WalkOptions {
  /** Relative paths (and everything below them) left out, e.g. snapctl's own temp files. */
  exclude?: (relPath: string) => boolean;
  /**
   * Extended attributes already known for a path whose inode and ctime are as recorded (setting one changes
   * the ctime): given instead of asking the filesystem, one call per path that a repeat snapshot saves.
   * null when not known.
   */
  knownXattrs?: (relPath: string, ino: string, ctimeNs: string) => Record<string, string> | undefined | null;
  /** The person's excludes (gitignore patterns): a path they match is left out, a folder never descended. */
  skip?: ExcludeMatcher | null;
  /** Leave out the contents of folders holding a valid CACHEDIR.TAG, as restic and borg do. */
  cacheDirs?: boolean;
  /**
   * Lists a restore's leftover temporary files (temp-names.ts) too: only a restore, which removes them, asks.
   * Every other walk leaves them out, so no preview lists them and no snapshot keeps them.
   */
  restoreTemps?: boolean;
  /** The folder's mounts (read when the walk starts, by default). */
  boundary?: MountBoundary;
  /** Told the number of paths listed so far each time the walk lets the event loop run (a snapshot's progress). */
  onBatch?: (listed: number) => void;
}

/** Why a name of a folder is not among the entries: gone (or a restore's own temporary file), or left out. */
const GONE = null;
const LEFTOVER = Symbol('leftover');
const LEFT_OUT = Symbol('left out');
const MOUNTED = Symbol('mounted');

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
  const out: WalkResult = { entries: [], skipped: [], notes: [], excluded: [], cacheDirs: [], mounts: [] };
  const rootAbs = path.resolve(root);
  const boundary = options.boundary ?? MountBoundary.of(rootAbs);
  // Folders still to read, with their entry (none for the folder itself), to mark when some name goes unlisted.
  const pending: [string, LiveDir | null][] = [['', null]];
  let sinceYield = 0;
  while (pending.length > 0) {
    const [dirRel, dirEntry] = pending.pop() as [string, LiveDir | null];
    const { dirs, examined } = listFolder(rootAbs, dirRel, dirEntry, options, boundary, out);
    for (const d of dirs) pending.push([d.path, d]);
    sinceYield += examined;
    if (sinceYield >= BATCH) {
      sinceYield = 0;
      options.onBatch?.(out.entries.length);
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }
  return sortResult(out);
}

/** Sorting makes manifests and diffs stable, and puts every folder before what it holds. */
export function sortResult(out: WalkResult): WalkResult {
  out.entries.sort(byPath);
  // Stable: a path's notes keep the order they were found in.
  out.skipped.sort(byPath);
  out.notes.sort(byPath);
  out.excluded.sort();
  out.cacheDirs.sort();
  out.mounts.sort();
  return out;
}

export const byPath = (a: { path: string }, b: { path: string }): number => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);

/** Entries examined between two turns of the event loop (walk's batch), for other walkers built on listFolder. */
export const WALK_BATCH = BATCH;

/**
 * One folder of a walk: its names read and each described into `out` exactly as a whole walk does, marking
 * `dirEntry` when a name goes unlisted. Returns the folders found in it (to descend or not) and how many
 * names it examined. The one place a walk lists a folder, so a narrowed walk (walk-changed.ts) that lists
 * only some folders lists each of them exactly as a whole walk would.
 */
export function listFolder(rootAbs: string, dirRel: string, dirEntry: LiveDir | null, options: WalkOptions, boundary: MountBoundary, out: WalkResult): { dirs: LiveDir[]; examined: number } {
  let names: string[];
  // Plain concatenation: path.join normalises every call, measurable over tens of thousands of entries.
  const dirAbs = dirRel === '' ? rootAbs : `${rootAbs}${path.sep}${dirRel}`;
  try {
    names = readNames(dirAbs);
  } catch (err) {
    const code = errnoCode(err);
    if (dirRel !== '' && (code === 'EACCES' || code === 'EPERM' || code === 'ENOENT' || code === 'ENOTDIR' || code === 'ENAMETOOLONG')) {
      out.skipped.push({ path: dirRel, reason: `${COULD_NOT_READ_FOLDER}: ${code}` });
      if (dirEntry && code !== 'ENOENT' && code !== 'ENOTDIR') dirEntry.unlisted = true;
      return { dirs: [], examined: 0 };
    }
    throw err;
  }
  // The folder chosen is never a cache of itself: only folders below it are looked at.
  if (options.cacheDirs && dirRel !== '' && names.includes(CACHEDIR_TAG) && readsAsCacheDirTag(`${dirAbs}${path.sep}${CACHEDIR_TAG}`)) {
    out.cacheDirs.push(dirRel);
    if (dirEntry) dirEntry.unlisted = true;
    return { dirs: [], examined: 1 };
  }
  return { dirs: listNames(dirAbs, dirRel, dirEntry, names, options, boundary, out), examined: names.length + 1 };
}

/**
 * Some names of one folder described into `out` exactly as listFolder describes them (the rest of listFolder's
 * loop), marking `dirEntry` when one goes unlisted; returns the folders among them.
 */
export function listNames(dirAbs: string, dirRel: string, dirEntry: LiveDir | null, names: readonly string[], options: WalkOptions, boundary: MountBoundary, out: WalkResult): LiveDir[] {
  const dirs: LiveDir[] = [];
  for (const name of names) {
    const rel = dirRel ? `${dirRel}/${name}` : name;
    const entry = describe(`${dirAbs}${path.sep}${name}`, rel, options, boundary, out.skipped, out.notes);
    if (entry === GONE) continue;
    if (entry === LEFTOVER) { if (dirEntry) dirEntry.leftovers = true; continue; }
    if (entry === LEFT_OUT || entry === MOUNTED) {
      if (dirEntry) dirEntry.unlisted = true;
      if (entry === MOUNTED) {
        // The person's excludes say it first: an excluded mount point is simply excluded.
        if (options.skip?.(rel, true) || options.skip?.(rel, false)) out.excluded.push(rel);
        else { out.mounts.push(rel); out.notes.push({ path: rel, reason: MOUNT_NOTE }); }
      }
      continue;
    }
    if (options.skip?.(rel, entry.type === 'dir')) { out.excluded.push(rel); if (dirEntry) dirEntry.unlisted = true; continue; }
    out.entries.push(entry);
    if (entry.type === 'dir') dirs.push(entry);
  }
  return dirs;
}

/** How a folder that could not be read is named in `skipped` (the folder's own listing, not its parent's). */
export const COULD_NOT_READ_FOLDER = 'could not read folder';

/**
 * One path below `root` as `walk` would list it (the same lstat, type rules and leftovers left out), or null
 * where a walk would not list it. The caller checks that every folder on its way is a folder (lstat never
 * follows the last name, but the system follows links among the ones before it).
 */
export function describeEntry(root: string, rel: string, options: Pick<WalkOptions, 'exclude'> & { boundary: MountBoundary }): LiveEntry | null {
  const rootAbs = path.resolve(root);
  const entry = describe(`${rootAbs}${path.sep}${rel}`, rel, options, options.boundary, [], []);
  return entry === GONE || entry === LEFTOVER || entry === LEFT_OUT || entry === MOUNTED ? null : entry;
}

function describe(abs: string, rel: string, options: WalkOptions, boundary: MountBoundary, skipped: WalkResult['skipped'], notes: WalkResult['notes']): LiveEntry | typeof GONE | typeof LEFTOVER | typeof LEFT_OUT | typeof MOUNTED {
  // A mount point is never looked into, whatever filter applies (a file bind-mounted over a file too).
  if (boundary.listed(rel)) return MOUNTED;
  if (options.exclude?.(rel)) return LEFT_OUT;
  if (!options.restoreTemps && isRestoreTemp(rel)) return LEFTOVER;
  // The change journal's sync cookie (temp-names.ts): there for an instant, never part of the folder.
  if (isSyncCookie(rel)) return GONE;
  let st: BigIntStats;
  try {
    st = lstatSync(fsPath(abs), { bigint: true });
  } catch (err) {
    // Longer than the system takes (PATH_MAX): it cannot be read, so it is named and left alone, not lost.
    if (errnoCode(err) === 'ENAMETOOLONG') { skipped.push({ path: rel, reason: 'path too long for the system to read (over its PATH_MAX)' }); return LEFT_OUT; }
    // A file deleted while we walk is simply not part of this snapshot.
    return nullIfMissing(err);
  }
  if (st.isDirectory() && boundary.crosses(st)) return MOUNTED;
  const mode = Number(st.mode & 0o7777n);
  const mtimeNs = st.mtimeNs.toString();
  const uid = Number(st.uid);
  const gid = Number(st.gid);
  const ino = st.ino.toString();
  const ctimeNs = st.ctimeNs.toString();
  // null: not known, ask the filesystem; undefined: known to have none.
  const known = options.knownXattrs ? options.knownXattrs(rel, ino, ctimeNs) : null;
  const read = known === null ? readXattrs(abs) : known;
  if (read === 'unreadable') notes.push({ path: rel, reason: 'extended attributes not kept: they could not be read' });
  const xattrs = read === 'unreadable' ? undefined : read;
  // Entries written out field by field, not spread from a shared part: one object per path, 20,000 per walk.
  if (st.isDirectory()) return { path: rel, type: 'dir', mode, mtimeNs, uid, gid, ino, ctimeNs, ...(xattrs ? { xattrs } : {}) };
  if (st.isFile()) {
    // Fewer blocks than the size needs: holes, kept as holes (a 1 GiB sparse disk image stays small).
    const sparse = st.blocks * 512n < st.size;
    return { path: rel, type: 'file', mode, mtimeNs, size: Number(st.size), nlink: Number(st.nlink), sparse, ...(sparse ? { allocated: Number(st.blocks * 512n) } : {}), uid, gid, ino, ctimeNs, ...(xattrs ? { xattrs } : {}) };
  }
  if (st.isSymbolicLink()) {
    try {
      return { path: rel, type: 'symlink', mtimeNs, link: fromBytes(readlinkSync(fsPath(abs), { encoding: 'buffer' })), uid, gid, ino, ctimeNs, ...(xattrs ? { xattrs } : {}) };
    } catch (err) {
      return nullIfMissing(err);
    }
  }
  skipped.push({ path: rel, reason: st.isSocket() ? 'socket' : st.isFIFO() ? 'FIFO' : 'device or special file' });
  return LEFT_OUT;
}

/**
 * The names in a folder, every byte kept (names.ts). Read as text first, the common case; a name decoded
 * with U+FFFD may have had bytes that are not UTF-8, and only then is the folder read again as bytes.
 */
export function readNames(dirAbs: string): string[] {
  const at = fsPath(dirAbs);
  const names = readdirSync(at);
  if (!names.some((n) => n.includes('\ufffd'))) return names;
  return readdirSync(at, { encoding: 'buffer' }).map(fromBytes);
}

