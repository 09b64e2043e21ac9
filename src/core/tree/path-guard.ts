import { lstatSync, realpathSync } from 'node:fs';
import { SnapctlError, errnoCode } from '../base/errors.js';
import { fsPath, hasEscapes, shownName, type FsPath } from './names.js';
import { MountBoundary } from './mount-points.js';

/**
 * The restore's hold on the folder: the folder itself by device and inode, and every folder on the way to a
 * path checked with lstat right before a change, so no write follows a link someone put there meanwhile.
 */
export class PathGuard {
  private readonly dev: number;
  private readonly ino: number;
  /** Filesystems mounted inside the folder: never entered (the restore's filters keep it out; this holds it). */
  private readonly mounts: MountBoundary;

  constructor(readonly root: string) {
    const st = lstatSync(fsPath(root), { throwIfNoEntry: false });
    if (!st) throw new SnapctlError('not-found', `the folder ${shownName(root)} does not exist`, 'nothing was changed');
    if (st.isSymbolicLink() || !st.isDirectory()) {
      throw new SnapctlError('failed', `${shownName(root)} is no longer a folder but ${st.isSymbolicLink() ? 'a symbolic link' : 'a file'}: a rollback never writes through it`, 'put the folder back where it was, or move the link aside; the rollback then finishes');
    }
    // A folder above it swapped for a link would move the whole restore elsewhere.
    const real = realpathSync(fsPath(root), { encoding: 'buffer' });
    if (!real.equals(Buffer.from(fsPath(root)))) {
      throw new SnapctlError('failed', `${shownName(root)} is now reached through a symbolic link: a rollback never writes through it`, 'put the folder back where it was; the rollback then finishes');
    }
    this.dev = st.dev;
    this.ino = st.ino;
    this.mounts = MountBoundary.of(root);
  }

  abs(rel: string): string {
    return rel === '' ? this.root : `${this.root}/${rel}`;
  }

  /** Folder identities (inode numbers) as walked or made: a folder reached must be the very one. */
  private readonly inodes = new Map<string, string>();

  know(rel: string, ino: string): void {
    this.inodes.set(rel, ino);
  }

  forget(rel: string): void {
    this.inodes.delete(rel);
  }

  /**
   * Runs `fn` with the working directory on `dir` itself, reached one folder at a time from the folder's top:
   * each step is an lstat and a `chdir` relative to the folder already held, then checked by device and
   * inode (and against the inode the walk found). The working directory holds a folder, not its path, so no
   * link swapped in anywhere on the way can lead a change elsewhere (Node has no openat; this is how the
   * restore gets its guarantee). `fn` is synchronous: nothing else runs while the working directory is
   * moved. A folder whose name is not UTF-8 cannot be chdir'd to: from there on, the way is given as bytes
   * relative to the last folder held, each step lstat-checked just before.
   */
  inside<T>(dir: string, fn: (at: (name: string) => FsPath) => T): T {
    const previous = safeCwd();
    try {
      process.chdir(this.root);
      const top = lstatSync('.');
      if (top.dev !== this.dev || top.ino !== this.ino) this.stop('');
      let rest = '';
      let walked = '';
      for (const part of dir === '' ? [] : dir.split('/')) {
        walked = walked === '' ? part : `${walked}/${part}`;
        const here = rest === '' ? part : `${rest}/${part}`;
        const st = lstatSync(fsPath(here), { throwIfNoEntry: false });
        const known = this.inodes.get(walked);
        if (!st || st.isSymbolicLink() || !st.isDirectory() || (known !== undefined && String(st.ino) !== known)) this.stop(walked);
        if (this.mounts.listed(walked) || (st.dev !== this.dev && st.ino !== SUBVOLUME_ROOT_INO)) this.stopAtMount(walked);
        if (rest !== '' || hasEscapes(part)) { rest = here; continue; }
        process.chdir(part);
        const now = lstatSync('.');
        if (now.dev !== st.dev || now.ino !== st.ino) this.stop(walked);
      }
      // The last name of the folder's own handed out (not a temporary one) is the path an error concerns.
      let named: string | null = null;
      try {
        return fn((name) => {
          if (!name.startsWith('.snapctl-restore-')) named = name;
          return fsPath(rest === '' ? name : `${rest}/${name}`);
        });
      } catch (err) {
        const rel = named === null ? dir : dir === '' ? named : `${dir}/${named}`;
        if (err instanceof Error && !(err instanceof SnapctlError) && errnoCode(err) !== undefined && restorePathOf(err) === undefined) {
          Object.assign(err, { [RESTORE_PATH]: { root: this.root, path: rel } });
        }
        throw err;
      }
    } finally {
      process.chdir(previous);
    }
  }

  private stopAtMount(part: string): never {
    throw new SnapctlError('failed', `the rollback stopped without writing: ${shownName(part)} in ${shownName(this.root)} is another filesystem mounted there, and a rollback never writes into one`,
      "any snapctl command finishes the rollback leaving it alone; 'snapctl undo' then returns to the state before");
  }

  private stop(part: string): never {
    const what = part === '' ? 'the folder itself' : shownName(part);
    throw new SnapctlError('failed', `the rollback stopped without writing: ${what} in ${shownName(this.root)} was replaced while it ran (a link or a file stands where a folder was)`,
      "once the folder is as it was (or the link is moved aside), any snapctl command finishes the rollback; 'snapctl undo' then returns to the state before");
  }
}

/** A btrfs subvolume's root folder: another device id, the same filesystem (see MountBoundary). */
const SUBVOLUME_ROOT_INO = 256;

const RESTORE_PATH = Symbol('restore path');

/**
 * The path (relative to the folder, '' for the folder itself) and the folder an error of a restore concerns:
 * a system error names only a bare name, since every change is made from inside its own folder.
 */
export function restorePathOf(err: unknown): { root: string; path: string } | undefined {
  if (typeof err !== 'object' || err === null || !(RESTORE_PATH in err)) return undefined;
  const at = (err as { [RESTORE_PATH]: unknown })[RESTORE_PATH];
  return typeof at === 'object' && at !== null && 'root' in at && 'path' in at && typeof at.root === 'string' && typeof at.path === 'string' ? { root: at.root, path: at.path } : undefined;
}

/** Where the working directory is, to come back to; the filesystem root if it no longer exists. */
function safeCwd(): string {
  try {
    return process.cwd();
  } catch {
    return '/';
  }
}
