import { constants as fsc, copyFileSync, mkdirSync } from 'node:fs';
import { chmod, copyFile, mkdir, readdir, readFile, rm, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '../../state/atomic-write.js';
import { copiesAreClones } from '../../base/fs-types.js';
import { nativeReflink, type Reflink } from './reflink.js';
import { SnapctlError, errnoCode, nullIfMissing } from '../../base/errors.js';
import { isAlive } from '../../state/locks.js';
import { checkManifest, type ContentSource, type FileEntry, type Manifest } from '../../tree/manifest.js';
import { nodeCrypto } from '../../base/lazy-crypto.js';

/**
 * The clone provider's on-disk store:
 *   objects/ab/<oid>    file contents, immutable once written; shared by every snapshot that has the file
 *   manifests/<id>.json what one snapshot holds (paths, modes, mtimes, links, object ids)
 *   pending/<id>.json   a lease held while a snapshot is being written, so garbage collection spares its
 *                       objects before its manifest exists
 */
export class ClonePool implements ContentSource {
  private readonly madeDirs = new Set<string>();
  private readonly manifests = new Map<string, Manifest>();
  private readonly clonesFrom = new Map<string, boolean>();
  private randomPool = Buffer.alloc(0);
  private randomOffset = 0;

  private readonly objectsRoot: string;

  /**
   * `reflink` clones small files where copies are clones (see addObjectSync); tests pass one that fails to
   * check the fallback.
   */
  constructor(readonly root: string, private reflink: Reflink | null | undefined = undefined) {
    this.objectsRoot = path.join(root, 'objects');
  }

  get objectsDir(): string { return this.objectsRoot; }
  get manifestsDir(): string { return path.join(this.root, 'manifests'); }
  get pendingDir(): string { return path.join(this.root, 'pending'); }

  /** Built by concatenation: path.join normalises on every call (bench/README.md, "Forms the code keeps"). */
  objectPath(oid: string): string {
    return `${this.objectsRoot}${path.sep}${oid.slice(0, 2)}${path.sep}${oid}`;
  }

  contentPath(entry: FileEntry): string {
    return this.objectPath(entry.oid);
  }

  manifestPath(id: string): string {
    return path.join(this.manifestsDir, `${id}.json`);
  }

  /**
   * Copies `source` into a new object. COPYFILE_FICLONE makes it a copy-on-write clone where the filesystem
   * has them (reflink on btrfs/XFS, clonefile on APFS) and an ordinary copy elsewhere.
   */
  async addObject(source: string): Promise<string> {
    const { oid, dest } = this.newObject();
    await copyFile(source, dest, fsc.COPYFILE_FICLONE);
    return oid;
  }

  /**
   * A fresh object id and its path, its folder made on first use: one mkdir per folder per process, direct
   * (at most 256 of them), so the async and the direct copies share it.
   */
  private newObject(): { oid: string; dest: string } {
    const oid = this.newOid();
    const dest = this.objectPath(oid);
    const dir = path.dirname(dest);
    if (!this.madeDirs.has(dir)) {
      mkdirSync(dir, { recursive: true });
      this.madeDirs.add(dir);
    }
    return { oid, dest };
  }

  /** Whether copies from `target` into this pool are reflink clones; asked once per folder. */
  async copiesAreClones(target: string): Promise<boolean> {
    let known = this.clonesFrom.get(target);
    if (known === undefined) {
      known = await copiesAreClones(target, this.root);
      this.clonesFrom.set(target, known);
    }
    return known;
  }

  /**
   * addObject with direct calls, for small files where copies are clones (copyChanged in capture.ts): with
   * the reflink binding when it loads, else copyFileSync with COPYFILE_FICLONE.
   */
  addObjectSync(source: string): string {
    const { oid, dest } = this.newObject();
    if (this.reflink === undefined) this.reflink = nativeReflink();
    if (this.reflink !== null) {
      try {
        this.reflink(source, dest);
        return oid;
      } catch (err) {
        // The binding reports some causes without an errno (a cross-device clone, an XFS made without
        // reflink). copyFile below either works or throws the error with its code; only a source that
        // vanished keeps the binding in use for the next file.
        if (errnoCode(err) !== 'ENOENT') this.reflink = null;
      }
    }
    copyFileSync(source, dest, fsc.COPYFILE_FICLONE);
    return oid;
  }

  /** 128 random bits per object, drawn in bulk (bench/README.md, "Forms the code keeps"). */
  private newOid(): string {
    if (this.randomOffset + 16 > this.randomPool.length) {
      this.randomPool = nodeCrypto().randomBytes(16 * 1024);
      this.randomOffset = 0;
    }
    const oid = this.randomPool.toString('hex', this.randomOffset, this.randomOffset + 16);
    this.randomOffset += 16;
    return oid;
  }

  async writeManifest(manifest: Manifest): Promise<void> {
    await mkdir(this.manifestsDir, { recursive: true });
    await writeFileAtomic(this.manifestPath(manifest.id), JSON.stringify(manifest), { fsync: true });
    this.manifests.set(manifest.id, manifest);
  }

  /**
   * A manifest never changes once written, so one read serves a whole operation: a rollback reads the same
   * manifest to verify it, as the base of its safety snapshot and to restore from (20,000 entries each).
   */
  async readManifest(id: string): Promise<Manifest> {
    const cached = this.manifests.get(id);
    if (cached) return cached;
    const manifest = await this.readManifestFile(id);
    this.manifests.set(id, manifest);
    return manifest;
  }

  private async readManifestFile(id: string): Promise<Manifest> {
    let text: string;
    try {
      text = await readFile(this.manifestPath(id), 'utf8');
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') {
        throw new SnapctlError('not-found', `the data of snapshot ${id} is missing from ${this.manifestsDir}`, `delete the record with 'snapctl delete ${id}'`);
      }
      throw err;
    }
    const manifest = checkManifest(safeJson(text));
    if (!manifest || manifest.id !== id) {
      throw new SnapctlError('corrupt', `the data of snapshot ${id} is damaged (${this.manifestPath(id)})`, 'it cannot be restored; other snapshots are unaffected');
    }
    return manifest;
  }

  async removeManifest(id: string): Promise<void> {
    this.manifests.delete(id);
    await rm(this.manifestPath(id), { force: true });
  }

  async takeLease(id: string): Promise<void> {
    // The store holds copies of the user's files and a list of their names: private to its owner, whatever
    // the modes of the files inside (a clone made by the reflink binding is created 0644, not with the
    // source's mode). Stores made before this was enforced are tightened here too.
    await mkdir(this.root, { recursive: true, mode: 0o700 });
    // A store someone else owns (set up by an administrator) cannot be chmodded by us; that is no reason to
    // refuse the snapshot.
    await chmod(this.root, 0o700).catch((err: unknown) => { if (errnoCode(err) !== 'EPERM') throw err; });
    await mkdir(this.pendingDir, { recursive: true });
    await writeFileAtomic(path.join(this.pendingDir, `${id}.json`), JSON.stringify({ pid: process.pid, startedAt: Date.now() }));
  }

  async dropLease(id: string): Promise<void> {
    await rm(path.join(this.pendingDir, `${id}.json`), { force: true });
  }

  /**
   * Deletes objects no manifest refers to, and manifests of snapshots that were never recorded. Must run
   * under the store lock with `recorded` = the manifest ids the store refers to.
   */
  async collectGarbage(recorded: ReadonlySet<string>): Promise<{ objects: number; bytes: number; manifests: number }> {
    const leases = await this.liveLeases();
    const keepManifests = new Set([...recorded, ...leases.ids]);
    let manifests = 0;
    const referenced = new Set<string>();
    for (const name of await listDir(this.manifestsDir)) {
      if (!name.endsWith('.json')) continue;
      const id = name.slice(0, -5);
      if (!keepManifests.has(id)) {
        await this.removeManifest(id);
        manifests++;
        continue;
      }
      const manifest = await this.readManifest(id);
      for (const e of manifest.entries) if (e.type === 'file') referenced.add(e.oid);
    }
    let objects = 0;
    let bytes = 0;
    for (const sub of await listDir(this.objectsDir)) {
      const dir = path.join(this.objectsDir, sub);
      for (const oid of await listDir(dir)) {
        if (referenced.has(oid)) continue;
        const file = path.join(dir, oid);
        const st = await stat(file).catch(() => null);
        if (!st) continue;
        // An object newer than a live writer's start may belong to a manifest not yet written.
        if (leases.oldestStart !== null && st.mtimeMs >= leases.oldestStart - 1_000) continue;
        await unlink(file).catch(() => undefined);
        objects++;
        bytes += st.size;
      }
    }
    return { objects, bytes, manifests };
  }

  private async liveLeases(): Promise<{ ids: Set<string>; oldestStart: number | null }> {
    const ids = new Set<string>();
    let oldestStart: number | null = null;
    for (const name of await listDir(this.pendingDir)) {
      const file = path.join(this.pendingDir, name);
      const lease = safeJson(await readFile(file, 'utf8').catch(() => '')) as { pid?: unknown; startedAt?: unknown } | null;
      const pid = typeof lease?.pid === 'number' ? lease.pid : -1;
      const startedAt = typeof lease?.startedAt === 'number' ? lease.startedAt : 0;
      if (pid > 0 && isAlive(pid)) {
        ids.add(name.replace(/\.json$/, ''));
        oldestStart = oldestStart === null ? startedAt : Math.min(oldestStart, startedAt);
      } else {
        await rm(file, { force: true });
      }
    }
    return { ids, oldestStart };
  }
}

async function listDir(dir: string): Promise<string[]> {
  return (await readdir(dir).catch(nullIfMissing)) ?? [];
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
