import { lstat, opendir, readdir, stat, statfs } from 'node:fs/promises';
import path from 'node:path';

/** Bytes the state folder takes on disk (allocated blocks, so sparse files and holes count as they are). */
export async function folderBytes(root: string, shards?: ShardCache): Promise<number | null> {
  const top = await lstat(root).catch(() => null);
  if (!top) return null;
  let total = top.blocks * 512;
  const pending = [root];
  const seen = new Set<string>();
  const started = Date.now();
  while (pending.length > 0) {
    const dir = pending.pop() ?? root;
    if (shards && SHARD.test(dir)) {
      seen.add(dir);
      total += await shardBytes(dir, shards, started);
      continue;
    }
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
  if (shards) for (const dir of shards.keys()) if (!seen.has(dir)) shards.delete(dir);
  return total;
}

/** What a walk learnt of each folder of the clone store's objects (objects/ab): its mtime, each object's bytes. */
export type ShardCache = Map<string, { mtimeNs: bigint; bytes: Map<string, number>; total: number }>;

const SHARD = /[/\\]clone[/\\]objects[/\\][0-9a-f]{2}$/;

/**
 * The bytes of the objects in one folder of the store. An object never changes once it has its name, so only
 * the names new since the last walk are lstat'd, and a folder whose mtime did not move is not read at all:
 * a 200,000-object store cost a walk of 200,000 lstat calls a minute while snapshots were taken (a healed
 * object renamed over its name keeps the bytes counted for it, the same content's).
 */
async function shardBytes(dir: string, shards: ShardCache, started: number): Promise<number> {
  const st = await lstat(dir, { bigint: true }).catch(() => null);
  if (!st) return 0;
  const known = shards.get(dir);
  if (known && known.mtimeNs === st.mtimeNs) return known.total;
  const names = await readdir(dir).catch(() => [] as string[]);
  const bytes = new Map<string, number>();
  let total = 0;
  for (const name of names) {
    let b = known?.bytes.get(name);
    if (b === undefined) {
      const o = await lstat(path.join(dir, name)).catch(() => null);
      if (!o) continue;
      b = o.blocks * 512;
    }
    bytes.set(name, b);
    total += b;
  }
  // A folder changed within the last two seconds may change again within its mtime's tick: read it next time.
  if (Number(st.mtimeNs / 1_000_000n) < started - 2000) shards.set(dir, { mtimeNs: st.mtimeNs, bytes, total });
  else shards.delete(dir);
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
  private readonly shards: ShardCache = new Map();

  constructor(private readonly root: string, private readonly walk: (root: string, shards: ShardCache) => Promise<number | null> = folderBytes) {}

  async read(): Promise<number | null> {
    const key = await this.signature();
    if (this.last?.key === key) return this.last.bytes;
    const bytes = await this.walk(this.root, this.shards);
    this.last = { key, bytes };
    return bytes;
  }

  private async signature(): Promise<string> {
    const places = ['', 'store.json', 'clone', 'clone/manifests', 'clone/records', 'clone/objects', 'clone/pending', 'clone/trash', 'paths'];
    const times = await Promise.all(places.map((p) => stat(path.join(this.root, p), { bigint: true }).then((st) => `${st.mtimeNs}:${st.size}`, () => '-')));
    return times.join('|');
  }
}
