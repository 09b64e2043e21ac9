import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { isObject } from '../../base/checks.js';
import { withLock } from '../../state/locks.js';
import { storedBytes, type Manifest } from '../../tree/manifest.js';

/**
 * What each clone snapshot costs: `space.json` beside the pool keeps, for every object, its size, how many
 * snapshots name it, the one snapshot that does when only one does, and the one folder all of them are of
 * when there is one. From that, a snapshot's unique bytes (what deleting it frees) and a folder's bytes (what
 * deleting all its snapshots frees) are sums, kept up to date as snapshots come and go.
 *
 * It is an index, like store.json: never trusted blindly. Each read checks it covers exactly the snapshots
 * asked about; missing, damaged or stale, it is rebuilt from the manifests. A creation adds its manifest; a
 * deletion takes its manifest away and finds, among the others, the one snapshot left naming each object
 * it shared with a single other.
 */
interface SpaceFile {
  version: 1;
  /** Folders, by number (objects name their folder by it). */
  folders: string[];
  /** Each snapshot (manifest id): its unique bytes and its folder's number. */
  snapshots: Record<string, [unique: number, folder: number]>;
  /** Each object: size, references, sole owner (null when shared), sole folder (-1 when in more than one). */
  objects: Record<string, [size: number, refs: number, owner: string | null, folder: number]>;
  /**
   * Snapshots whose manifest could not be read when the index was built (missing or damaged; manifests never
   * change), with their folder's number: their cost is unknown, and the index still covers them, so the next
   * read does not try them all again. Older versions ignore the key and rebuild.
   */
  unread?: Record<string, number>;
}

export interface SpaceReport {
  /** Bytes deleting each snapshot would free (null: its data could not be read). */
  unique: Map<string, number | null>;
  /** Bytes deleting every snapshot of a folder would free (objects no other folder's snapshot names). */
  folderBytes: Map<string, number>;
  /** Bytes of every object the snapshots name. */
  total: number;
}

type ManifestSource = (id: string) => Promise<Manifest>;
/** The ids of the manifests that exist, listed at once; null when the store cannot tell. */
type ManifestList = () => Promise<ReadonlySet<string> | null>;

/** The distinct objects of a manifest, with their sizes. */
function objectsOf(manifest: Manifest): Map<string, number> {
  const out = new Map<string, number>();
  for (const e of manifest.entries) if (e.type === 'file' && !out.has(e.oid)) out.set(e.oid, storedBytes(e));
  return out;
}

function isSpaceFile(v: unknown): v is SpaceFile {
  if (!isObject(v) || v['version'] !== 1 || !Array.isArray(v['folders']) || !isObject(v['snapshots']) || !isObject(v['objects'])) return false;
  const folders = v['folders'].length;
  if (!v['folders'].every((f) => typeof f === 'string')) return false;
  const count = (n: unknown): boolean => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;
  for (const s of Object.values(v['snapshots'])) {
    if (!Array.isArray(s) || s.length !== 2 || !count(s[0]) || !count(s[1]) || (s[1] as number) >= folders) return false;
  }
  for (const o of Object.values(v['objects'])) {
    if (!Array.isArray(o) || o.length !== 4 || !count(o[0]) || !count(o[1]) || (o[1] as number) < 1) return false;
    if (o[2] !== null && typeof o[2] !== 'string') return false;
    if (typeof o[3] !== 'number' || !Number.isSafeInteger(o[3]) || o[3] < -1 || o[3] >= folders) return false;
  }
  const unread = v['unread'];
  if (unread !== undefined) {
    if (!isObject(unread)) return false;
    for (const [id, f] of Object.entries(unread)) if (!count(f) || (f as number) >= folders || id in v['snapshots']) return false;
  }
  return true;
}

export class SpaceIndex {
  readonly file: string;
  private readonly lock: string;

  constructor(root: string, private readonly manifest: ManifestSource, private readonly manifestIds: ManifestList = async () => null) {
    this.file = path.join(root, 'space.json');
    this.lock = path.join(root, 'space.lock');
  }

  private async locked<T>(fn: () => Promise<T>): Promise<T> {
    return withLock(this.lock, { waitMs: 60_000, what: "the clone store's space index" }, fn);
  }

  private async read(): Promise<SpaceFile | null> {
    const text = await readFile(this.file, 'utf8').catch(() => null);
    if (text === null) return null;
    try {
      const raw: unknown = JSON.parse(text);
      return isSpaceFile(raw) ? raw : null;
    } catch {
      return null;
    }
  }

