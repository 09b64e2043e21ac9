import { chmod, lstat, mkdir, readlink, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { SnapctlError } from './errors.js';

/**
 * Makes `dir` (and its missing parents) readable by its owner only, whatever the umask: snapctl's state
 * names every watched path, tag and note, and holds copies of the user's files. Folders that already exist
 * are left as they are (a state folder an administrator set up keeps its modes). A folder of the state folder
 * that is a symbolic link is refused: what snapctl writes there would land where the link leads. Only the
 * state folder itself may be reached through a link (`mayBeLink`: SNAPCTL_HOME on another disk).
 */
export async function mkdirPrivate(dir: string, options: { mayBeLink?: boolean } = {}): Promise<void> {
  const first = await mkdir(dir, { recursive: true, mode: 0o700 });
  if (first === undefined) {
    if (!options.mayBeLink) await assertNotLink(dir);
    return;
  }
  // mkdir's mode passes through the umask; chmod does not. Every folder made here, from the first down.
  for (let d = path.resolve(dir); ; d = path.dirname(d)) {
    await chmod(d, 0o700);
    if (d === path.resolve(first) || path.dirname(d) === d) break;
  }
}

/** Refuses a folder of the state folder that is a symbolic link (or gone), in words that say what to do. */
export async function assertNotLink(dir: string): Promise<void> {
  const st = await lstat(dir).catch(() => null);
  if (st === null || st.isDirectory()) return;
  if (st.isSymbolicLink()) {
    throw new SnapctlError('failed', `${dir} in snapctl's state folder is a symbolic link to ${await readlink(dir).catch(() => 'somewhere else')}: snapctl never writes its state through a link`,
      'move the link aside and put the folder back in its place (or remove it: snapctl makes it again); nothing was changed');
  }
  throw new SnapctlError('failed', `${dir} in snapctl's state folder is not a folder`, 'move it aside; snapctl makes the folder again; nothing was changed');
}

/** The mode of every file snapctl writes into its state folder. */
export const PRIVATE_FILE_MODE = 0o600;

/**
 * Writes a new small private file (a lease, a marker) with one write: killed, it leaves no file, an empty one
 * or the whole one, never a temporary file beside it as an atomic rename would. Readers give an empty or
 * unreadable one a few seconds (see isFresh) before they take it for a killed writer's.
 */
export async function writeSmallFile(file: string, text: string): Promise<void> {
  await writeFile(file, text, { flag: 'wx', mode: PRIVATE_FILE_MODE });
}

/** A file written within the last few seconds: its writer may still be at it. */
export async function isFresh(file: string, ms = 10_000): Promise<boolean> {
  const st = await stat(file).catch(() => null);
  return st !== null && Date.now() - st.mtimeMs < ms;
}
