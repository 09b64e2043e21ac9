import { closeSync, constants as fsConstants, fstatSync, lstatSync, openSync, readSync } from 'node:fs';
import path from 'node:path';
import type { PathFilter } from './path-filter.js';
import { fsPath } from './names.js';
import type { SnapshotExclusions } from '../../shared/model.js';
import { MountBoundary } from './mount-points.js';

/**
 * The first line of a valid CACHEDIR.TAG (https://bford.info/cachedir/): restic's and borg's
 * `--exclude-caches` look for exactly these bytes, and so does snapctl.
 */
export const CACHEDIR_SIGNATURE = 'Signature: 8a477f597d28d172789f06886806bc55';
export const CACHEDIR_TAG = 'CACHEDIR.TAG';

export { MAX_PATTERN_LENGTH, MAX_PATTERNS, excludePatternProblem } from '../../shared/excludes.js';

/**
 * What a snapshot left out, kept on its record (see SnapshotExclusions): a rollback to it leaves those paths
 * alone, since the snapshot has nothing to put there and removing them as "added since" would lose them.
 */
export type Exclusions = SnapshotExclusions;

/** Whether a file's first bytes are a valid CACHEDIR.TAG. */
export function isCacheDirTag(head: Buffer): boolean {
  return head.subarray(0, CACHEDIR_SIGNATURE.length).toString('latin1') === CACHEDIR_SIGNATURE;
}

/** Reads the first bytes of `abs` and says whether it is a valid CACHEDIR.TAG (false when unreadable). */
export function readsAsCacheDirTag(abs: string): boolean {
  let fd: number;
  // Without blocking and without following a link: a named pipe called CACHEDIR.TAG would hang the open (and
  // with it a snapshot, a preview, the whole of 'snapctl serve'); only a regular file is a tag.
  // Most folders hold no tag: asked without an exception (an open that fails throws one, a cost per folder).
  try { if (lstatSync(fsPath(abs), { throwIfNoEntry: false })?.isFile() !== true) return false; } catch { return false; }
  try { fd = openSync(fsPath(abs), fsConstants.O_RDONLY | fsConstants.O_NONBLOCK | fsConstants.O_NOFOLLOW); } catch { return false; }
  try {
    if (!fstatSync(fd).isFile()) return false;
    const head = Buffer.alloc(CACHEDIR_SIGNATURE.length);
    const n = readSync(fd, head, 0, head.length, 0);
    return n === head.length && isCacheDirTag(head);
  } catch {
    return false;
  } finally {
    closeSync(fd);
  }
}

/** Tests one relative path (`/`-separated) against gitignore patterns, knowing whether it is a folder. */
export type ExcludeMatcher = (relPath: string, isDir: boolean) => boolean;

/**
 * The matcher of a list of gitignore patterns, or null when there are none. Loaded on first use: `ignore`
 * is only needed by commands that walk a folder, never by `snapctl list`.
 */
export async function excludeMatcher(patterns: readonly string[]): Promise<ExcludeMatcher | null> {
  if (patterns.length === 0) return null;
  const { default: ignore } = await import('ignore');
  const ig = ignore({ allowRelativePaths: true }).add([...patterns]);
  return (relPath, isDir) => ig.ignores(isDir ? `${relPath}/` : relPath);
}

/** True when `relPath` is strictly inside one of `dirs`. */
function insideAny(relPath: string, dirs: ReadonlySet<string>): boolean {
  for (let i = relPath.indexOf('/'); i !== -1; i = relPath.indexOf('/', i + 1)) {
    if (dirs.has(relPath.slice(0, i))) return true;
  }
  return false;
}

/**
 * The paths a rollback leaves alone: those the patterns of any of `sets` exclude (each set on its own, so a
 * negation in one never brings back what another left out; tested as a file and as a folder, since the
 * restore's filter does not know which: leaving one more path alone never loses a file), those inside a
 * folder recorded as holding a CACHEDIR.TAG, and, with `probe`, inside any folder of `root` holding one now
 * (what a safety snapshot that walks would skip; filesystem snapshots hold everything) and every filesystem
 * mounted inside `root` now, with all it holds (see MountBoundary: a rollback never deletes, replaces or
 * writes there, whatever the snapshot held at that path). Null when nothing is left alone.
 */
export async function leaveAloneFilter(sets: readonly (Exclusions | null | undefined)[], probe?: { root: string }): Promise<PathFilter | null> {
  const matchers = (await Promise.all(sets.map((e) => excludeMatcher(e?.patterns ?? [])))).filter((m): m is ExcludeMatcher => m !== null);
  const recorded = new Set(sets.flatMap((e) => e?.cacheDirs ?? []));
  if (matchers.length === 0 && recorded.size === 0 && !probe) return null;
  const probed = new Map<string, boolean>();
  const isCacheDirNow = (dir: string): boolean => {
    let known = probed.get(dir);
    if (known === undefined) {
      known = probe ? readsAsCacheDirTag(path.join(probe.root, dir, CACHEDIR_TAG)) : false;
      probed.set(dir, known);
    }
    return known;
  };
  const mounts = probe ? mountsIn(probe.root) : null;
  return (p) => {
    for (const m of matchers) if (m(p, false) || m(p, true)) return true;
    if (recorded.size > 0 && insideAny(p, recorded)) return true;
    if (mounts?.(p)) return true;
    if (probe) for (let i = p.indexOf('/'); i !== -1; i = p.indexOf('/', i + 1)) if (isCacheDirNow(p.slice(0, i))) return true;
    return false;
  };
}

/**
 * Whether a path is a mount point inside `root` now, or below one. By the system's table where it has one;
 * elsewhere each folder on the way is asked its device id (once).
 */
function mountsIn(root: string): (p: string) => boolean {
  const boundary = MountBoundary.of(root);
  if (boundary.complete) {
    if (boundary.points.size === 0) return () => false;
    return (p) => boundary.points.has(p) || insideAny(p, boundary.points);
  }
  const crossing = new Map<string, boolean>();
  const crosses = (dir: string): boolean => {
    let known = crossing.get(dir);
    if (known === undefined) {
      const st = lstatSync(fsPath(path.join(root, dir)), { bigint: true, throwIfNoEntry: false });
      known = st !== undefined && st.isDirectory() && boundary.crosses(st);
      crossing.set(dir, known);
    }
    return known;
  };
  return (p) => {
    if (boundary.points.has(p)) return true;
    for (let i = p.indexOf('/'); i !== -1; i = p.indexOf('/', i + 1)) if (crosses(p.slice(0, i))) return true;
    return crosses(p);
  };
}
