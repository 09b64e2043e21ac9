import path from 'node:path';
import { capture, type CaptureOptions } from './capture.js';
import { bothFilters, compare } from '../../tree/compare.js';
import { ClonePool } from './pool.js';
import { ManifestStore } from './manifest-store.js';
import { restore } from '../../tree/restore.js';
import { constants as fsc } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { readContent, type HashKind } from '../../tree/content-hash.js';
import { EntriesByPath, isUnder, sameMtime, type EntryLookup, type FileEntry, type Manifest, type ManifestEntry } from '../../tree/manifest.js';
import { fsPath } from '../../tree/names.js';
import { pathsToRestore, quickMatch, sameByHash } from '../../tree/same-file.js';
import { describeError } from '../../base/errors.js';
import { RecordFiles } from '../../state/record-files.js';
import { byPath, type LiveEntry } from '../../tree/walk.js';
import type { SnapshotRecord } from '../../../shared/model.js';
import { readStoredFile } from '../snapshot-files.js';
import { SpaceIndex } from './space.js';
import { WrittenFiles } from './written-files.js';
import { isSortedByPath } from './manifest-delta.js';
import { listedNow, type ListedNow } from '../../tree/listed-now.js';
import type { ContentProblem, ObjectChecks, SpaceCosts, ProviderDiffOptions, ProviderRestoreOptions, SnapshotFile, SnapshotReader, CreateRequest, CreatedSnapshot, Detection, DiffResult, ProviderCapabilities, RestoreResult, SnapshotProvider } from '../provider.js';

/**
 * The portable provider: copies the folder into snapctl's own store, sharing unchanged files between
 * snapshots and cloning copy-on-write where the filesystem can. Works on any filesystem.
 */
export class CloneProvider implements SnapshotProvider {
  readonly name = 'clone' as const;
  readonly capabilities: ProviderCapabilities = { wholeVolume: false, partialRestore: true, needsAdmin: false, mayVanish: false, walksOnCreate: true };
  private readonly pool: ClonePool;
  private readonly manifests: ManifestStore;

  private readonly recordFiles: RecordFiles;
  private readonly spaceIndex: SpaceIndex;
  private readonly written = new WrittenFiles();

  /** `deltaMinEntries`: below it manifests are written whole (manifest-store.ts's DELTA_MIN_ENTRIES; tests lower it). */
  constructor(storeRoot: string, options: { deltaMinEntries?: number } = {}) {
    this.pool = new ClonePool(storeRoot);
    this.manifests = new ManifestStore(storeRoot, options.deltaMinEntries);
    this.recordFiles = new RecordFiles(this.pool.recordsDir);
    this.spaceIndex = new SpaceIndex(storeRoot, (id) => this.manifests.readManifestOnce(id), async () => new Set(await this.manifests.manifestIds()));
  }

  async detect(): Promise<Detection> {
    return { usable: true, reason: 'clone works on any filesystem: it copies the folder into the snapctl store, sharing unchanged files' };
  }

