import { constants as fsc } from 'node:fs';
import path from 'node:path';
import { IO_PARALLELISM, mapLimit } from '../../base/concurrency.js';
import { errnoCode } from '../../base/errors.js';
import { EntriesByPath, entryAt, fileEntry, sameEntry, sameMtime, storedBytes, treeEntry, type FileEntry, type Manifest, type ManifestEntry } from '../../tree/manifest.js';
import { quickMatch } from '../../tree/same-file.js';
import { hashFile, hashKindOf } from '../../tree/content-hash.js';
import { NotAFile, SMALL_OBJECT_MAX, type ClonePool, type SourceStat, type StoredObject } from './pool.js';
import { fsPath, type FsPath } from '../../tree/names.js';
import { walk, type LiveEntry, type WalkResult } from '../../tree/walk.js';
import { listingFromManifest, sideOf, walkChanged, type BaseListing, type NarrowedParts, type WalkSide } from '../../tree/walk-changed.js';
import { isSortedByPath, rememberChange, spliceChanges } from './manifest-delta.js';
import type { ExcludeMatcher } from '../../tree/excludes.js';
import type { Trace } from '../../base/trace.js';
import type { CreateProgress } from '../../../shared/model.js';


type LiveFile = Extract<LiveEntry, { type: 'file' }>;
interface PendingFile { index: number; live: LiveFile; base: FileEntry | null }

/** Whether the file at `abs` still holds the content `hash` names. */
async function unchangedSince(abs: FsPath, hash: string): Promise<boolean> {
  return (await hashFile(abs, { flags: fsc.O_RDONLY | fsc.O_NOFOLLOW, kind: hashKindOf(hash) })) === hash;
}

export interface CaptureResult {
  manifest: Manifest;
  size: number;
  addedBytes: number;
  /** The bytes read from the folder's files and the objects made of them, to store and hash them. */
  bytesRead: number;
  files: number;
  /** Everything the walk saw, for a restore that follows at once. */
  live: LiveEntry[];
  /** Paths in the folder the snapshot does not hold (see CreatedSnapshot.notHeld). */
  notHeld: string[];
  /** The topmost paths the excludes left out, and the folders whose CACHEDIR.TAG left their contents out. */
  excluded: string[];
  cacheDirs: string[];
  /** What the walk listed beside the manifest, for the next snapshot's narrowed walk. */
  side: WalkSide;
  /** The walk was narrowed by the change journal (see CaptureOptions.narrow). */
  narrowed: boolean;
}

const VANISHED = 'deleted while the snapshot was taken';

const COPY_ATTEMPTS = 3;

/**
 * Takes a snapshot of `root` into the pool. A file whose size and mtime match its entry in one of the `bases`
 * (earlier snapshots of the same folder) is not read or copied again: its object is shared (the quick check
 * rsync and Time Machine use), if that entry has its hash (entries of reflink clones made by earlier
 * versions may not: those files are stored again, so every entry of a new snapshot has one). A rollback
 * passes the snapshot it restores as a base too, so its safety snapshot does not copy again the files an
 * earlier rollback put back.
 */
export interface CaptureOptions {
  /** Object ids written so far, for the caller to delete if the snapshot fails. */
  added?: string[];
  /** Copies into the pool are reflink clones (see copyChanged). */
  copiesAreClones?: boolean;
  /** Sees the walk before anything is copied (see CreateRequest.inspect). */
  inspect?: (live: readonly LiveEntry[]) => Promise<void>;
  /** The person's excludes: never walked, never stored (see WalkOptions.skip). */
  skip?: ExcludeMatcher | null;
  /** Leave out the contents of folders holding a CACHEDIR.TAG. */
  cacheDirs?: boolean;
  /**
   * Told the bytes the snapshot is about to write (files new or changed since its bases; where copies are
   * clones, only the small files, which are written) before the first is copied: throwing stops the snapshot with nothing written.
   */
  budget?: (needBytes: number) => Promise<void>;
  trace?: Trace;
  /** Told how far it has got: paths listed while walking, then files held of all (see CreateProgress). */
  progress?: (p: CreateProgress) => void;
  /** Lists only what the change journal says changed since `base`, the rest from it (see CreateRequest.narrow). */
  /** Entries of walks kept warm over all folders (WARM_ENTRIES_MAX; tests lower it). */
  warmEntries?: number;
  narrow?: { base: Manifest; paths: readonly string[]; inodes?: readonly string[]; side: WalkSide };
  /** Files a restore wrote, as they are now, with their objects (see WrittenFiles): shared like a base's. */
  known?: readonly FileEntry[];
}

