import { lstat, opendir, statfs } from 'node:fs/promises';
import path from 'node:path';

/** Bytes the state folder takes on disk (allocated blocks, so sparse files and holes count as they are). */
export async function folderBytes(root: string): Promise<number | null> {
  const top = await lstat(root).catch(() => null);
  if (!top) return null;
  let total = top.blocks * 512;
  const pending = [root];
  while (pending.length > 0) {
    const dir = pending.pop() ?? root;
    const handle = await opendir(dir).catch(() => null);
    if (!handle) continue;
    for await (const entry of handle) {
      const full = path.join(dir, entry.name);
      const st = await lstat(full).catch(() => null);
      if (!st) continue; // removed meanwhile (a prune, a garbage collection)
      total += st.blocks * 512;
      if (st.isDirectory()) pending.push(full);
    }
  }
  return total;
}

/** Bytes an unprivileged user can still write on the state folder's filesystem. */
export async function freeBytes(root: string): Promise<number | null> {
  const fs = await statfs(root).catch(() => null);
  return fs ? fs.bavail * fs.bsize : null;
}
