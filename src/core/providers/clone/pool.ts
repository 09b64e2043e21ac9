import { chmodSync, constants as fsc, copyFileSync, mkdirSync } from 'node:fs';
import { chmod, copyFile, open, readdir, readFile, rename, rm, stat, unlink, utimes } from 'node:fs/promises';
import path from 'node:path';
import { isFresh, mkdirPrivate, writeSmallFile } from '../../base/private-fs.js';
import { writeFileAtomic } from '../../state/atomic-write.js';
import { copiesAreClones } from '../../base/fs-types.js';
import { nativeReflink, type Reflink } from './reflink.js';
import { copyKeepingHoles } from '../../tree/holes.js';
import type { FsPath } from '../../tree/names.js';
import { SnapctlError, errnoCode, nullIfMissing } from '../../base/errors.js';
import { isAlive } from '../../state/locks.js';
import { checkManifest, manifestJson, type ContentSource, type FileEntry, type Manifest } from '../../tree/manifest.js';
import { nodeCrypto } from '../../base/lazy-crypto.js';
import { IO_PARALLELISM, mapLimit } from '../../base/concurrency.js';
import type { ContentProblem, ObjectChecks } from '../provider.js';

/**
 * The clone provider's on-disk store:
 *   objects/ab/<oid>    file contents, immutable once written; shared by every snapshot (and every path)
 *                       that has the content. Named by their SHA-256 when the bytes passed through snapctl;
 *                       at random when the filesystem cloned them (hashed later, by verify).
 *   objects/tmp/        objects being written, renamed into place once whole
 *   manifests/<id>.json what one snapshot holds (paths, modes, mtimes, links, object ids and hashes)
 *   records/<id>.json   the snapshot's own record, beside its data: the index (store.json) is rebuilt from these
 *   pending/<id>.json   a lease held while a snapshot is being written, so garbage collection spares its
 *                       objects before its manifest exists
 *   trash/              objects garbage collection is about to delete (see collectGarbage)
 */
export class ClonePool implements ContentSource {
  private readonly madeDirs = new Set<string>();
  private readonly manifests = new Map<string, Manifest>();
  private readonly clonesFrom = new Map<string, boolean>();
  private readonly settling = new Map<string, Promise<StoredObject>>();
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
  get recordsDir(): string { return path.join(this.root, 'records'); }
  get trashDir(): string { return path.join(this.root, 'trash'); }

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
   * Stores `source` as an object. Where copies are clones (`clone`), the filesystem shares its blocks and
   * no byte passes through snapctl: the object gets a random name and no hash yet. Elsewhere the bytes are
   * read and written by snapctl anyway, so they are hashed on the way and the object is named by its hash:
   * content already in the pool (another path, another snapshot) is shared, not written again. `added`
   * says whether this call wrote a new object.
   */
  async addObject(source: FsPath, clone: boolean): Promise<StoredObject> {
    if (clone) {
      const { oid, dest } = this.newObject();
      await copyFile(source, dest, fsc.COPYFILE_FICLONE);
      // copyFile gives the object the file's mode, set-uid included: an object is private and no program.
      await chmod(dest, 0o600);
      return { oid, hash: null, added: true };
    }
    const tmp = this.tempObjectPath();
    let hash: string;
    try {
      hash = await copyHashing(source, tmp);
    } catch (err) {
      await unlink(tmp).catch(() => undefined);
      throw err;
    }
    return this.settleObject(tmp, hash);
  }

  /**
   * Moves a whole, hashed object into place, or drops it for the identical object already there. Two copies
   * of one content in the same snapshot settle one after the other, so only the first counts as added.
   */
  private async settleObject(tmp: string, hash: string): Promise<StoredObject> {
    const earlier = this.settling.get(hash);
    if (earlier) {
      await earlier.catch(() => undefined);
      if (this.settling.get(hash) === earlier) this.settling.delete(hash);
      return this.settleObject(tmp, hash);
    }
    const settled = this.moveIntoPlace(tmp, hash);
    this.settling.set(hash, settled);
    try {
      return await settled;
    } finally {
      if (this.settling.get(hash) === settled) this.settling.delete(hash);
    }
  }

  private async moveIntoPlace(tmp: string, hash: string): Promise<StoredObject> {
    const dest = this.objectPath(hash);
    // A newer mtime keeps the existing object out of a collection that starts now (see collectGarbage).
    const now = new Date();
    if (await utimes(dest, now, now).then(() => true, nullIfMissing)) {
      // Shared only if it still holds what its name says: a damaged object is replaced by the good copy just
      // made, which heals every snapshot that names it, instead of damaging this one too.
      if ((await hashFile(dest).catch(() => null)) === hash) {
        await unlink(tmp);
        return { oid: hash, hash, added: false };
      }
    }
    this.ensureDir(path.dirname(dest));
    await rename(tmp, dest);
    return { oid: hash, hash, added: true };
  }