export async function capture(root: string, pool: ClonePool, id: string, bases: readonly Manifest[], options: CaptureOptions = {}): Promise<CaptureResult> {
  const added = options.added ?? [];
  const known = new BaseEntries(bases);
  // Files a restore wrote (options.known) are shared like a base's; not their attributes, which are read
  // again, since setting one may have been refused where their content cannot differ.
  const written = new Map((options.known ?? []).map((e) => [e.path, e]));
  // What the bases recorded of each path: an entry with the same inode and ctime has the same attributes.
  const knownXattrs = (rel: string, ino: string, ctimeNs: string): Record<string, string> | undefined | null => {
    const r = known.recorded(rel);
    return r && r.ino === ino && r.ctimeNs === ctimeNs ? r.xattrs : null;
  };
  const tell = options.progress;
  const reading = (listed: number): void => tell?.({ phase: 'reading', files: listed, bytes: 0, totalFiles: null, totalBytes: null });
  reading(0);
  const walkOptions = { knownXattrs, ...(options.skip ? { skip: options.skip } : {}), ...(options.cacheDirs ? { cacheDirs: true } : {}), ...(tell ? { onBatch: reading } : {}) };
  const narrow = options.narrow;
  // A narrowed walk starts from the walk this process kept of the base (warmListing), else from the base's
  // manifest, and says what it described anew (`parts`): only those entries are decided here, and the
  // manifest is the base's with them spliced in, so the cost is the change's, not the folder's.
  const baseSorted = narrow ? isSortedByPath(narrow.base.entries) : false;
  const listing = narrow && baseSorted ? warmListing(pool, root, narrow.base) ?? listingFromManifest(narrow.base, narrow.side) : null;
  const parts: NarrowedParts = { whole: false, fresh: [], dropped: [] };
  const result: WalkResult = listing && narrow
    ? await walkChanged(root, listing, { paths: [...narrow.paths, ...unsharedFiles(narrow.base)], inodes: narrow.inodes ?? [] }, walkOptions, parts)
    : await walk(root, walkOptions);
  const spliced = listing !== null && !parts.whole;
  const { entries: walked, skipped, notes, excluded, cacheDirs } = result;
  options.trace?.(`${listing ? `walk of ${narrow?.paths.length ?? 0} changed paths` : 'walk'}, paths: ${walked.length}${spliced ? `, described anew: ${parts.fresh.length}` : ''}`);
  await options.inspect?.(walked);
  const problems = [...skipped, ...notes];
  const notHeld = skipped.map((s) => s.path);
  let size = 0;
  let addedBytes = 0;
  let bytesRead = 0;

  // Decided synchronously: a repeat snapshot copies a few hundred of 20,000 entries, and a promise per entry
  // was a measured part of its time (bench/README.md, "Forms the code keeps").
  const entries: (ManifestEntry | null)[] = [];
  const toCopy: PendingFile[] = [];
  const toRecheck: PendingFile[] = [];
  for (const e of spliced ? parts.fresh : walked) {
    const { mtimeNs } = e;
    if (e.type !== 'file') { entries.push(treeEntry(e)); continue; }
    // An entry without a hash is never shared: its object could not be checked by a restore.
    const wrote = written.get(e.path);
    const before = (wrote ? [wrote, ...known.files(e.path)] : known.files(e.path)).filter((b) => b.hash !== null);
    const prev = before.find((b) => quickMatch(e, b) === 'same');
    if (prev) {
      size += e.size;
      entries.push(fileEntry(e, prev));
      continue;
    }
    // Same size and mtime but another inode or ctime: the bytes decide (below) whether it changed.
    const suspect = before.find((b) => b.size === e.size && sameMtime(b.mtimeNs, mtimeNs));
    (suspect ? toRecheck : toCopy).push({ index: entries.length, live: e, base: suspect ?? null });
    entries.push(null);
  }
  // Files shared with a base are held already; the rest count as each is settled (shared, stored or not kept).
  const done = { files: 0, bytes: size, totalFiles: 0, totalBytes: 0 };
  for (const e of spliced ? parts.fresh : walked) if (e.type === 'file') { done.totalFiles++; done.totalBytes += e.size; }
  done.files = done.totalFiles - toCopy.length - toRecheck.length;
  const settled = (bytes: number): void => {
    done.files++;
    done.bytes += bytes;
    tell?.({ phase: 'copying', ...done });
  };
  tell?.({ phase: 'copying', ...done });

  await mapLimit(toRecheck, IO_PARALLELISM, async (item) => {
    const base = item.base;
    if (base?.hash && await unchangedSince(underRoot(root, item.live.path), base.hash).catch(() => false)) {
      size += item.live.size;
      entries[item.index] = fileEntry(item.live, base);
      settled(item.live.size);
    } else {
      toCopy.push(item);
    }
  });

  // A reflink clone shares the file's blocks: only metadata is written, whatever the file's size. Small files
  // are written even where copies are clones (see copyChanged).
  await options.budget?.(bytesToWrite(toCopy.map((it) => it.live).filter((f) => options.copiesAreClones !== true || f.size <= SMALL_OBJECT_MAX)));

  const record = ({ index, live: e }: (typeof toCopy)[number], copied: CopyOutcome): void => {
    settled(e.size);
    bytesRead += copied.bytesRead ?? 0;
    if ('problem' in copied) problems.push({ path: e.path, reason: copied.problem });
    const got = copied.entry;
    if (!got) {
      if ('problem' in copied && copied.problem !== VANISHED) notHeld.push(e.path);
      return;
    }
    // The size is the object's: what was read and stored, whatever the file's size was before or after.
    const entry: FileEntry = { ...fileEntry(e, got), mtimeNs: got.mtimeNs, size: got.size };
    size += got.size;
    // What the object takes: a file with holes only its data.
    if (got.added) addedBytes += storedBytes(entry);
    entries[index] = entry;
  };
  // A file with several names is copied once, the first time it is met: copied in parallel under each name,
  // it would take its size as many times over until the copies were found to be the same object.
  const firstOf = new Map<string, PendingFile>();
  const again: PendingFile[] = [];
  const once = toCopy.filter((it) => {
    if (it.live.nlink < 2) return true;
    if (!firstOf.has(it.live.ino)) { firstOf.set(it.live.ino, it); return true; }
    again.push(it);
    return false;
  });
  const outcomes = new Map<PendingFile, CopyOutcome>();
  await copyChanged(once, root, pool, added, options.copiesAreClones === true, (item, copied) => { outcomes.set(item, copied); record(item, copied); });
  const retry: PendingFile[] = [];
  for (const it of again) {
    const first = firstOf.get(it.live.ino);
    const got = first ? outcomes.get(first) : undefined;
    // The same object under this name too, when the first name's copy is the file as it still is.
    if (got?.entry && !('problem' in got) && got.entry.size === it.live.size && got.entry.mtimeNs === it.live.mtimeNs) record(it, { entry: { ...got.entry, added: false } });
    else retry.push(it);
  }
  if (retry.length > 0) await copyChanged(retry, root, pool, added, options.copiesAreClones === true, record);
  options.trace?.(`copy${options.copiesAreClones === true ? ' (files over 64 KiB as reflink clones)' : ''} and hash, new or changed files: ${toCopy.length}, bytes read: ${bytesRead}`);

  const kept = entries.filter((e): e is ManifestEntry => e !== null);
  const createdAt = new Date().toISOString();
  let manifest: Manifest;
  let files = 0;
  if (spliced && narrow) {
    const { changed, removed } = changeFromBase(narrow.base.entries, kept, parts);
    manifest = { version: 1, id, target: root, createdAt, entries: spliceChanges(narrow.base.entries, changed, removed), problems };
    rememberChange(manifest, narrow.base.id, changed, removed);
    size = 0;
    for (const e of manifest.entries) if (e.type === 'file') { files++; size += e.size; }
  } else {
    manifest = { version: 1, id, target: root, createdAt, entries: kept, problems };
    files = kept.filter((e) => e.type === 'file').length;
  }
  keepWarm(pool, root, id, result, options.warmEntries ?? WARM_ENTRIES_MAX);
  const side = spliced && narrow ? sideFromBase(result, narrow.side, parts) : sideOf(result);
  return { manifest, size, addedBytes, bytesRead, files, live: walked, notHeld, excluded, cacheDirs, side, narrowed: listing !== null };
}

