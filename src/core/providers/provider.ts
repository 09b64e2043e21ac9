import type { Trace } from '../base/trace.js';
import type { DiffResult } from '../tree/compare.js';
import type { ManifestEntry, PathFilter } from '../tree/manifest.js';
import type { LiveEntry } from '../tree/walk.js';
import type { ExcludeMatcher } from '../tree/excludes.js';
import type { WalkSide } from '../tree/walk-changed.js';
import type { SnapshotChanges } from './snapshot-changes.js';
import type { CreateProgress, ProviderName, RestoreResult, SnapshotRecord } from '../../shared/model.js';

export type { RestoreResult };

export type { DiffResult };

/** What a provider can do, so the UI and CLI offer only what works. */
/** A path of a snapshot whose data cannot be trusted, and why. */
export interface ContentProblem {
  path: string;
  problem: string;
}

/**
 * What one verification has found of each stored object so far (by object id: its SHA-256, or why it cannot
 * be trusted), so an object shared by a thousand snapshots is read once per run.
 */
export type ObjectChecks = Map<string, Promise<{ hash: string } | { problem: string }>>;

/** See RestoreOptions (tree/restore.ts): the restore's token, what it must not touch, and a fresh walk. */
export interface ProviderRestoreOptions {
  token: string;
  protect?: ReadonlySet<string>;
  live?: readonly LiveEntry[];
  /** Paths neither removed nor written (keepGit: every `.git`). */
  exclude?: PathFilter;
  /** Paths excluded from snapshots (see leaveAloneFilter): neither removed nor written either. */
  leaveAlone?: PathFilter;
  /** The preview made from `live` under the same lock: the result is counted from it. */
  plan?: DiffResult;
  /** The safety snapshot just taken from `live`: what it holds as the snapshot's is not read again (see sameByHash). */
  reference?: SnapshotRecord;
}

export interface ProviderDiffOptions {
  exclude?: PathFilter;
  /** Paths excluded from snapshots: left out of the comparison, and counted (DiffResult.leftAlone). */
  leaveAlone?: PathFilter;
  /** The folder as a walk just found it; without it the provider walks the folder. */
  live?: readonly LiveEntry[];
  /** A newer snapshot of the folder by this provider: files it recorded as they are now are compared by hash. */
  reference?: SnapshotRecord;
  /**
   * What the running app's change journal saw since `base` (the folder's newest snapshot, taken with the
   * folder's excludes now): a provider that walks lists the folder from that snapshot and these paths instead
   * of walking it (walkChanged), and compares by hash what the snapshot recorded. Ignored with `live`.
   */
  changes?: { base: SnapshotRecord; paths: readonly string[]; inodes?: readonly string[]; side: WalkSide };
}

export type { SnapshotChanges };

export interface SnapshotChangesOptions {
  /**
   * Every path the older snapshot holds (a walk of it, or the path index's record of it). A file changed under
   * one name changes under all its names, and btrfs and ZFS name one: these find the others (by inode).
   * Without them, a changed file with other names means null (walk). A function is called only when such a
   * file is found (most changes have none), and may answer null (not known: walk).
   */
  olderEntries?: readonly ManifestEntry[] | (() => Promise<readonly ManifestEntry[] | null>);
  /** Told how the difference was found, or why the caller must walk instead. */
  trace?: Trace;
}

/** What snapshots cost in space, as far as the provider can tell: null where it cannot (never a guess). */
export interface SpaceCosts {
  /** Bytes deleting each snapshot (by id) would free. */
  unique: Map<string, number | null>;
  /** Bytes each folder's snapshots take, where known (what deleting all of them would free). */
  folderBytes: Map<string, number>;
  /** Bytes all of them take, where known. */
  total: number | null;
}

/** One file of a snapshot as `readFile` found it. */
export type SnapshotFile =
  /**
   * `mode`, `mtimeNs` and the owner (`uid`, `gid`) are the file's as this snapshot holds it (clone: its manifest
   * entry, not the pool object); the owner is absent where the snapshot did not record one.
   */
  | { kind: 'file'; bytes: Buffer; size: number; mode: number; mtimeNs: string; uid?: number; gid?: number }
  | { kind: 'too-large'; size: number }
  | { kind: 'missing' }
  | { kind: 'not-a-file'; type: 'dir' | 'symlink' | 'other' };

/** Reads files of one snapshot while it is open (a tree provider's view stays mounted between reads). */
export interface SnapshotReader {
  /**
   * The bytes of `path` (relative, names as in manifests) as the snapshot holds them, up to `maxBytes`:
   * clone checks them against the recorded hash; tree providers never follow a link out of the snapshot.
   */
  readFile(path: string, maxBytes: number): Promise<SnapshotFile>;
}