  async create(request: CreateRequest): Promise<CreatedSnapshot> {
    await this.pool.takeLease(request.id);
    const added: string[] = [];
    try {
      const bases = await Promise.all(request.bases.map((b) => this.manifests.readManifest(b.ref).catch(() => null)));
      const copiesAreClones = await this.pool.copiesAreClones(request.target);
      const known = await this.writtenInto(request.target);
      request.trace?.(`read base manifests: ${bases.length}`);
      const result = await capture(request.target, this.pool, request.id, bases.filter((m): m is Manifest => m !== null), {
        added, copiesAreClones, ...(request.inspect ? { inspect: request.inspect } : {}), ...(request.trace ? { trace: request.trace } : {}),
        ...(request.skip ? { skip: request.skip } : {}), ...(request.cacheDirs ? { cacheDirs: true } : {}), ...(request.budget ? { budget: request.budget } : {}),
        ...(request.progress ? { progress: request.progress } : {}), ...(known.length > 0 ? { known } : {}),
        ...(narrowFrom(request, bases)),
      });
      // Every file is held: what is left is writing down what the snapshot holds.
      request.progress?.({ phase: 'saving', files: result.files, bytes: result.size, totalFiles: result.files, totalBytes: result.size });
      // Written as what changed since the snapshot it was compared with, the newest of the folder.
      const deltaBase = request.bases.find((b, i) => bases[i] !== null && (request.narrow ? b.id === request.narrow.baseId : true));
      const delta = await this.manifests.writeManifest(result.manifest, deltaBase?.ref ?? null);
      request.trace?.('write the manifest');
      // A failure here leaves the index stale, which the next read finds and rebuilds.
      await this.spaceIndex.added(result.manifest).catch(() => undefined);
      const first = bases.findIndex((m) => m !== null);
      const baseId = first < 0 ? null : request.bases[first]?.id ?? '';
      // The index takes the change from the delta when it is on the same base (see makeDelta).
      const changes = delta && deltaBase?.id === baseId ? { changes: { changed: delta.entries, removed: delta.removed } } : {};
      const base = baseId === null ? null : { id: baseId, entries: bases[first]?.entries ?? [], ...changes };
      return {
        ref: request.id, size: result.size, addedBytes: result.addedBytes, files: result.files, problems: result.manifest.problems, live: result.live, notHeld: result.notHeld,
        entries: result.manifest.entries, base, cacheDirs: result.cacheDirs, excluded: result.excluded.length, side: result.side, narrowed: result.narrowed,
      };
    } catch (err) {
      // A failed snapshot (disk full, most often) gives back the space it took, at once.
      await this.pool.discardObjects(added);
      await this.pool.dropLease(request.id);
      throw err;
    }
  }

  async discard(id: string): Promise<void> {
    await this.recordFiles.remove(id);
    await this.manifests.removeManifest(id);
    await this.pool.dropLease(id);
  }

  async settle(ref: string): Promise<void> {
    await this.pool.dropLease(ref);
  }

  async remove(record: SnapshotRecord): Promise<void> {
    const manifest = await this.manifests.readManifest(record.ref).catch(() => null);
    if (manifest) await this.spaceIndex.removed(manifest).catch(() => undefined);
    await this.manifests.removeManifest(record.ref);
  }

  /** Exact, from the space index: the objects only each snapshot names, and those only each folder's name. */
  async space(records: readonly SnapshotRecord[]): Promise<SpaceCosts> {
    const report = await this.spaceIndex.report(new Map(records.map((r) => [r.ref, r.target])));
    return {
      unique: new Map(records.map((r) => [r.id, report.unique.get(r.ref) ?? null])),
      folderBytes: report.folderBytes,
      total: report.total,
    };
  }

  async verify(record: SnapshotRecord): Promise<void> {
    await this.manifests.readManifest(record.ref);
  }

  async checkRestore(record: SnapshotRecord, paths: string[] | null, live: readonly LiveEntry[], reference?: SnapshotRecord): Promise<ContentProblem[]> {
    const manifest = await this.manifests.readManifest(record.ref);
    const known = await this.referenceOf(record, reference);
    const now = new Map<string, LiveEntry>();
    for (const e of live) now.set(e.path, e);
    const inScope = (p: string): boolean => paths === null || paths.some((s) => isUnder(p, s));
    // The files a restore would read from the pool: every one whose copy in the folder is not known to match.
    const needed = manifest.entries.filter((e): e is FileEntry => {
      if (e.type !== 'file' || !inScope(e.path)) return false;
      const current = now.get(e.path);
      if (current?.type !== 'file') return true;
      const match = quickMatch(current, e);
      return match !== 'same' && !(match === 'check' && known && sameByHash(current, e, known.get(e.path)) === true);
    });
    return (await this.pool.checkObjects(needed, { hashUnknown: false })).problems;
  }

  async verifyContent(record: SnapshotRecord, seen: ObjectChecks): Promise<{ checked: number; problems: ContentProblem[] }> {
    let manifest: Manifest;
    try {
      manifest = await this.manifests.readManifest(record.ref);
    } catch (err) {
      return { checked: 0, problems: [{ path: '(its list of files)', problem: describeError(err) }] };
    }
    const files = manifest.entries.filter((e): e is FileEntry => e.type === 'file');
    // An object without a hash (a clone made by an earlier version) is checked against the file it came from
    // while that file is as it was: its hash becomes the truth, not whatever the object holds by then.
    const fromFolder = (e: FileEntry, kind: HashKind): Promise<string | null> => hashIfAsRecorded(fsPath(path.join(record.target, e.path)), e, kind).catch(() => null);
    const { problems, hashed } = await this.pool.checkObjects(files, { hashUnknown: true, seen, fromFolder });
    // Hashes taken now for objects cloned without one are kept, so later checks compare content too.
    if (hashed > 0) await this.manifests.writeManifest(manifest);
    return { checked: files.length, problems };
  }