/**
 * sideOf for a narrowed walk without going through every entry: the entries it did not describe anew are the
 * base's, marks and all, so the marked folders are the base's, less those dropped, with the fresh ones marked.
 */
function sideFromBase(result: WalkResult, base: WalkSide, parts: NarrowedParts): WalkSide {
  const dropped = new Set<string>();
  for (const e of parts.dropped) if (e.type === 'dir') dropped.add(e.path);
  const marked = (kept: readonly string[], mark: (e: Extract<LiveEntry, { type: 'dir' }>) => boolean): string[] => {
    const out = kept.filter((p) => !dropped.has(p));
    for (const e of parts.fresh) if (e.type === 'dir' && mark(e)) out.push(e.path);
    return out.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  };
  return {
    skipped: result.skipped, notes: result.notes, mounts: result.mounts, excluded: result.excluded, cacheDirs: result.cacheDirs,
    unlisted: marked(base.unlisted, (e) => e.unlisted === true), leftovers: marked(base.leftovers, (e) => e.leftovers === true),
  };
}

/**
 * What the snapshot changed since its base (sorted by path) when a narrowed walk described only `parts.fresh`:
 * their entries that differ from the base's, and the base's paths dropped from the listing, or described anew
 * but not held now.
 */
function changeFromBase(base: readonly ManifestEntry[], held: readonly ManifestEntry[], parts: NarrowedParts): { changed: ManifestEntry[]; removed: string[] } {
  const changed = held.filter((e) => {
    const was = entryAt(base, e.path);
    return !was || !sameEntry(was, e);
  });
  const heldNow = new Set(held.map((e) => e.path));
  const gone = new Set<string>();
  for (const e of parts.dropped) if (!heldNow.has(e.path) && entryAt(base, e.path)) gone.add(e.path);
  for (const e of parts.fresh) if (!heldNow.has(e.path) && entryAt(base, e.path)) gone.add(e.path);
  const removed = [...gone].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return { changed, removed };
}