  private tempObjectPath(): string {
    const dir = path.join(this.objectsRoot, 'tmp');
    this.ensureDir(dir);
    return path.join(dir, this.newOid());
  }

  private ensureDir(dir: string): void {
    if (!this.madeDirs.has(dir)) {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      this.madeDirs.add(dir);
    }
  }

  /**
   * Checks the objects of `entries`: each must exist with the entry's size, and hash to the entry's hash
   * where one is recorded. With `hashUnknown`, an entry without a hash (a clone copied no byte through
   * snapctl) gets its object's hash now, set on the entry; `hashed` counts them. Each object is read once
   * per `seen` (one verification).
   */
  async checkObjects(entries: readonly FileEntry[], options: { hashUnknown: boolean; seen?: ObjectChecks; fromFolder?: (e: FileEntry) => Promise<string | null> }): Promise<{ problems: ContentProblem[]; hashed: number }> {
    const byOid = new Map<string, FileEntry[]>();
    for (const e of entries) {
      const same = byOid.get(e.oid);
      if (same) same.push(e); else byOid.set(e.oid, [e]);
    }
    const seen: ObjectChecks = options.seen ?? new Map();
    const problems: ContentProblem[] = [];
    let hashed = 0;
    await mapLimit([...byOid.entries()], IO_PARALLELISM, async ([oid, users]) => {
      const first = users[0];
      if (!first) return;
      const wantHash = first.hash !== null || options.hashUnknown;
      let check = seen.get(oid);
      if (!check || !wantHash) {
        check = this.checkObject(oid, first.size, wantHash);
        if (wantHash) seen.set(oid, check);
      }
      const found = await check;
      let problem: string | null = 'problem' in found ? found.problem : null;
      if (problem === null && 'hash' in found && found.hash !== '') {
        if (first.hash === null) {
          const expected = (options.fromFolder ? await options.fromFolder(first) : null) ?? found.hash;
          for (const e of users) e.hash = expected;
          hashed++;
          if (expected !== found.hash) problem = 'its stored copy differs from the file it was taken from';
        } else if (found.hash !== first.hash) problem = 'its stored copy was changed: its content no longer matches its SHA-256';
      }
      if (problem !== null) for (const e of users) problems.push({ path: e.path, problem });
    });
    problems.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    return { problems, hashed };
  }

  /** An object's size checked, and its SHA-256 when `hash` (else an empty hash). */
  private async checkObject(oid: string, size: number, hash: boolean): Promise<{ hash: string } | { problem: string }> {
    const file = this.objectPath(oid);
    const st = await stat(file).catch(nullIfMissing);
    if (st === null) return { problem: 'its stored copy is missing' };
    if (!st.isFile()) return { problem: 'its stored copy is not a file' };
    if (st.size !== size) return { problem: `its stored copy is ${st.size} bytes, not ${size}` };
    if (!hash) return { hash: '' };
    return hashFile(file).then((h) => ({ hash: h }), (err: unknown) => ({ problem: `its stored copy is unreadable: ${errnoCode(err) ?? 'error'}` }));
  }