  async restore(record: SnapshotRecord, paths: string[] | null, options: ProviderRestoreOptions): Promise<RestoreResult> {
    const manifest = await this.manifests.readManifest(record.ref);
    const exclude = bothFilters(options.exclude, options.leaveAlone);
    const reference = await this.referenceOf(record, options.reference);
    return restore(record.target, manifest, this.pool, paths, {
      token: options.token, ...(options.protect ? { protect: options.protect } : {}), ...(options.live ? { walked: options.live } : {}),
      ...(exclude ? { exclude } : {}), ...(options.plan ? { plan: options.plan } : {}), ...(reference ? { reference } : {}),
      onWritten: (entry) => this.written.remember(record.target, record.ref, entry),
    });
  }

  async diff(record: SnapshotRecord, paths: string[] | null, options: ProviderDiffOptions = {}): Promise<DiffResult> {
    const manifest = await this.manifests.readManifest(record.ref);
    const now = options.live ? null : await this.listedFromChanges(record, options.changes);
    const reference = await this.referenceOf(record, options.reference ?? (now ? options.changes?.base : undefined));
    return compare(record.target, manifest, this.pool, paths, {
      exclude: options.exclude, walked: options.live ?? now?.entries, leaveAlone: options.leaveAlone, reference, ...(now ? { unlisted: now.unlisted } : {}),
    });
  }

  async differingPaths(a: SnapshotRecord, b: SnapshotRecord): Promise<string[] | null> {
    if (a.provider !== 'clone' || b.provider !== 'clone' || a.target !== b.target) return null;
    if (a.ref === b.ref) return [];
    const [x, y] = await Promise.all([a, b].map((r) => this.manifests.readManifest(r.ref).catch(() => null)));
    if (!x || !y) return null;
    return pathsToRestore(pathOrder(x.entries), pathOrder(y.entries));
  }

  /** The folder now from its newest snapshot and the journal's paths since (ProviderDiffOptions.changes); null: walk it. */
  private async listedFromChanges(record: SnapshotRecord, changes: ProviderDiffOptions['changes']): Promise<ListedNow | null> {
    if (!changes || changes.base.provider !== 'clone' || changes.base.target !== record.target) return null;
    const base = await this.manifests.readManifest(changes.base.ref).catch(() => null);
    if (!base) return null;
    return listedNow(record.target, base, { paths: changes.paths, inodes: changes.inodes ?? [] }, changes.side, changes.base.excluded?.patterns ?? []);
  }

  /** A newer snapshot of the same folder, by path, to compare by hash; none when it is another folder's or unreadable. */
  private async referenceOf(record: SnapshotRecord, reference: SnapshotRecord | undefined): Promise<EntryLookup | undefined> {
    if (!reference || reference.provider !== 'clone' || reference.target !== record.target) return undefined;
    const manifest = await this.manifests.readManifest(reference.ref).catch(() => null);
    if (!manifest) return undefined;
    const recorded = new EntriesByPath(manifest.entries);
    // What a restore wrote since is newer than any snapshot of it.
    const written = new Map((await this.writtenInto(record.target)).map((e) => [e.path, e]));
    return { get: (p) => written.get(p) ?? recorded.get(p) };
  }

  /** The files restores wrote into `target` (see WrittenFiles), from snapshots whose manifest is still there. */
  private writtenInto(target: string): Promise<FileEntry[]> {
    return this.written.of(target, (ref) => stat(this.manifests.manifestPath(ref)).then(() => true, () => false));
  }

  async read<T>(record: SnapshotRecord, fn: (reader: SnapshotReader) => Promise<T>): Promise<T> {
    const manifest = await this.manifests.readManifest(record.ref);
    const byPath = new Map(manifest.entries.map((e) => [e.path, e]));
    return fn({ readFile: (p, maxBytes) => readStoredFile(byPath.get(p), (oid) => this.pool.objectPath(oid), maxBytes, record.id) });
  }