/**
 * The walk each snapshot of a folder was made from, kept per pool (one per folder: the newest), so the next
 * narrowed snapshot starts from it instead of turning 200,000 manifest entries back into a walk
 * (listingFromManifest). Successive walks share the entries they did not describe anew. Keyed by the pool in
 * a WeakMap: the pool lives as long as its provider, in the tray app all day, and holds only objects itself.
 */
const warmWalks = new WeakMap<ClonePool, Map<string, { id: string; walk: WalkResult }>>();

/**
 * Entries kept warm at most, over all folders: two folders of 200,000 paths. An app watching more gives the
 * least recently snapshotted folder back to listingFromManifest (slower, not wrong) rather than grow without
 * bound all day (issue 30's goal: 300 MB for three such folders).
 */
export const WARM_ENTRIES_MAX = 400_000;

function keepWarm(pool: ClonePool, root: string, id: string, walk: WalkResult, max: number): void {
  let byRoot = warmWalks.get(pool);
  if (!byRoot) { byRoot = new Map(); warmWalks.set(pool, byRoot); }
  byRoot.delete(root);
  byRoot.set(root, { id, walk });
  let total = 0;
  for (const kept of byRoot.values()) total += kept.walk.entries.length;
  // A Map iterates in insertion order: the first is the folder snapshotted longest ago.
  for (const [other, kept] of byRoot) {
    if (total <= max || other === root) break;
    byRoot.delete(other);
    total -= kept.walk.entries.length;
  }
}

/**
 * The walk kept for `base` (its snapshot), with the base's problems to look at again; null when this process
 * did not take it. Paths the walk listed that the snapshot did not hold are among those problems.
 */
function warmListing(pool: ClonePool, root: string, base: Manifest): BaseListing | null {
  const kept = warmWalks.get(pool)?.get(root);
  if (kept?.id !== base.id) return null;
  return { ...kept.walk, recheck: base.problems.map((p) => p.path) };
}

/** Files of the base without a hash: never shared (a restore could not check them), so described and copied again. */
function unsharedFiles(base: Manifest): string[] {
  const out: string[] = [];
  for (const e of base.entries) if (e.type === 'file' && e.hash === null) out.push(e.path);
  return out;
}

/**
 * The bases' entries by path (EntriesByPath: a repeat snapshot that looks at a few paths indexes none of them;
 * bisected at once where the store knows them sorted, without checking 200,000 paths' order again).
 */