  /**
   * A fresh object id and its path, its folder made on first use: one mkdir per folder per process, direct
   * (at most 256 of them), so the async and the direct copies share it.
   */
  private newObject(): { oid: string; dest: string } {
    const oid = this.newOid();
    const dest = this.objectPath(oid);
    this.ensureDir(path.dirname(dest));
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
  addObjectSync(source: FsPath): StoredObject {
    const { oid, dest } = this.newObject();
    const stored = { oid, hash: null, added: true };
    if (this.reflink === undefined) this.reflink = nativeReflink();
    // The binding takes text paths only: a name that is not UTF-8 is copied by copyFileSync (a clone too).
    if (this.reflink !== null && typeof source === 'string') {
      try {
        this.reflink(source, dest);
        return stored;
      } catch (err) {
        // The binding reports some causes without an errno (a cross-device clone, an XFS made without
        // reflink). copyFile below either works or throws the error with its code; only a source that
        // vanished keeps the binding in use for the next file.
        if (errnoCode(err) !== 'ENOENT') this.reflink = null;
      }
    }
    copyFileSync(source, dest, fsc.COPYFILE_FICLONE);
    chmodSync(dest, 0o600);
    return stored;
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
    await mkdirPrivate(this.manifestsDir);
    await writeFileAtomic(this.manifestPath(manifest.id), manifestJson(manifest), { fsync: true });
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

  /**
   * A manifest read without keeping it: the path index reads every snapshot's once, and a thousand
   * 20,000-entry manifests kept in memory would not fit.
   */
  async readManifestOnce(id: string): Promise<Manifest> {
    return this.manifests.get(id) ?? this.readManifestFile(id);
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

  async manifestIds(): Promise<string[]> {
    return (await listDir(this.manifestsDir)).filter((n) => n.endsWith('.json')).map((n) => n.slice(0, -5));
  }

  async removeManifest(id: string): Promise<void> {
    this.manifests.delete(id);
    await rm(this.manifestPath(id), { force: true });
  }

  async takeLease(id: string): Promise<void> {
    // The store holds copies of the user's files and a list of their names: private to its owner, whatever
    // the modes of the files inside (a clone made by the reflink binding is created 0644, not with the
    // source's mode). Stores made before this was enforced are tightened here too.
    await mkdirPrivate(this.root);
    // A store someone else owns (set up by an administrator) cannot be chmodded by us; that is no reason to
    // refuse the snapshot.
    await chmod(this.root, 0o700).catch((err: unknown) => { if (errnoCode(err) !== 'EPERM') throw err; });
    await mkdirPrivate(this.pendingDir);
    await writeSmallFile(path.join(this.pendingDir, `${id}.json`), JSON.stringify({ pid: process.pid, startedAt: Date.now() }));
  }

  async dropLease(id: string): Promise<void> {
    await rm(path.join(this.pendingDir, `${id}.json`), { force: true });
  }

  /**
   * Reclaims what no snapshot holds. Every manifest that can be read counts, recorded in the index or not:
   * the snapshots are the truth and the index can be rebuilt from them, so a lost or stale index never
   * makes data look unreferenced. A manifest is removed only when neither the index (`recorded`) nor a record
   * of its own beside it names it and no lease is live: a create killed before it finished. Must run under
   * the store lock, after any rebuild of the index.
   *
   * Objects are moved to trash/ first, then deleted only if no snapshot started meanwhile: a create that
   * shares an object already in the pool (same content) may have found it just before it was collected.
   */
  async collectGarbage(recorded: ReadonlySet<string>): Promise<{ objects: number; bytes: number; manifests: number }> {
    await this.restoreTrash();
    const leases = await this.liveLeases();
    let manifests = 0;
    const referenced = new Set<string>();
    const withRecord = new Set((await listDir(this.recordsDir)).filter((n) => n.endsWith('.json')).map((n) => n.slice(0, -5)));
    for (const name of await listDir(this.manifestsDir)) {
      if (!name.endsWith('.json')) continue;
      const id = name.slice(0, -5);
      if (!recorded.has(id) && !withRecord.has(id) && !leases.ids.has(id)) {
        await this.removeManifest(id);
        manifests++;
        continue;
      }
      const manifest = await this.readManifest(id).catch(() => null);
      if (manifest) {
        for (const e of manifest.entries) if (e.type === 'file') referenced.add(e.oid);
        continue;
      }
      // A damaged manifest (verify names it) still keeps every object it may name: any object id in its
      // text counts. If it cannot be read at all, nothing is collected.
      const text = await readFile(this.manifestPath(id), 'latin1').catch(() => null);
      if (text === null) return { objects: 0, bytes: 0, manifests };
      for (const m of text.matchAll(/[0-9a-f]{32,64}/g)) referenced.add(m[0]);
    }
    if (leases.ids.size > 0) return { objects: 0, bytes: 0, manifests };

    const doomed: { file: string; trashed: string; size: number }[] = [];
    await mkdirPrivate(this.trashDir);
    for (const sub of await listDir(this.objectsDir)) {
      if (!/^[0-9a-f]{2}$/.test(sub)) continue;
      const dir = path.join(this.objectsDir, sub);
      for (const oid of await listDir(dir)) {
        if (referenced.has(oid)) continue;
        const file = path.join(dir, oid);
        const st = await stat(file).catch(() => null);
        if (!st) continue;
        const trashed = path.join(this.trashDir, oid);
        if (await rename(file, trashed).then(() => true, () => false)) doomed.push({ file, trashed, size: st.size });
      }
    }
    // Half-written objects of creates that died; a live one would hold a lease.
    for (const name of await listDir(path.join(this.objectsDir, 'tmp'))) await rm(path.join(this.objectsDir, 'tmp', name), { force: true });
    if ((await this.liveLeases()).ids.size > 0) {
      for (const d of doomed) await rename(d.trashed, d.file).catch(() => undefined);
      return { objects: 0, bytes: 0, manifests };
    }
    for (const d of doomed) await rm(d.trashed, { force: true });
    return { objects: doomed.length, bytes: doomed.reduce((sum, d) => sum + d.size, 0), manifests };
  }

  /**
   * Puts back what a collection killed part way left in trash/: whether a snapshot names it is decided again,
   * by this collection, from scratch.
   */
  private async restoreTrash(): Promise<void> {
    for (const oid of await listDir(this.trashDir)) {
      const from = path.join(this.trashDir, oid);
      const to = this.objectPath(oid);
      this.ensureDir(path.dirname(to));
      if (await stat(to).then(() => true, () => false)) await rm(from, { force: true });
      else await rename(from, to).catch(() => undefined);
    }
  }

  /**
   * Gives back the objects a failed create wrote. Objects named at random were its own; objects named by
   * their content may already be shared by a create running beside it, so they go through collectGarbage.
   */
  async discardObjects(oids: readonly string[]): Promise<void> {
    await Promise.all(oids.filter((oid) => oid.length !== 64).map((oid) => unlink(this.objectPath(oid)).catch(() => undefined)));
  }

  async liveLeaseIds(): Promise<Set<string>> {
    return (await this.liveLeases()).ids;
  }

  private async liveLeases(): Promise<{ ids: Set<string>; oldestStart: number | null }> {
    const ids = new Set<string>();
    let oldestStart: number | null = null;
    for (const name of await listDir(this.pendingDir)) {
      const file = path.join(this.pendingDir, name);
      const isLease = /^\d{8}-\d{6}-[0-9a-f]{6}\.json$/.test(name);
      const lease = isLease ? safeJson(await readFile(file, 'utf8').catch(() => '')) as { pid?: unknown; startedAt?: unknown } | null : null;
      const pid = typeof lease?.pid === 'number' ? lease.pid : -1;
      const startedAt = typeof lease?.startedAt === 'number' ? lease.startedAt : Date.now();
      // A lease still being written counts as live: its create is copying objects a collection must spare.
      const beingWritten = pid < 0 && await isFresh(file);
      if (beingWritten && !isLease) continue;
      if (beingWritten || (pid > 0 && isAlive(pid))) {
        ids.add(name.replace(/\.json$/, ''));
        oldestStart = oldestStart === null ? startedAt : Math.min(oldestStart, startedAt);
      } else {
        await rm(file, { force: true });
      }
    }
    return { ids, oldestStart };
  }
}

export interface StoredObject {
  oid: string;
  hash: string | null;
  /** False when identical content was already in the pool and is shared instead. */
  added: boolean;
}

/** Files up to this size are read and written whole; larger ones in chunks, with bounded memory. */
const WHOLE_FILE_MAX = 1024 * 1024;
const CHUNK = 1024 * 1024;

/** Copies `source` to the new file `dest` (private, never an existing file), returning the SHA-256 of what was copied. */
async function copyHashing(source: FsPath, dest: string): Promise<string> {
  const hash = nodeCrypto().createHash('sha256');
  const input = await open(source, 'r');
  try {
    const output = await open(dest, 'wx', 0o600);
    try {
      const { size } = await input.stat();
      if (size <= WHOLE_FILE_MAX) {
        const data = await input.readFile();
        hash.update(data);
        await output.writeFile(data);
      } else {
        // Runs of zeros are left as holes: a sparse disk image stays sparse in the store.
        await copyKeepingHoles(input, output, CHUNK, (chunk) => hash.update(chunk));
      }
    } finally {
      await output.close();
    }
  } finally {
    await input.close();
  }
  return hash.digest('hex');
}

/** The SHA-256 of a file's content; `flags` for how it is opened (O_NOFOLLOW, say). */
export async function hashFile(file: FsPath, flags: string | number = 'r'): Promise<string> {
  const hash = nodeCrypto().createHash('sha256');
  const input = await open(file, flags);
  try {
    const buffer = Buffer.allocUnsafe(CHUNK);
    for (;;) {
      const { bytesRead } = await input.read(buffer, 0, CHUNK, null);
      if (bytesRead === 0) break;
      hash.update(buffer.subarray(0, bytesRead));
    }
  } finally {
    await input.close();
  }
  return hash.digest('hex');
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
