import { open } from 'node:fs/promises';
import type { LiveEntry } from './walk.js';
import { sameMtime, type FileEntry } from './manifest.js';

type LiveFile = Extract<LiveEntry, { type: 'file' }>;

/**
 * What size, mtime, inode and ctime say about a file on disk against a snapshot's entry, as git's index
 * decides: `same` when all agree; `differs` when the size does; `check` when the size agrees but the mtime,
 * the inode or the ctime does not, since content can change with size and mtime kept (`cp -p`, `rsync -t`,
 * `tar x`, `touch -r`): only its bytes can tell. Entries without inode and ctime (manifests written before
 * they were recorded) are judged by size and mtime alone.
 */
export function quickMatch(live: LiveFile, entry: FileEntry): 'same' | 'differs' | 'check' {
  if (live.size !== entry.size) return 'differs';
  if (!sameMtime(live.mtimeNs, entry.mtimeNs)) return 'check';
  if (entry.ino === undefined || entry.ctimeNs === undefined) return 'same';
  return live.ino === entry.ino && live.ctimeNs === entry.ctimeNs ? 'same' : 'check';
}

const CHUNK = 256 * 1024;

/** True when the two files hold the same bytes. */
export async function sameContent(a: string | Buffer, b: string | Buffer): Promise<boolean> {
  // Opened one after the other: when the second cannot be opened, the first is closed, not left to the GC.
  const fa = await open(a, 'r');
  const fb = await open(b, 'r').catch(async (err: unknown) => { await fa.close(); throw err; });
  try {
    const ba = Buffer.allocUnsafe(CHUNK);
    const bb = Buffer.allocUnsafe(CHUNK);
    for (;;) {
      const [ra, rb] = await Promise.all([fa.read(ba, 0, CHUNK, null), fb.read(bb, 0, CHUNK, null)]);
      if (ra.bytesRead !== rb.bytesRead) return false;
      if (ra.bytesRead === 0) return true;
      if (!ba.subarray(0, ra.bytesRead).equals(bb.subarray(0, rb.bytesRead))) return false;
    }
  } finally {
    await Promise.all([fa.close(), fb.close()]);
  }
}
