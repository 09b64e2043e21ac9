import { chmodSync, closeSync, constants as fsc, copyFileSync, existsSync, fstatSync, ftruncateSync, lstatSync, mkdirSync, openSync, readSync, renameSync, unlinkSync, utimesSync, writeSync, type BigIntStats } from 'node:fs';
import { listDir, jsonOrNull } from '../../base/quiet-reads.js';
import { chmod, copyFile, lstat, open, readFile, rename, rm, stat, unlink, utimes, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { isFresh, mkdirPrivate, writeSmallFile } from '../../base/private-fs.js';
import { copiesAreClones } from '../../base/fs-types.js';
import { nativeReflink, type Reflink } from './reflink.js';
import { dataRuns } from '../../tree/holes.js';
import { hashBytes, hashFile, hashKindOf, hexOf, readContent, readContentSync, readLimit, type ContentRead, type HashKind } from '../../tree/content-hash.js';
import type { FsPath } from '../../tree/names.js';
import { errnoCode, nullIfMissing } from '../../base/errors.js';
import { isAlive } from '../../state/locks.js';
import type { ContentSource, FileEntry } from '../../tree/manifest.js';
import { nodeCrypto } from '../../base/lazy-crypto.js';
import { IO_PARALLELISM, mapLimit } from '../../base/concurrency.js';
import type { ContentProblem, ObjectChecks } from '../provider.js';
import type { ManifestStore } from './manifest-store.js';

// Over 400 lines: one class holds every rule of the object store's layout (object names, leases, the order of
// writes and renames that crash safety rests on), which a split would spread across files that must agree.

/**
 * The clone provider's on-disk store:
 *   objects/ab/<oid>    file contents, immutable once written; shared by every snapshot (and every path)
 *                       that has the content. Named by their hash when snapctl copied the bytes; at random
 *                       when the filesystem cloned them. Either way the manifest records the hash of the
 *                       object's own bytes, taken before the snapshot is listed (see addObject).
 *   objects/tmp/        objects being written, renamed into place once whole (small ones are created at
 *                       their final name: see addSmallObjectSync)
 *   manifests/<id>.json what one snapshot holds: kept by ManifestStore (manifest-store.ts)
 *   records/<id>.json   the snapshot's own record, beside its data: the index (store.json) is rebuilt from these
 *   pending/<id>.json   a lease held while a snapshot is being written, so garbage collection spares its
 *                       objects before its manifest exists
 *   trash/              objects garbage collection is about to delete (see collectGarbage)
 */
export class ClonePool implements ContentSource {
  private readonly madeDirs = new Set<string>();
  private readonly clonesFrom = new Map<string, boolean>();
  private readonly settling = new Map<string, Promise<Placed>>();
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

  /**
   * Stores the file at `source` as an object, and returns the hash of the object's bytes: every object has
   * its hash before its snapshot is listed, so a rollback verifies every byte it writes. The file is opened
   * once, never through a link (O_NOFOLLOW) and never waited on (O_NONBLOCK: a FIFO swapped in), and stat'd
   * before and after through that descriptor, so the caller can tell whether it changed meanwhile.
   *
   * Where copies are clones (`clone`), the filesystem clones the open file itself (by /proc/self/fd where
   * there is one; elsewhere by its path, checked afterwards to still be that file) under a random name, and
   * the object, private to the store and never written again, is then read once and hashed: the hash is of
   * the stored bytes by construction, whatever the file did meanwhile (hashing the file instead and cloning
   * after could record a hash of bytes the clone does not hold when a write lands between the two within
   * the timestamps' resolution). Elsewhere the bytes are read once, hashed as they are read and written to a
   * new object named by that hash: content already in the pool (another path, another snapshot) is shared.
   * `added` says whether this call wrote a new object.
   */
  async addObject(source: FsPath, clone: boolean): Promise<StoredObject> {
    const input = await open(source, fsc.O_RDONLY | fsc.O_NOFOLLOW | fsc.O_NONBLOCK);
    try {
      const before = regularFile(await input.stat({ bigint: true }));
      if (clone) {
        const { oid, dest } = this.newObject();
        try {
          const viaFd = cloneSource(input.fd);
          await copyFile(viaFd ?? source, dest, fsc.COPYFILE_FICLONE);
          // copyFile gives the object the file's mode, set-uid included: an object is private and no program.
          await chmod(dest, 0o600);
          if (viaFd === null) sameFileStill(await lstat(source, { bigint: true }).catch(() => null), before);
          const got = await readObject(dest);
          return { oid, hash: got.hash, added: true, size: got.size, bytesRead: got.bytesRead, before: sourceStat(before), after: sourceStat(await input.stat({ bigint: true })) };
        } catch (err) {
          await unlink(dest).catch(() => undefined);
          throw err;
        }
      }
      const tmp = this.tempObjectPath();
      let got: ContentRead;
      try {
        got = await copyHashing(input, tmp);
      } catch (err) {
        await unlink(tmp).catch(() => undefined);
        throw err;
      }
      const after = sourceStat(await input.stat({ bigint: true }));
      const placed = await this.settleObject(tmp, got.hash);
      return { ...placed, size: got.size, bytesRead: got.bytesRead, before: sourceStat(before), after };
    } finally {
      await input.close();
    }
  }

  /**
   * Moves a whole, hashed object into place, or drops it for the identical object already there. Two copies
   * of one content in the same snapshot settle one after the other, so only the first counts as added.
   */
  private async settleObject(tmp: string, hash: string): Promise<Placed> {
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

  private async moveIntoPlace(tmp: string, hash: string): Promise<Placed> {
    const oid = hexOf(hash);
    const dest = this.objectPath(oid);
    // A newer mtime keeps the existing object out of a collection that starts now (see collectGarbage).
    const now = new Date();
    if (await utimes(dest, now, now).then(() => true, nullIfMissing)) {
      // Shared only if it still holds what its name says: a damaged object is replaced by the good copy just
      // made, which heals every snapshot that names it, instead of damaging this one too.
      if ((await hashFile(dest, { kind: hashKindOf(hash) }).catch(() => null)) === hash) {
        await unlink(tmp);
        return { oid, hash, added: false };
      }
    }
    this.ensureDir(path.dirname(dest));
    await rename(tmp, dest);
    return { oid, hash, added: true };
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
   * Checks the objects of `entries`: each must exist with the entry's size and hash to the entry's hash (in
   * the entry's kind of hash). An entry without a hash (a reflink clone made by an earlier version, which
   * hashed clones later, if at all) is checked by size alone, unless `hashUnknown`: then its object is
   * hashed now and the hash set on the entry (`hashed` counts them), after comparing it with the file in the
   * folder where `fromFolder` can still read that file as it was. Each object is read once per `seen`.
   */
  async checkObjects(entries: readonly FileEntry[], options: { hashUnknown: boolean; seen?: ObjectChecks; fromFolder?: (e: FileEntry, kind: HashKind) => Promise<string | null> }): Promise<{ problems: ContentProblem[]; hashed: number }> {
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
      const kind: HashKind | 'unknown' | null = first.hash !== null ? hashKindOf(first.hash) : options.hashUnknown ? 'unknown' : null;
      const key = `${kind ?? 'size'}:${oid}`;
      let check = seen.get(key);
      if (!check || kind === null) {
        check = this.checkObject(oid, first.size, kind);
        if (kind !== null) seen.set(key, check);
      }
      const found = await check;
      let problem: string | null = 'problem' in found ? found.problem : null;
      if (problem === null && 'hash' in found && found.hash !== '') {
        if (first.hash === null) {
          const expected = (options.fromFolder ? await options.fromFolder(first, hashKindOf(found.hash)) : null) ?? found.hash;
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

  /** An object's size checked, and its hash in `kind` ('unknown': the kind its stats call for); null: no hash. */
  private async checkObject(oid: string, size: number, kind: HashKind | 'unknown' | null): Promise<{ hash: string } | { problem: string }> {
    const file = this.objectPath(oid);
    const st = await lstat(file).catch(nullIfMissing);
    if (st === null) return { problem: 'its stored copy is missing' };
    if (!st.isFile()) return { problem: 'its stored copy is not a file' };
    if (st.size !== size) return { problem: `its stored copy is ${st.size} bytes, not ${size}` };
    if (kind === null) return { hash: '' };
    return hashFile(file, { flags: fsc.O_RDONLY | fsc.O_NOFOLLOW, ...(kind === 'unknown' ? {} : { kind }) })
      .then((h) => ({ hash: h }), (err: unknown) => ({ problem: `its stored copy is unreadable: ${errnoCode(err) ?? 'error'}` }));
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
   * addObject with direct calls, for files of a few hundred KB where copies are clones (copyChanged in capture.ts): cloned
   * with the reflink binding when it loads, else copyFileSync with COPYFILE_FICLONE, then hashed.
   */
  addObjectSync(source: FsPath): StoredObject {
    const fd = openSync(source, fsc.O_RDONLY | fsc.O_NOFOLLOW | fsc.O_NONBLOCK);
    try {
      const before = regularFile(fstatSync(fd, { bigint: true }));
      const { oid, dest } = this.newObject();
      try {
        const viaFd = cloneSource(fd);
        this.cloneSync(viaFd ?? source, dest);
        if (viaFd === null) sameFileStill(lstatOrNull(source), before);
        const got = readObjectSync(dest);
        return { oid, hash: got.hash, added: true, size: got.size, bytesRead: got.bytesRead, before: sourceStat(before), after: sourceStat(fstatSync(fd, { bigint: true })) };
      } catch (err) {
        try { unlinkSync(dest); } catch { /* never made */ }
        throw err;
      }
    } finally {
      closeSync(fd);
    }
  }

  /**
   * addObject for a small file, with direct calls: read whole into memory (one read), hashed there, and
   * written as a new object only when the pool does not hold that content already. About ten syscalls and no
   * thread-pool hand-off per file, where addObject made fifteen hand-offs (bench/README.md, "Forms the code
   * keeps"). Used where copies are clones too: a clone would have to be read back, from the disk, to hash it.
   * The object is created at its final name (O_EXCL), which also tells whether the pool has it: one create
   * instead of a lookup, a temporary file and a rename, each a metadata update (bench/README.md). A create
   * killed part way leaves a short object that no snapshot names: the next collection removes it, and a
   * create that meets it first finds its bytes wrong and replaces it, as it replaces a damaged object.
   * Null, with nothing written, when the file has grown past SMALL_OBJECT_MAX since the walk, or its content
   * is being placed by an addObject still in flight: the caller copies it with addObject then.
   */
  addSmallObjectSync(source: FsPath): StoredObject | null {
    const fd = openSync(source, fsc.O_RDONLY | fsc.O_NOFOLLOW | fsc.O_NONBLOCK);
    let bytes: Buffer;
    let before: BigIntStats;
    let after: BigIntStats;
    try {
      before = regularFile(fstatSync(fd, { bigint: true }));
      if (before.size > BigInt(SMALL_OBJECT_MAX)) return null;
      bytes = readSmallSync(fd, Number(before.size));
      after = fstatSync(fd, { bigint: true });
    } finally {
      closeSync(fd);
    }
    const hash = hashBytes(bytes, 'sha256');
    if (this.settling.has(hash)) return null;
    const read = { size: bytes.length, bytesRead: bytes.length, before: sourceStat(before), after: sourceStat(after) };
    const oid = hexOf(hash);
    const dest = this.objectPath(oid);
    this.ensureDir(path.dirname(dest));
    let out: number;
    try {
      out = openSync(dest, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL | fsc.O_NOFOLLOW, 0o600);
    } catch (err) {
      if (errnoCode(err) !== 'EEXIST') throw err;
      // As moveIntoPlace: a fresh mtime keeps the object out of a collection starting now; shared only if
      // whole, else replaced by a whole copy (written beside it and renamed over it), which heals every
      // snapshot that names it.
      const now = new Date();
      if (touchedIfPresent(dest, now) && sameContentSync(dest, bytes)) return { oid, hash, added: false, ...read };
      const tmp = this.tempObjectPath();
      writeObjectSync(tmp, bytes);
      try {
        renameSync(tmp, dest);
      } catch (renameErr) {
        try { unlinkSync(tmp); } catch { /* gone already */ }
        throw renameErr;
      }
      return { oid, hash, added: true, ...read };
    }
    writeObjectFd(out, dest, bytes);
    return { oid, hash, added: true, ...read };
  }

  private cloneSync(source: FsPath, dest: string): void {
    if (this.reflink === undefined) this.reflink = nativeReflink();
    // The binding takes text paths only: a name that is not UTF-8 is copied by copyFileSync (a clone too).
    if (this.reflink !== null && typeof source === 'string') {
      try {
        this.reflink(source, dest);
        return;
      } catch (err) {
        // The binding reports some causes without an errno (a cross-device clone, an XFS made without
        // reflink). copyFile below either works or throws the error with its code; only a source that
        // vanished keeps the binding in use for the next file.
        if (errnoCode(err) !== 'ENOENT') this.reflink = null;
      }
    }
    copyFileSync(source, dest, fsc.COPYFILE_FICLONE);
    chmodSync(dest, 0o600);
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
  async collectGarbage(recorded: ReadonlySet<string>, store: ManifestStore): Promise<{ objects: number; bytes: number; manifests: number }> {
    await this.restoreTrash();
    const leases = await this.liveLeases();
    const withRecord = new Set((await listDir(this.recordsDir)).filter((n) => n.endsWith('.json')).map((n) => n.slice(0, -5)));
    const { referenced, removed: manifests } = await store.sweep((id) => recorded.has(id) || withRecord.has(id) || leases.ids.has(id));
    if (referenced === null || leases.ids.size > 0) return { objects: 0, bytes: 0, manifests };

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
      const lease = isLease ? jsonOrNull(await readFile(file, 'utf8').catch(() => '')) as { pid?: unknown; startedAt?: unknown } | null : null;
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

/** An object placed in the pool: named by its hash, or shared with the identical one already there. */
interface Placed {
  oid: string;
  hash: string;
  /** False when identical content was already in the pool and is shared instead. */
  added: boolean;
}

/** The file an object was made from, as fstat saw it through the descriptor it was read from. */
export interface SourceStat {
  size: number;
  mtimeNs: string;
  ino: string;
}

export interface StoredObject extends Placed {
  /** The object's length: the bytes read from the file and stored, which the manifest must record. */
  size: number;
  /** What was read to store it (a file with holes is read only where it holds data). */
  bytesRead: number;
  /** The file just before it was read, and just after. */
  before: SourceStat;
  after: SourceStat;
}

/** A file swapped for something else (a FIFO, a device, a folder) since the walk: not read. */
export class NotAFile extends Error {
  readonly code = 'ENOTFILE';
}

function regularFile(st: BigIntStats): BigIntStats {
  if (!st.isFile()) throw new NotAFile('not a regular file any more');
  return st;
}

function sourceStat(st: BigIntStats): SourceStat {
  return { size: Number(st.size), mtimeNs: st.mtimeNs.toString(), ino: st.ino.toString() };
}

/** Where the open file `fd` can be cloned from by name: itself, not whatever its path names by then. */
function cloneSource(fd: number): string | null {
  return hasProcFd() ? `/proc/self/fd/${fd}` : null;
}

let procFd: boolean | undefined;

function hasProcFd(): boolean {
  procFd ??= process.platform === 'linux' && existsSync('/proc/self/fd');
  return procFd;
}

/**
 * Cloned by its path (no /proc/self/fd): the path must still name the file opened, else the clone may hold
 * another file (a link swapped in, whose target could be anything the process can read).
 */
function sameFileStill(now: BigIntStats | null, opened: BigIntStats): void {
  if (!now?.isFile() || now.ino !== opened.ino || now.dev !== opened.dev) throw new NotAFile('replaced while it was copied');
}

function lstatOrNull(file: FsPath): BigIntStats | null {
  try {
    return lstatSync(file, { bigint: true });
  } catch {
    return null;
  }
}

/** An object just made, read once: its hash and length (it is the store's own, never written again). */
async function readObject(file: string): Promise<ContentRead> {
  const handle = await open(file, fsc.O_RDONLY | fsc.O_NOFOLLOW);
  try {
    return await readContent(handle);
  } finally {
    await handle.close();
  }
}

/** Files up to this size are stored by addSmallObjectSync, where copies move bytes. */
export const SMALL_OBJECT_MAX = 64 * 1024;
const smallBuffer = Buffer.allocUnsafe(Math.max(SMALL_OBJECT_MAX, readLimit(0)));

/**
 * The bytes of the open file `fd` that is `size` bytes long, up to that length and no further (a growing file
 * is not chased), as readContent reads it. A view of a shared buffer, valid until the next call: no copy per
 * file (garbage a first snapshot of 20,000 files paid for in collections).
 */
function readSmallSync(fd: number, size: number): Buffer {
  const limit = readLimit(size);
  let position = 0;
  while (position < limit) {
    const n = readSync(fd, smallBuffer, position, limit - position, position);
    if (n === 0) break;
    position += n;
  }
  return smallBuffer.subarray(0, position);
}

function writeAllSync(fd: number, bytes: Buffer, from: number, to: number): void {
  for (let at = from; at < to;) at += writeSync(fd, bytes, at, to - at, at);
}

/** `bytes` written to the new file `file` (private, never an existing file), or the file removed. */
function writeObjectSync(file: string, bytes: Buffer): void {
  writeObjectFd(openSync(file, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL | fsc.O_NOFOLLOW, 0o600), file, bytes);
}

/** `bytes` written to the new file `file` opened as `out`, which this closes; the file removed on failure. */
function writeObjectFd(out: number, file: string, bytes: Buffer): void {
  try {
    try {
      let end = 0;
      for (const [from, to] of dataRuns(bytes)) { writeAllSync(out, bytes, from, to); end = to; }
      // Zeros at the end are a hole: the length comes from ftruncate.
      if (end < bytes.length) ftruncateSync(out, bytes.length);
    } finally {
      closeSync(out);
    }
  } catch (err) {
    try { unlinkSync(file); } catch { /* never made */ }
    throw err;
  }
}

/** utimes on an object that may exist: false when it does not. */
function touchedIfPresent(file: string, now: Date): boolean {
  try {
    utimesSync(file, now, now);
    return true;
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return false;
    throw err;
  }
}

/** Whether the object `file` holds exactly `bytes` (a damaged one is replaced, as in moveIntoPlace). */
function sameContentSync(file: string, bytes: Buffer): boolean {
  let fd: number;
  try {
    fd = openSync(file, fsc.O_RDONLY | fsc.O_NOFOLLOW);
  } catch {
    return false;
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile() || st.size !== bytes.length) return false;
    const got = Buffer.allocUnsafe(bytes.length);
    let position = 0;
    while (position < got.length) {
      const n = readSync(fd, got, position, got.length - position, position);
      if (n === 0) return false;
      position += n;
    }
    return got.equals(bytes);
  } catch {
    return false;
  } finally {
    closeSync(fd);
  }
}

function readObjectSync(file: string): ContentRead {
  const fd = openSync(file, fsc.O_RDONLY | fsc.O_NOFOLLOW);
  try {
    return readContentSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Copies the open file `input` to the new file `dest` (private, never an existing file), reading it once:
 * the hash of what was read and written, and its length. Runs of zeros and holes are left as holes, so a
 * sparse disk image stays sparse in the store and only its data is read (see readContent).
 */
async function copyHashing(input: FileHandle, dest: string): Promise<ContentRead> {
  const output = await open(dest, 'wx', 0o600);
  try {
    const got = await readContent(input, undefined, async (bytes, position) => {
      for (const [from, to] of dataRuns(bytes)) await output.write(bytes, from, to - from, position + from);
    });
    await output.truncate(got.size);
    return got;
  } finally {
    await output.close();
  }
}


