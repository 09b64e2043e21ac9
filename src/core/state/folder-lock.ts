import { lstat, mkdir, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SnapctlError, errnoCode, nullIfMissing } from '../base/errors.js';

/**
 * Where this user's snapctl processes meet whatever state folder (SNAPCTL_HOME) each uses: $XDG_RUNTIME_DIR
 * (private to the user by definition), else a folder of the user's own in the temporary folder. A folder
 * there that another user made, or a link, is refused: it could let them block or watch snapctl.
 */
export async function runtimeDir(env: NodeJS.ProcessEnv): Promise<string> {
  const xdg = env['XDG_RUNTIME_DIR'];
  const uid = process.getuid?.() ?? 0;
  const fallback = path.join(tmpdir(), `snapctl-${uid}`);
  let dir = xdg && path.isAbsolute(xdg) ? path.join(xdg, 'snapctl') : fallback;
  if (!(await makeDir(dir)) && dir !== fallback) {
    dir = fallback;
    await makeDir(dir);
  }
  const st = await lstat(dir);
  if (!st.isDirectory() || (process.getuid && st.uid !== uid) || (st.mode & 0o077) !== 0) {
    throw new SnapctlError('failed', `${dir} is not a private folder of this user, so snapctl cannot keep one rollback at a time on a folder`,
      `remove it (it may have been made by another user), or set XDG_RUNTIME_DIR to a folder only you can write`);
  }
  return dir;
}

/** Makes `dir` (0700, never through a link); false when its parent does not exist. */
async function makeDir(dir: string): Promise<boolean> {
  try {
    await mkdir(dir, { mode: 0o700 });
    return true;
  } catch (err) {
    if (errnoCode(err) === 'EEXIST') return true;
    if (errnoCode(err) === 'ENOENT') return false;
    throw err;
  }
}

/**
 * The lock file for a folder itself (its device and inode), whichever state folder and path name reach it:
 * two SNAPCTL_HOMEs, or a path through a symlink, never roll one folder back at the same time. Null when the
 * folder does not exist (a rollback that recreates a deleted folder is held by the state folder's lock).
 */
export async function folderLockPath(dir: string, target: string): Promise<string | null> {
  const st = await stat(target, { bigint: true }).catch(nullIfMissing);
  return st === null ? null : path.join(dir, `folder-${st.dev}-${st.ino}.lock`);
}
