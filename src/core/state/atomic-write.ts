import { constants as fsc } from 'node:fs';
import { open, rename, unlink } from 'node:fs/promises';
import { PRIVATE_FILE_MODE } from '../base/private-fs.js';

/**
 * Writes a file whole or not at all: a temporary file beside it (made new, never through a link), every byte
 * written, fsynced, then renamed over the name, which replaces whatever stands there (a link included) rather
 * than writing where it leads. Killed, it leaves the old file and at most a temporary one (`<name>.tmp-…`,
 * which no reader takes for its file).
 *
 * Hand-written, not write-file-atomic: that package made one write call and ignored how much it wrote, so on an
 * almost full disk (a short write, no error) it renamed a cut-short file over the index, which then read as
 * damaged; and it writes through a link to where it leads.
 */
export async function writeFileAtomic(file: string, data: string, options: { fsync?: boolean; mode?: number } = {}): Promise<void> {
  const tmp = `${file}.tmp-${process.pid}-${Math.random().toString(16).slice(2, 10)}`;
  const mode = options.mode ?? PRIVATE_FILE_MODE;
  const handle = await open(tmp, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL | fsc.O_NOFOLLOW, mode);
  try {
    // writeFile goes on after a short write, and a full disk is an error (ENOSPC), never a shorter file.
    await handle.writeFile(data);
    // The mode exactly, whatever the umask.
    await handle.chmod(mode);
    if (options.fsync ?? true) await handle.sync();
    await handle.close();
    await rename(tmp, file);
  } catch (err) {
    await handle.close().catch(() => undefined);
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
}