  async readFile(record: SnapshotRecord, p: string, maxBytes: number): Promise<SnapshotFile> {
    return this.read(record, (r) => r.readFile(p, maxBytes));
  }

  async listEntries(record: SnapshotRecord): Promise<readonly ManifestEntry[]> {
    return (await this.manifests.readManifestOnce(record.ref)).entries;
  }

  readonly records = {
    write: (record: SnapshotRecord): Promise<void> => this.recordFiles.write(record),
    remove: (id: string): Promise<void> => this.recordFiles.remove(id),
    read: (id: string): Promise<SnapshotRecord | null> => this.recordFiles.read(id),
    forIndex: async (): Promise<{ records: SnapshotRecord[]; damaged: string[] }> => {
      const { records, damaged } = await this.recordFiles.readAll();
      // A snapshot being written (a live lease) is not one yet.
      const writing = await this.pool.liveLeaseIds();
      const manifests = new Set((await this.manifests.manifestIds()).filter((id) => !writing.has(id)));
      const kept = records.filter((r) => manifests.has(r.ref));
      // Snapshots taken before records were kept beside the data: what their manifest says.
      const named = new Set(kept.map((r) => r.ref));
      for (const id of manifests) {
        if (named.has(id)) continue;
        const manifest = await this.manifests.readManifest(id).catch(() => null);
        if (manifest) kept.push(recordFromManifest(manifest));
        else damaged.push(this.manifests.manifestPath(id));
      }
      return { records: kept, damaged };
    },
  };

  async collectGarbage(recordedRefs: ReadonlySet<string>): Promise<void> {
    await this.pool.collectGarbage(recordedRefs, this.manifests);
  }

  /** For tests and the benchmark: where a snapshot's data lives. */
  manifestPath(ref: string): string {
    return path.resolve(this.manifests.manifestPath(ref));
  }
}

/**
 * The hash of the file at `abs` when it is still the file `e` recorded (inode, ctime, size, mtime) before and
 * after it is read through one descriptor, never through a link; else null. A file appended to while it is
 * read gives null, not the hash of bytes no snapshot held.
 */
async function hashIfAsRecorded(abs: string | Buffer, e: FileEntry, kind: HashKind): Promise<string | null> {
  const handle = await open(abs, fsc.O_RDONLY | fsc.O_NOFOLLOW | fsc.O_NONBLOCK);
  try {
    const asRecorded = async (): Promise<boolean> => {
      const st = await handle.stat({ bigint: true });
      return st.isFile() && Number(st.size) === e.size && st.ino.toString() === e.ino && st.ctimeNs.toString() === e.ctimeNs && sameMtime(st.mtimeNs.toString(), e.mtimeNs);
    };
    if (!(await asRecorded())) return null;
    const got = await readContent(handle, kind);
    return got.size === e.size && (await asRecorded()) ? got.hash : null;
  } finally {
    await handle.close();
  }
}

/** A record for a snapshot whose own record is missing: what its manifest says; tag and trigger are unknown. */
function recordFromManifest(manifest: Manifest): SnapshotRecord {
  const files = manifest.entries.filter((e) => e.type === 'file');
  return {
    id: manifest.id, provider: 'clone', target: manifest.target, tag: null, trigger: 'manual', createdAt: manifest.createdAt,
    size: files.reduce((sum, e) => sum + e.size, 0), addedBytes: 0, files: files.length, state: 'ready', ref: manifest.id,
    note: 'recovered from its snapshot data: its tag and trigger were only in the lost index',
  };
}

/** The journal's narrowing with the base manifest it starts from, when that base could be read. */
function narrowFrom(request: CreateRequest, bases: readonly (Manifest | null)[]): Partial<Pick<CaptureOptions, 'narrow'>> {
  const n = request.narrow;
  if (!n) return {};
  const at = request.bases.findIndex((b) => b.id === n.baseId);
  const base = at < 0 ? null : bases[at];
  return base ? { narrow: { base, paths: n.paths, ...(n.inodes ? { inodes: n.inodes } : {}), side: n.side } } : {};
}

/** Entries in path order, as diffEntries takes them (a manifest is written sorted; one that is not is sorted here). */
function pathOrder(entries: readonly ManifestEntry[]): readonly ManifestEntry[] {
  return isSortedByPath(entries) ? entries : [...entries].sort(byPath);
}
