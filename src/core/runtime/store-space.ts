import { lstat, opendir, stat, statfs } from 'node:fs/promises';
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

/**
 * The state folder's size for the steady gauge, walked again only once the folder changed: a store of 200,000
 * objects took the running app ~0.6 s of CPU and as many lstat calls every minute, beside the snapshots it
 * takes. What changes the store's size changes the modification time of one of these too (a snapshot writes a
 * manifest, a record and the index; a deletion removes them; a collection follows one of those).
 */
export class StoreBytes {
  private last: { key: string; bytes: number | null } | null = null;

  constructor(private readonly root: string, private readonly walk: (root: string) => Promise<number | null> = folderBytes) {}

  async read(): Promise<number | null> {
    const key = await this.signature();
    if (this.last?.key === key) return this.last.bytes;
    const bytes = await this.walk(this.root);
    this.last = { key, bytes };
    return bytes;
  }

  private async signature(): Promise<string> {
    const places = ['', 'store.json', 'clone', 'clone/manifests', 'clone/records', 'clone/objects', 'clone/pending', 'clone/trash', 'paths'];
    const times = await Promise.all(places.map((p) => stat(path.join(this.root, p), { bigint: true }).then((st) => `${st.mtimeNs}:${st.size}`, () => '-')));
    return times.join('|');
  }
}