class BaseEntries {
  private readonly byPath: { get(p: string): ManifestEntry | undefined }[];

  constructor(bases: readonly Manifest[]) {
    this.byPath = bases.map((b) => (isSortedByPath(b.entries) ? { get: (p: string) => entryAt(b.entries, p) } : new EntriesByPath(b.entries)));
  }

  /** The file entries the bases hold at `p`, in the bases' order. */
  files(p: string): FileEntry[] {
    const out: FileEntry[] = [];
    for (const base of this.byPath) {
      const e = base.get(p);
      if (e?.type === 'file') out.push(e);
    }
    return out;
  }

  /** The first base's entry at `p` that knows its inode. */
  recorded(p: string): ManifestEntry | undefined {
    for (const base of this.byPath) {
      const e = base.get(p);
      if (e?.ino !== undefined) return e;
    }
    return undefined;
  }
}

/** When copies are clones, files up to this size are cloned with direct calls; larger ones in the thread pool. */
const DIRECT_COPY_MAX_BYTES = 256 * 1024;
/** How long direct copies may hold the event loop before it gets a turn (the tray app and serve stay live). */
const DIRECT_COPY_SLICE_MS = 20;

/**
 * Copies the new and changed files. Small files go through direct calls, because the thread pool's hand-offs
 * are most of their cost. Files up to SMALL_OBJECT_MAX are read whole, hashed and written, even where a copy
 * would be a reflink clone: a clone must be read back to hash it, and a clone's pages are not the file's, so
 * that read goes to the disk, where the file's own are mostly cached (bench/README.md, "Forms the code
 * keeps"). Larger files up to DIRECT_COPY_MAX_BYTES are cloned with direct calls where copies are clones.
 * The rest go to the pool, in parallel with the direct copies, and the event loop gets a turn every
 * DIRECT_COPY_SLICE_MS.
 */
async function copyChanged<T extends { live: { path: string; size: number; mtimeNs: string; ino: string } }>(
  items: readonly T[], root: string, pool: ClonePool, added: string[], clones: boolean, record: (item: T, copied: CopyOutcome) => void,
): Promise<void> {
  const direct = (it: T): boolean => it.live.size <= (clones ? DIRECT_COPY_MAX_BYTES : SMALL_OBJECT_MAX);
  const large = items.filter((it) => !direct(it));
  // Once either side fails (a full disk, most often) the other starts no new copy, and this returns only
  // when nothing is being written any more: the caller then removes everything the snapshot wrote.
  let stopped = false;
  const inPool = mapLimit(large, IO_PARALLELISM, async (it) => {
    if (stopped) return;
    record(it, await copyStable(pool, underRoot(root, it.live.path), it.live, added, clones));
  });
  inPool.catch(() => { stopped = true; });
  // Small files a direct copy handed back (grown since the walk, or their content being placed meanwhile).
  const later: T[] = [];
  try {
    let sliceStart = performance.now();
    for (const it of items) {
      if (stopped) break;
      if (!direct(it)) continue;
      const abs = underRoot(root, it.live.path);
      const copied = copyStableSync(clones && it.live.size > SMALL_OBJECT_MAX ? () => pool.addObjectSync(abs) : () => pool.addSmallObjectSync(abs), it.live, added);
      if (copied) record(it, copied); else later.push(it);
      if (performance.now() - sliceStart >= DIRECT_COPY_SLICE_MS) {
        await new Promise<void>((resolve) => setImmediate(resolve));
        sliceStart = performance.now();
      }
    }
  } catch (err) {
    stopped = true;
    await inPool.catch(() => undefined);
    throw err;
  }
  await inPool;
  await mapLimit(later, IO_PARALLELISM, async (it) => {
    record(it, await copyStable(pool, underRoot(root, it.live.path), it.live, added, clones));
  });
}

/** A walked path (relative, `/`-separated, no `.` or `..`) under the absolute root it was walked from. */
function underRoot(root: string, rel: string): FsPath {
  return fsPath(path.sep === '/' ? `${root}/${rel}` : path.join(root, rel));
}

/** `added`: a new object; false when the content was in the pool already and is shared. */
interface Copied { oid: string; hash: string; added: boolean; size: number; mtimeNs: string }
/** `bytesRead`: by every attempt, for the count of what a snapshot read. */
type CopyOutcome = ({ entry: Copied } | { entry: Copied | null; problem: string }) & { bytesRead?: number };
/** One attempt's verdict: finished (copied, flagged or lost), or copy again because the file changed. */
type Attempt = { done: CopyOutcome } | { again: SourceStat };