/**
 * Thrown by a CreateRequest's `inspect` to stop a snapshot before anything is stored; `reason` is what the
 * caller gets back (see the service's rollback.ts: nothing to change, or a path that does not exist).
 */
export class CreateStopped extends Error {
  constructor(readonly reason: unknown) {
    super('the snapshot was stopped before anything was stored');
  }
}

export interface ProviderCapabilities {
  /** A snapshot covers the whole volume or subvolume, not only the chosen folder. */
  wholeVolume: boolean;
  /** Rollback can restore chosen paths inside the target instead of all of it. */
  partialRestore: boolean;
  /** Rollback needs administrator rights (e.g. mounting an APFS snapshot). */
  needsAdmin: boolean;
  /** The OS may remove snapshots on its own (APFS thinning), so records must be reconciled. */
  mayVanish: boolean;
  /** `create` walks the folder and calls the request's `inspect` with that walk before storing anything. */
  walksOnCreate: boolean;
}

export interface Detection {
  usable: boolean;
  /** Why it can or cannot snapshot this folder, in words a user understands. */
  reason: string;
}

export interface CreateRequest {
  id: string;
  /** Absolute, resolved folder. */
  target: string;
  tag: string | null;
  /**
   * Ready snapshots of the same folder by this provider whose unchanged files can be shared, most likely
   * first: the latest one, and for a rollback's safety snapshot also the snapshot being restored.
   */
  bases: SnapshotRecord[];
  /**
   * Called with the folder's walk before anything is stored, by providers that walk (`walksOnCreate`): a
   * rollback decides there whether anything needs changing; throwing CreateStopped stops the snapshot.
   */
  inspect?: (live: readonly LiveEntry[]) => Promise<void>;
  /**
   * The folder's excludes, by providers that walk (clone): paths they match and the contents of folders
   * holding a CACHEDIR.TAG are never read nor stored. Filesystem snapshots hold everything; their rollback
   * leaves the same paths alone instead.
   */
  skip?: ExcludeMatcher | null;
  cacheDirs?: boolean;
  /** See CaptureOptions.budget: told the bytes the snapshot will write, before it writes any. */
  budget?: (needBytes: number) => Promise<void>;
  /** Marks the end of each phase of the provider's work (SNAPCTL_TRACE). */
  trace?: Trace;
  /** Told how far the snapshot has got, by providers that walk (clone); others take theirs at once. */
  progress?: (p: CreateProgress) => void;
  /**
   * What changed since the base snapshot `baseId` (one of `bases`), from the running app's change journal
   * after a sync point: a provider that walks lists only those paths and their folders again and takes the
   * rest from that base (`walkChanged`), with the walk's side lists kept from its snapshot (`side`). Absent: a
   * whole walk.
   */
  narrow?: { baseId: string; paths: readonly string[]; inodes?: readonly string[]; side: WalkSide };
}

export interface CreatedSnapshot {
  ref: string;
  size: number;
  addedBytes: number;
  files: number;
  problems: { path: string; reason: string }[];
  /** What the snapshot holds, when the provider has it at hand (clone's manifest): the path index takes it. */
  entries?: readonly ManifestEntry[];
  /** The snapshot `entries` were compared with (the first base read), and what it holds: the index takes the change. */
  base?: { id: string; entries: readonly ManifestEntry[]; changes?: EntryChanges } | null;
  /**
   * Paths that exist in the folder but that the snapshot could not hold (unreadable, sockets, too long): a
   * rollback guarded by this snapshot must leave them alone.
   */
  notHeld?: string[];
  /**
   * The folder as this snapshot's walk found it, when the provider walked it: a rollback restores right
   * after taking its safety snapshot, under the same lock, and need not walk the folder a second time.
   */
  live?: readonly LiveEntry[];
  /** Folders whose CACHEDIR.TAG left their contents out, and how many paths the excludes left out (topmost). */
  cacheDirs?: string[];
  excluded?: number;
  /** What this snapshot's walk listed beside its manifest, for the next snapshot's narrowed walk (see CreateRequest.narrow). */
  side?: WalkSide;
  /** Whether the walk was narrowed by the change journal (false: a whole walk). */
  narrowed?: boolean;
}


/**
 * One snapshot technology. Restores must be idempotent: the service journals a rollback and, after a crash,
 * calls `restore` again with the same arguments to finish it.
 */
