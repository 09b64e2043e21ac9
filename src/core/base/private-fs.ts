import { chmod, mkdir } from 'node:fs/promises';
import path from 'node:path';

/**
 * Makes `dir` (and its missing parents) readable by its owner only, whatever the umask: snapctl's state
 * names every watched path, tag and note, and holds copies of the user's files. Folders that already exist
 * are left as they are (a state folder an administrator set up keeps its modes).
 */
export async function mkdirPrivate(dir: string): Promise<void> {
  const first = await mkdir(dir, { recursive: true, mode: 0o700 });
  if (first === undefined) return;
  // mkdir's mode passes through the umask; chmod does not. Every folder made here, from the first down.
  for (let d = path.resolve(dir); ; d = path.dirname(d)) {
    await chmod(d, 0o700);
    if (d === path.resolve(first) || path.dirname(d) === d) break;
  }
}

/** The mode of every file snapctl writes into its state folder. */
export const PRIVATE_FILE_MODE = 0o600;