const CHANGED_WHILE_COPIED = 'kept changing while it was copied: the snapshot holds it as it was read';

/**
 * Copies a file and checks it did not change while being copied (a build writing into the folder): the file
 * stat'd through the descriptor it was read from, before and after, must be the one walked, unchanged. Tries
 * a few times; then keeps the last copy, named as changing: its entry records the object's own size and
 * hash (what was read), so it restores like any other, and the size and mtime from before the copy, so the
 * next snapshot copies it again. copyStableSync is the same for direct calls (see copyChanged).
 */
async function copyStable(pool: ClonePool, abs: FsPath, walked: SourceStat, added: string[], clone: boolean): Promise<CopyOutcome> {
  let expected = { size: walked.size, mtimeNs: walked.mtimeNs, ino: walked.ino };
  let bytesRead = 0;
  for (let attempt = 1; ; attempt++) {
    const copied = await pool.addObject(abs, clone).catch(readProblem);
    if (!('problem' in copied)) bytesRead += copied.bytesRead;
    const next = judgeCopy(copied, expected, attempt, added);
    if ('done' in next) return { ...next.done, bytesRead };
    expected = next.again;
  }
}

/** Null: the copy was handed back (see addSmallObjectSync), for copyStable to make. */
function copyStableSync(copy: () => StoredObject | null, walked: SourceStat, added: string[]): CopyOutcome | null {
  let expected = { size: walked.size, mtimeNs: walked.mtimeNs, ino: walked.ino };
  let bytesRead = 0;
  for (let attempt = 1; ; attempt++) {
    const copied = copyOrProblem(copy);
    if (copied === null) return null;
    if (!('problem' in copied)) bytesRead += copied.bytesRead;
    const next = judgeCopy(copied, expected, attempt, added);
    if ('done' in next) return { ...next.done, bytesRead };
    expected = next.again;
  }
}

function copyOrProblem(copy: () => StoredObject | null): StoredObject | { problem: string } | null {
  try {
    return copy();
  } catch (err) {
    return readProblem(err);
  }
}

/**
 * What a failed copy means for the snapshot; anything but a vanished, replaced or unreadable file is
 * rethrown. EINVAL is a file that refuses to be read (a virtual filesystem mounted inside the folder): it is
 * named, the rest kept. ELOOP: a link swapped in for the file since the walk, never followed.
 */
function readProblem(err: unknown): { problem: string } {
  const code = errnoCode(err);
  if (code === 'ENOENT') return { problem: VANISHED };
  if (code === 'ELOOP' || err instanceof NotAFile) return { problem: 'replaced by something other than a file while the snapshot was taken' };
  if (code === 'EACCES' || code === 'EPERM' || code === 'EINVAL') return { problem: `could not read: ${code}` };
  throw err;
}

function sameStat(a: SourceStat, b: SourceStat): boolean {
  return a.size === b.size && a.mtimeNs === b.mtimeNs && a.ino === b.ino;
}

function judgeCopy(copied: StoredObject | { problem: string }, expected: SourceStat, attempt: number, added: string[]): Attempt {
  if ('problem' in copied) return { done: { entry: null, problem: copied.problem } };
  const { oid, hash } = copied;
  if (copied.added) added.push(oid);
  const entry = { oid, hash, added: copied.added, size: copied.size, mtimeNs: expected.mtimeNs };
  if (sameStat(copied.before, expected) && sameStat(copied.after, expected) && copied.size === expected.size) return { done: { entry } };
  if (attempt >= COPY_ATTEMPTS) return { done: { entry, problem: CHANGED_WHILE_COPIED } };
  return { again: copied.after };
}

/**
 * What copying these files will write, about: a file with several names once (the pool keeps one object
 * for the same bytes), a file with holes by the blocks it takes, not its length (the pool keeps the holes).
 */
export function bytesToWrite(files: readonly Extract<LiveEntry, { type: 'file' }>[]): number {
  const seen = new Set<string>();
  let sum = 0;
  for (const f of files) {
    if (f.nlink > 1) { if (seen.has(f.ino)) continue; seen.add(f.ino); }
    sum += storedBytes(f);
  }
  return sum;
}