export interface SnapshotProvider {
  readonly name: ProviderName;
  readonly capabilities: ProviderCapabilities;
  detect(target: string): Promise<Detection>;
  create(request: CreateRequest): Promise<CreatedSnapshot>;
  /** Called once the record is safely in the store (clone drops its garbage-collection lease here). */
  settle(ref: string): Promise<void>;
  remove(record: SnapshotRecord): Promise<void>;
  /**
   * Checks that `record` can be restored from (its ref is well formed and the snapshot exists) without
   * changing anything. Called before a rollback journals itself, so a snapshot that cannot work fails
   * cleanly instead of leaving an unfinishable rollback behind.
   */
  verify(record: SnapshotRecord): Promise<void>;
  /**
   * Checks the data a restore of `paths` would read, given the folder as it is (`live`), before anything
   * changes: the paths whose content is missing or no longer what the snapshot recorded. Providers whose
   * filesystem checksums its own data (btrfs, ZFS, APFS) need not implement it.
   */
  checkRestore?(record: SnapshotRecord, paths: string[] | null, live: readonly LiveEntry[], reference?: SnapshotRecord): Promise<ContentProblem[]>;
  /**
   * Checks all of a snapshot's data: every object is there, whole, with the content its hash names (an
   * object not hashed yet is hashed now and the hash kept). Without it, a snapshot that can be opened is whole.
   */
  verifyContent?(record: SnapshotRecord, seen: ObjectChecks): Promise<{ checked: number; problems: ContentProblem[] }>;
  /**
   * `paths`: relative paths inside the target to restore, or null for all of it. `live`: the folder as a
   * walk just found it (see CreatedSnapshot.live); without it the provider walks the folder itself.
   */
  restore(record: SnapshotRecord, paths: string[] | null, options: ProviderRestoreOptions): Promise<RestoreResult>;
  diff(record: SnapshotRecord, paths: string[] | null, options?: ProviderDiffOptions): Promise<DiffResult>;
  /** Runs `fn` with the snapshot open for reading files (see SnapshotReader). */
  read<T>(record: SnapshotRecord, fn: (reader: SnapshotReader) => Promise<T>): Promise<T>;
  /** One file's bytes as the snapshot holds it, up to `maxBytes` (what `snapctl cat` and the file diff read). */
  readFile(record: SnapshotRecord, path: string, maxBytes: number): Promise<SnapshotFile>;
  /**
   * What differs between two snapshots of one folder, path by path, exactly as a walk of both would find it,
   * from the filesystem's own record of the change (`btrfs send --no-data -p OLDER NEWER`, `zfs diff`): only
   * the paths it names are looked at, so the cost follows the change, not the folder. Either order works.
   * null when the provider has no such record or cannot vouch for it (a tool failure, a command it does not
   * know, a changed file with other names and no `olderEntries`): the caller walks, and `trace` says why.
   */
  changesBetween?(older: SnapshotRecord, newer: SnapshotRecord, options?: SnapshotChangesOptions): Promise<SnapshotChanges | null>;
  /**
   * Every path whose entry differs between two snapshots of one folder (either order), from what the provider
   * keeps (clone: the two manifests; trees: changesBetween), never from a walk of the folder: all that a
   * rollback from one to the other can change. null when it cannot say.
   */
  differingPaths?(a: SnapshotRecord, b: SnapshotRecord): Promise<string[] | null>;
  /** Every path the snapshot holds (clone: its manifest; trees: a walk of the snapshot), for the path index. */
  listEntries(record: SnapshotRecord): Promise<readonly ManifestEntry[]>;
  /**
   * Removes whatever `create` with this id may have left for `target` when it failed or was killed before
   * the snapshot was recorded (a subvolume, a dataset snapshot, a manifest); space it shares is reclaimed by
   * the collection that follows.
   */
  discard?(id: string, target: string): Promise<void>;
  /** Reclaims space no recorded snapshot uses; `recordedRefs` are the refs of every record of this provider. */
  collectGarbage(recordedRefs: ReadonlySet<string>): Promise<void>;
  /**
   * Providers that keep each snapshot's record beside its data (clone): write, drop and list them. The others'
   * records are kept by the service in the state folder.
   */
  records?: {
    write(record: SnapshotRecord): Promise<void>;
    remove(id: string): Promise<void>;
    read(id: string): Promise<SnapshotRecord | null>;
    /** The records of every snapshot whose data exists, for rebuilding the index; unreadable record files are named. */
    forIndex(): Promise<{ records: SnapshotRecord[]; damaged: string[] }>;
  };
  /** What each of `records` (all of this provider's) costs; without it every cost is unknown. */
  space?(records: readonly SnapshotRecord[]): Promise<SpaceCosts>;
  /** Providers whose snapshots may vanish (`mayVanish`): the ids of `records` that no longer exist. */
  vanished?(records: readonly SnapshotRecord[]): Promise<Set<string>>;
}

/**
 * What differs between a snapshot's entries and its base's, when the provider knows it already (clone: the
 * delta its manifest is kept as): entries that differ field for field, and paths gone, each sorted by path.
 * The path index then looks at these alone instead of comparing every entry (see makeDelta).
 */
export interface EntryChanges {
  changed: readonly ManifestEntry[];
  removed: readonly string[];
}