  /**
   * Written beside and renamed into place, without the atomic-write package: `snapctl list` rebuilds a stale
   * index and must start without loading it. No fsync: an index lost to a power cut is rebuilt.
   */
  private async write(index: SpaceFile): Promise<void> {
    const tmp = `${this.file}.${process.pid}.${Date.now()}.tmp`;
    try {
      await writeFile(tmp, JSON.stringify(index), { mode: 0o600 });
      await rename(tmp, this.file);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
  }

  /** A new snapshot's manifest counted in. An index that is missing or damaged is left for the next read to rebuild. */
  async added(manifest: Manifest): Promise<void> {
    await this.locked(async () => {
      const index = await this.read();
      if (!index || index.snapshots[manifest.id]) return;
      if (index.unread) delete index.unread[manifest.id];
      add(index, manifest);
      await this.write(index);
    });
  }

  /** A deleted snapshot's manifest counted out (read before the manifest goes). */
  async removed(manifest: Manifest): Promise<void> {
    await this.locked(async () => {
      const index = await this.read();
      if (index?.unread?.[manifest.id] !== undefined) {
        delete index.unread[manifest.id];
        await this.write(index);
        return;
      }
      if (!index?.snapshots[manifest.id]) return;
      const ok = await remove(index, manifest, this.manifest);
      if (ok) await this.write(index);
      else await rm(this.file, { force: true });
    });
  }

  /** The costs of exactly these snapshots (manifest id -> folder), rebuilt first when the index does not cover them. */
  async report(snapshots: ReadonlyMap<string, string>): Promise<SpaceReport> {
    if (snapshots.size === 0) return { unique: new Map(), folderBytes: new Map(), total: 0 };
    let index = await this.read();
    if (!index || !covers(index, snapshots)) {
      // Rebuilt without the lock (reads must stay light): a create counting itself in meanwhile may be lost
      // by this write, which the next read finds (the index no longer covers the store) and rebuilds.
      index = (await this.rebuild(snapshots)).index;
      await this.write(index).catch(() => undefined);
    }
    return reportOf(index, snapshots);
  }

  private async rebuild(snapshots: ReadonlyMap<string, string>): Promise<{ index: SpaceFile }> {
    const index: SpaceFile = { version: 1, folders: [], snapshots: {}, objects: {}, unread: {} };
    // One listing instead of an open per snapshot whose manifest is missing (10,000 failed opens per `list`
    // of a store whose data is gone, an index that could not be written, or the bench's records).
    const present = await this.manifestIds().catch(() => null);
    for (const [id, target] of snapshots) {
      // A manifest that cannot be read is unread: its snapshot's cost is unknown (null), never a guess.
      const manifest = present && !present.has(id) ? null : await this.manifest(id).catch(() => null);
      if (manifest) add(index, { ...manifest, target });
      else (index.unread ??= {})[id] = folderNumber(index, target);
    }
    return { index };
  }
}

function folderNumber(index: SpaceFile, target: string): number {
  const at = index.folders.indexOf(target);
  if (at !== -1) return at;
  index.folders.push(target);
  return index.folders.length - 1;
}

function add(index: SpaceFile, manifest: Manifest): void {
  const folder = folderNumber(index, manifest.target);
  const entry: [number, number] = [0, folder];
  index.snapshots[manifest.id] = entry;
  for (const [oid, size] of objectsOf(manifest)) {
    const o = index.objects[oid];
    if (!o) { index.objects[oid] = [size, 1, manifest.id, folder]; entry[0] += size; continue; }
    if (o[1] === 1 && o[2] !== null) {
      const owner = index.snapshots[o[2]];
      if (owner) owner[0] -= o[0];
    }
    o[1]++;
    o[2] = null;
    if (o[3] !== folder) o[3] = -1;
  }
}

/** Returns false when the index disagrees with the manifest (then it is dropped and rebuilt on the next read). */
async function remove(index: SpaceFile, manifest: Manifest, read: ManifestSource): Promise<boolean> {
  delete index.snapshots[manifest.id];
  const orphaned = new Set<string>();
  for (const oid of objectsOf(manifest).keys()) {
    const o = index.objects[oid];
    if (!o) return false;
    o[1]--;
    if (o[1] === 0) delete index.objects[oid];
    else if (o[1] === 1) { o[2] = null; orphaned.add(oid); }
  }
  // The one snapshot still naming each of these now frees it on deletion: found among the others, newest first
  // (a deleted snapshot shares most with its neighbours).
  for (const id of Object.keys(index.snapshots).sort().reverse()) {
    if (orphaned.size === 0) break;
    const other = await read(id).catch(() => null);
    if (!other) return false;
    for (const [oid] of objectsOf(other)) {
      if (!orphaned.has(oid)) continue;
      const o = index.objects[oid];
      const owner = index.snapshots[id];
      if (!o || !owner) return false;
      o[2] = id;
      owner[0] += o[0];
      orphaned.delete(oid);
    }
  }
  return orphaned.size === 0;
}

function covers(index: SpaceFile, snapshots: ReadonlyMap<string, string>): boolean {
  const ids = Object.keys(index.snapshots);
  const unread = Object.entries(index.unread ?? {});
  if (ids.length + unread.length !== snapshots.size) return false;
  for (const id of ids) if (index.folders[index.snapshots[id]?.[1] ?? -1] !== snapshots.get(id)) return false;
  for (const [id, folder] of unread) if (index.folders[folder] !== snapshots.get(id)) return false;
  return true;
}

function reportOf(index: SpaceFile, snapshots: ReadonlyMap<string, string>): SpaceReport {
  const unique = new Map<string, number | null>();
  for (const id of snapshots.keys()) unique.set(id, index.snapshots[id]?.[0] ?? null);
  const folderBytes = new Map<string, number>();
  let total = 0;
  for (const [size, , , folder] of Object.values(index.objects)) {
    total += size;
    if (folder < 0) continue;
    const name = index.folders[folder];
    if (name !== undefined) folderBytes.set(name, (folderBytes.get(name) ?? 0) + size);
  }
  return { unique, folderBytes, total };
}
