import { constants as fsConstants } from 'node:fs';
import { access, lstat, mkdir, readdir, readlink, realpath, rmdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { SnapctlError, describeError, errnoCode, nullIfMissing, usageError } from '../base/errors.js';
import { newSnapshotId, parseSnapshotId } from '../state/ids.js';
import { RollbackJournal, targetKey, type JournalEntry } from '../state/journal.js';
import { withLock } from '../state/locks.js';
import { HomeLayout } from '../state/paths.js';
import { ApfsProvider } from '../providers/apfs.js';
import type { AdminPrompt } from '../providers/admin-prompt.js';
import { BtrfsProvider } from '../providers/btrfs.js';
import { CloneProvider } from '../providers/clone/clone-provider.js';
import { chooseProvider, type ProviderChoice } from '../providers/detect.js';
import { ToolRunner } from '../providers/tools.js';
import { ZfsProvider } from '../providers/zfs.js';
import { CreateStopped, type ContentProblem, type ObjectChecks, type CreateRequest, type CreatedSnapshot, type DiffResult, type RestoreResult, type SnapshotProvider } from '../providers/provider.js';
import { readTreeFile } from '../providers/snapshot-files.js';
import { LOCK_LETTER, changesNothing, isGitPath } from '../tree/compare.js';
import { isSafeRelativePath, isUnder } from '../tree/manifest.js';
import { shownName } from '../tree/names.js';
import { restorePathOf } from '../tree/restore.js';
import { walk, type LiveEntry } from '../tree/walk.js';
import { ID_PATTERN, MAX_NOTE_LENGTH, newestFirst, oneLine, tagProblem, type CreateProgress, type ProviderName, type RollbackRecord, type SnapshotRecord, type StoreFile, type Trigger } from '../../shared/model.js';
import type { DiffView, FileDiffView, ListView, ListedSnapshot, RollbackView, SnapshotInProgress, StoreTotals, TargetStatus, UndoOffer, UnfinishedRollback } from '../../shared/api.js';
import { FILE_DIFF_MAX_BYTES, fileDiffView } from './file-diff.js';
import { gitImpact } from './git-impact.js';
import { clockTime, rolledBackTo, safetyTag, snapshotLabel } from './labels.js';
import { planRetention, planRetentionWithSize, planSizeLimit, retentionClass, type RetentionPolicy } from './retention.js';
import { folderLockPath, runtimeDir } from '../state/folder-lock.js';
import { PendingCreates } from '../state/pending-creates.js';
import { RecordFiles } from '../state/record-files.js';
import { SnapshotStore } from '../state/store.js';
import { FileHistory } from './history.js';
import { phaseTrace, type Trace } from '../base/trace.js';
import { assertApartFromState, resolveTarget } from './targets.js';
import { clonesOnFilesystemOf } from '../base/fs-types.js';
import { withBlockingAncestors } from './blocking-ancestors.js';
import { excludeMatcher, excludePatternProblem, leaveAloneFilter, type Exclusions } from '../tree/excludes.js';
import { MOUNT_NOTE, MountBoundary } from '../tree/mount-points.js';
import { LowSpace, floorBytes, floorSettingIn, fsSpace, roomAfter, type FloorSetting, type FsSpace } from './free-space.js';
import { DEFAULT_RETENTION } from '../../shared/defaults.js';
import { humanBytes, plural } from '../../shared/format.js';
import { throttledProgress } from './create-progress.js';
import type { PathFilter } from '../tree/manifest.js';
import { peekPolicy } from '../state/policy-check.js';

export interface CreateOptions {
  /** The folder to snapshot, as the user gave it. */
  path: string;
  tag?: string | null;
  trigger?: Trigger;
  /** `auto` (the default) picks the filesystem's own snapshots where the folder has them, else clone. */
  provider?: ProviderName | 'auto';
  note?: string | null;
  /** Gitignore patterns left out of this snapshot, on top of the folder's excludes in the settings. */
  exclude?: readonly string[];
}

/** What the settings say of one folder that the service applies itself: excludes, the floor, the limits. */
export interface FolderPolicy {
  excludes: string[];
  /** The store filesystem's free-space floor (see floorBytes). */
  floor: FloorSetting;
  maxStoreBytes: number | null;
  retention: RetentionPolicy;
}

export const DEFAULT_POLICY: FolderPolicy = { excludes: [], floor: null, maxStoreBytes: null, retention: DEFAULT_RETENTION };

/** The API's RollbackView: `safety` null and `nothingToChange` when the folder already matched. */
export type RollbackResult = RollbackView;

/** What `status` shows of a folder beyond its settings. */
export type FolderState = Pick<TargetStatus, 'newest' | 'unfinished' | 'undo' | 'undoLost' | 'problems'>;

/**
 * The folder's last rollback while it is not undone, with its label ("rolled back to 'x' at 14:02") and, when
 * its safety snapshot is gone, why the undo is no longer possible ("its safety snapshot … was deleted").
 */
function lastUndoable(store: Pick<StoreFile, 'snapshots' | 'rollbacks'>, target: string): { rollback: RollbackRecord; label: string; lost: string | null } | null {
  const last = [...store.rollbacks].reverse().find((r) => r.target === target);
  if (!last || last.kind !== 'rollback') return null;
  const to = store.snapshots.find((s) => s.id === last.snapshotId);
  const from = to ? rolledBackTo(to, store) : 'a snapshot since deleted';
  const one = last.paths?.length === 1 ? last.paths[0] : undefined;
  const label = one !== undefined ? `restored ${shownName(one)} from ${from} at ${clockTime(last.at)}` : `rolled back to ${from} at ${clockTime(last.at)}`;
  const safety = store.snapshots.find((s) => s.id === last.safetyId);
  const gone = !safety ? 'was deleted' : safety.state === 'vanished' ? 'was removed by the system' : null;
  return { rollback: last, label, lost: gone ? `its safety snapshot ${last.safetyId} ${gone}` : null };
}

const NOTHING_TO_CHANGE = Symbol('nothing to change');

export interface PruneResult {
  target: string;
  keep: string[];
  drop: string[];
  dryRun: boolean;
  /** The folder's maximum store size when it is still exceeded after pruning: what it takes, and the limit. */
  overLimit?: { bytes: number; limit: number };
  /** Why this folder was not pruned (the others were). */
  error?: string;
}

export interface RecoveryReport {
  target: string;
  snapshotId: string;
  safetyId: string;
  outcome: 'finished' | 'failed';
  error?: string;
}

export interface VerifyReport {
  id: string;
  target: string;
  provider: ProviderName;
  /** Files whose data was checked (0 where the filesystem checks its own data). */
  checked: number;
  problems: ContentProblem[];
}

export type ServiceEvent =
  | { type: 'snapshot-created'; record: SnapshotRecord; durationMs: number }
  /** How far a snapshot being taken has got (providers that walk: clone), a few times a second; ends with created, failed or skipped. */
  | ({ type: 'snapshot-progress'; progress: CreateProgress } & Omit<SnapshotInProgress, 'progress'>)
  | { type: 'snapshot-failed'; target: string; trigger: Trigger; provider: ProviderName; error: string; durationMs: number }
  | { type: 'snapshot-deleted'; record: SnapshotRecord }
  /** A snapshot not taken because it would take the store's filesystem below its floor (after pruning, if scheduled). */
  | { type: 'snapshot-skipped'; target: string; trigger: Trigger; provider: ProviderName; reason: 'low_space'; needBytes: number; freeBytes: number; floorBytes: number; pruned: number; message: string }
  | { type: 'rollback-completed'; result: RollbackResult; kind: 'rollback' | 'undo'; durationMs: number }
  | { type: 'rollback-failed'; snapshotId: string; target: string; provider: ProviderName; error: string; durationMs: number }
  /** An interrupted rollback finished by the recovery every command runs first. */
  | { type: 'rollback-recovered'; snapshotId: string; target: string; provider: ProviderName };

/** A new snapshot's record, with the paths it could not keep as they were (unreadable, changing, sockets). */
export type CreatedRecord = SnapshotRecord & { problems: { path: string; reason: string }[] };

interface CreateLockedOptions {
  tag: string | null;
  trigger: Trigger;
  provider: ProviderName;
  note: string | null;
  /** For a rollback's safety snapshot: the snapshot about to be restored, a second base for sharing files. */
  restoring?: SnapshotRecord;
  trace?: Trace;
  inspect?: CreateRequest['inspect'];
  /** Patterns given for this snapshot only (`snapctl create --exclude`). */
  exclude?: readonly string[];
}

export interface ServiceOptions {
  home: string;
  providers?: Partial<Record<ProviderName, SnapshotProvider>>;
  /** How long an operation waits for another one on the same folder before failing. */
  lockWaitMs?: number;
  /** The environment external tools run in (PATH decides which tmutil, btrfs, zfs run). */
  env?: NodeJS.ProcessEnv;
  /** The tray app: mounting an APFS snapshot asks for an administrator password (see admin-prompt.ts). */
  adminPrompt?: boolean | AdminPrompt;
  /**
   * A folder's excludes, floor and limits from the settings (the tray app and the CLI pass the settings they
   * hold); by default the settings file is read when a snapshot or a preview needs them.
   */
  policy?: (target: string) => Promise<FolderPolicy>;
}

/** Every provider, with the tools looked up on the PATH of `env`. */
export function defaultProviders(cloneDir: string, env: NodeJS.ProcessEnv = process.env, adminPrompt: boolean | AdminPrompt = false): Record<ProviderName, SnapshotProvider> {
  const timeout = Number(env['SNAPCTL_TOOL_TIMEOUT_MS']);
  const tools = new ToolRunner({ env, ...(Number.isFinite(timeout) && timeout > 0 ? { timeoutMs: timeout } : {}) });
  const dataVolume = env['SNAPCTL_APFS_VOLUME']?.trim();
  return {
    clone: new CloneProvider(cloneDir),
    btrfs: new BtrfsProvider(tools, { stateDir: path.dirname(cloneDir) }),
    zfs: new ZfsProvider(tools, env['SNAPCTL_ZFS_ANY_FS'] !== '1'),
    apfs: new ApfsProvider({ tools, adminPrompt, ...(dataVolume ? { dataVolume, platform: 'darwin' as const } : {}) }),
  };
}

/**
 * The one place that decides how snapshots are taken, recorded, rolled back and deleted. The CLI, the tray
 * app and the headless server are thin adapters on it.
 */
export class SnapshotService {
  readonly layout: HomeLayout;
  readonly store: SnapshotStore;
  /** Files across snapshots: history, find, cat, restore of one file (the per-folder path index). */
  readonly history: FileHistory;
  private readonly journal: RollbackJournal;
  private readonly providers: Partial<Record<ProviderName, SnapshotProvider>>;
  private readonly lockWaitMs: number;
  private readonly env: NodeJS.ProcessEnv;
  private readonly listeners = new Set<(event: ServiceEvent) => void>();
  /** Snapshots this process is taking now, by id, with how far each has got (the popover's progress bar). */
  private readonly taking = new Map<string, SnapshotInProgress>();

  /** Records of snapshots whose provider keeps none beside its data. */
  private readonly recordFiles: RecordFiles;
  private readonly pendingCreates: PendingCreates;
  private readonly notices: string[] = [];
  private readonly policyOf: (target: string) => Promise<FolderPolicy>;

  constructor(options: ServiceOptions) {
    this.layout = new HomeLayout(path.resolve(options.home));
    this.providers = options.providers ?? defaultProviders(this.layout.cloneDir, options.env, options.adminPrompt);
    this.recordFiles = new RecordFiles(path.join(this.layout.root, 'records'));
    this.pendingCreates = new PendingCreates(path.join(this.layout.root, 'pending'));
    this.store = new SnapshotStore(this.layout, () => this.snapshotsOnDisk());
    this.history = new FileHistory({ layout: this.layout, store: this.store, provider: (n) => this.provider(n), lock: (t, fn) => this.withTarget(t, fn) });
    this.journal = new RollbackJournal(this.layout.journalDir);
    this.lockWaitMs = options.lockWaitMs ?? 120_000;
    this.env = options.env ?? process.env;
    this.policyOf = options.policy ?? ((target) => policyFromSettingsFile(this.layout, target, (n) => this.notices.push(n)));
  }

  /** The folder's policy; a settings file that cannot be read leaves the defaults (its warning is a notice). */
  async policy(target: string): Promise<FolderPolicy> {
    return this.policyOf(target);
  }

  /** The snapshots this process is taking now (scheduled, asked for, a rollback's safety snapshot), oldest first. */
  inProgress(): SnapshotInProgress[] {
    return [...this.taking.values()].map((t) => ({ ...t, progress: t.progress && { ...t.progress } }));
  }

  onEvent(listener: (event: ServiceEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(event: ServiceEvent): void {
    for (const listener of this.listeners) {
      try { listener(event); } catch { /* an observer's failure must never fail the operation */ }
    }
  }

  /** Where each snapshot's own record is kept: beside its data where the provider can, else in the state folder. */
  private recordsOf(provider: ProviderName): NonNullable<SnapshotProvider['records']> {
    const own = this.providers[provider]?.records;
    return own ?? {
      write: (r) => this.recordFiles.write(r),
      remove: (id) => this.recordFiles.remove(id),
      read: (id) => this.recordFiles.read(id),
      forIndex: async () => ({ records: [], damaged: [] }),
    };
  }

  /** Every snapshot's own record: what the index is rebuilt from. */
  private async snapshotsOnDisk(): Promise<{ records: SnapshotRecord[]; damaged: string[] }> {
    const found = await this.recordFiles.readAll();
    const records = found.records.filter((r) => !this.providers[r.provider]?.records);
    const damaged = [...found.damaged];
    for (const provider of Object.values(this.providers)) {
      if (!provider?.records) continue;
      const own = await provider.records.forIndex();
      records.push(...own.records);
      damaged.push(...own.damaged);
    }
    return { records, damaged };
  }

  provider(name: ProviderName): SnapshotProvider {
    const p = this.providers[name];
    if (!p) throw new SnapctlError('unsupported', `the ${name} provider is not available here`, `available: ${Object.keys(this.providers).join(', ')}`);
    return p;
  }

  /** Newest first. */
  async list(filter: { target?: string } = {}): Promise<SnapshotRecord[]> {
    const { snapshots } = await this.store.read();
    const out = filter.target ? snapshots.filter((s) => s.target === filter.target) : [...snapshots];
    return out.sort(newestFirst);
  }

  async get(id: unknown): Promise<SnapshotRecord> {
    const valid = parseSnapshotId(id);
    const found = (await this.store.read()).snapshots.find((s) => s.id === valid);
    if (!found) throw new SnapctlError('not-found', `no snapshot ${valid}`, "run 'snapctl list' to see the snapshots");
    return found;
  }

  async resolveTarget(input: string): Promise<string> {
    return resolveTarget(input, this.layout.root);
  }

  /** Which provider would snapshot `path`, and every provider's reason. */
  async info(pathInput: string): Promise<ProviderChoice> {
    return chooseProvider(await this.resolveTarget(pathInput), this.providers);
  }

  /**
   * Marks records whose snapshot the provider no longer has (macOS thins APFS snapshots on its own), so the
   * UI never offers a rollback that cannot work. Returns the ids newly marked.
   */
  async reconcile(): Promise<string[]> {
    const gone = new Set<string>();
    // Only providers whose snapshots can vanish are asked, each about its own ready records: one pass each
    // over the store, which runs before every listing.
    for (const provider of Object.values(this.providers)) {
      if (!provider?.capabilities.mayVanish || !provider.vanished) continue;
      const theirs = (await this.store.read()).snapshots.filter((s) => s.provider === provider.name && s.state === 'ready');
      if (theirs.length > 0) for (const id of await provider.vanished(theirs)) gone.add(id);
    }
    if (gone.size === 0) return [];
    await this.store.update((store) => {
      for (const s of store.snapshots) if (gone.has(s.id)) s.state = 'vanished';
    });
    return [...gone];
  }

  async create(options: CreateOptions): Promise<CreatedRecord> {
    const started = Date.now();
    const trigger = options.trigger ?? 'manual';
    const tag = parseTag(options.tag);
    const exclude = parseExcludes(options.exclude ?? []);
    const target = await this.resolveTarget(options.path);
    const providerName = !options.provider || options.provider === 'auto' ? (await chooseProvider(target, this.providers)).chosen : options.provider;
    const trace = phaseTrace('create', this.env);
    try {
      const record = await this.withTarget(target, async () => {
        trace('lock');
        await this.finishFirst(target);
        const o: CreateLockedOptions = { tag, trigger, provider: providerName, note: options.note ?? null, trace, exclude };
        try {
          const { record: made, problems } = await this.createLocked(target, o);
          return { ...made, problems };
        } catch (err) {
          // A scheduled snapshot makes room by what retention allows deleting anyway, then tries once more.
          if (!(err instanceof LowSpace) || trigger !== 'schedule') throw err;
          const pruned = await this.pruneForSpace(target, providerName, err.need);
          if (pruned === 0) throw err;
          try {
            const { record: made, problems } = await this.createLocked(target, o);
            return { ...made, problems };
          } catch (again) {
            if (again instanceof LowSpace) again.afterPruning(pruned);
            throw again;
          }
        }
      });
      this.emit({ type: 'snapshot-created', record, durationMs: Date.now() - started });
      return record;
    } catch (err) {
      if (err instanceof LowSpace) {
        this.emit({ type: 'snapshot-skipped', target, trigger, provider: providerName, reason: 'low_space', needBytes: err.need, freeBytes: err.space.free, floorBytes: err.floor, pruned: err.pruned, message: err.message });
      } else {
        this.emit({ type: 'snapshot-failed', target, trigger, provider: providerName, error: describeError(err), durationMs: Date.now() - started });
      }
      throw err;
    }
  }

  /**
   * Deletes, oldest timeline snapshots first, what the folder's retention would delete anyway, until a
   * snapshot needing `need` bytes fits above the floor; never a snapshot an unfinished rollback or the undo
   * offer depends on. The caller holds the folder's lock. Returns how many were deleted.
   */
  private async pruneForSpace(target: string, provider: ProviderName, need: number): Promise<number> {
    const policy = await this.policyOf(target);
    const records = await this.list({ target });
    const plan = planRetention(records, policy.retention, new Date());
    const inUse = await this.inUse(target);
    const drop = new Set(plan.drop);
    const candidates = records.filter((r) => drop.has(r.id) && !inUse.has(r.id))
      .sort((a, b) => Number(retentionClass(a) !== 'timeline') - Number(retentionClass(b) !== 'timeline') || -newestFirst(a, b));
    let pruned = 0;
    for (const r of candidates) {
      const space = await fsSpace(this.dataDir(provider, target));
      if (!space || roomAfter(need, space, floorBytes(policy.floor, space.size)) >= 0) break;
      await this.forget([r]);
      this.emit({ type: 'snapshot-deleted', record: r });
      pruned++;
    }
    return pruned;
  }

  /** Snapshots of the folder a rollback needs: the unfinished one's two, and the safety snapshot undo would restore. */
  private async inUse(target: string): Promise<Set<string>> {
    const ids = new Set<string>();
    const pending = await this.journal.read(target).catch(() => null);
    if (pending) { ids.add(pending.snapshotId); ids.add(pending.safetyId); }
    const offer = await this.undoOffer(target);
    if (offer) ids.add(offer.rollback.safetyId);
    return ids;
  }

  /** Where a provider's snapshots take their space: clone's store, or the folder's own filesystem. */
  private dataDir(provider: ProviderName, target: string): string {
    return provider === 'clone' ? this.layout.cloneDir : target;
  }

  /**
   * Takes a snapshot; the caller holds the target's lock. Returns the provider's walk of the folder too, for
   * a restore that follows under the same lock.
   */
  private async createLocked(target: string, o: CreateLockedOptions): Promise<{ record: SnapshotRecord; live: CreatedSnapshot['live']; problems: CreatedSnapshot['problems']; notHeld: string[] }> {
    const provider = this.provider(o.provider);
    const id = newSnapshotId();
    // A new state folder gets its (empty) index before the first snapshot's data, so that index is never
    // mistaken for a lost one; a lost one is rebuilt here, before this snapshot starts.
    if (!(await this.store.exists())) await this.store.update(() => undefined);
    // Only snapshots known whole share their files: a damaged one would pass its damage on.
    const mine = (await this.list({ target })).filter((s) => s.provider === o.provider && s.state === 'ready');
    const latest = mine[0];
    // The snapshot last restored into the folder holds what a rollback just wrote: undo's safety snapshot
    // shares it instead of copying those files again.
    const { rollbacks } = await this.store.read();
    const lastRestoredId = [...rollbacks].reverse().find((r) => r.target === target)?.snapshotId;
    const lastRestored = mine.find((s) => s.id === lastRestoredId);
    const restoring = o.restoring?.state === 'ready' ? o.restoring : undefined;
    const bases = [latest, restoring, lastRestored].filter((b, i, all): b is SnapshotRecord => b !== undefined && b.provider === o.provider && all.findIndex((x) => x?.id === b.id) === i);
    const policy = await this.policyOf(target);
    const patterns = [...new Set([...policy.excludes, ...(o.exclude ?? [])])];
    const skip = provider.capabilities.walksOnCreate ? await excludeMatcher(patterns) : null;
    // The floor is kept by every snapshot but a rollback's safety snapshot: refusing that would refuse the
    // rollback, and it writes little (it shares what is unchanged). A full disk still stops it cleanly.
    const dataDir = this.dataDir(o.provider, target);
    let need = 0;
    const budget = async (bytes: number): Promise<void> => {
      need = bytes;
      if (o.trigger === 'safety') return;
      const space = await fsSpace(dataDir);
      if (!space) return;
      const floor = floorBytes(policy.floor, space.size);
      if (roomAfter(bytes, space, floor) < 0) throw new LowSpace(bytes, space, floor, target);
    };
    // Filesystem snapshots copy nothing: they need room only for their metadata, and the floor still holds.
    if (!provider.capabilities.walksOnCreate) await budget(0);
    await this.pendingCreates.begin({ id, provider: o.provider, target });
    const taking: SnapshotInProgress = { id, target, trigger: o.trigger, startedAt: new Date().toISOString(), progress: null };
    this.taking.set(id, taking);
    const progress = throttledProgress((p) => {
      taking.progress = p;
      this.emit({ type: 'snapshot-progress', ...taking, progress: p });
    });
    let created: CreatedSnapshot;
    try {
      created = await provider.create({ id, target, tag: o.tag, bases, ...(o.inspect ? { inspect: o.inspect } : {}), ...(o.trace ? { trace: o.trace } : {}), skip, cacheDirs: true, budget, progress });
      await this.assertStateNotInside(target, created.live, created.problems.filter((p) => p.reason === MOUNT_NOTE).map((p) => p.path));
    } catch (err) {
      this.taking.delete(id);
      await provider.settle(id).catch(() => undefined);
      await provider.discard?.(id, target).catch(() => undefined);
      // What it wrote is given back at once (a full disk, most often), as far as no other create shares it;
      // a create stopped by its inspection stored nothing.
      const given = err instanceof CreateStopped || err instanceof LowSpace || await this.collect([o.provider]).then(() => true, () => false);
      await this.pendingCreates.end(id);
      throw outOfSpace(err, target, need, await fsSpace(dataDir).catch(() => null), given);
    }
    o.trace?.(`${o.provider} snapshot: the rest`);
    const record: SnapshotRecord = {
      id,
      provider: o.provider,
      target,
      tag: o.tag,
      trigger: o.trigger,
      createdAt: new Date().toISOString(),
      size: created.size,
      addedBytes: created.addedBytes,
      files: created.files,
      state: 'ready',
      ref: created.ref,
      note: o.note,
      ...(patterns.length > 0 || (created.cacheDirs ?? []).length > 0 ? { excluded: { patterns, cacheDirs: created.cacheDirs ?? [] } } : {}),
    };
    try {
      // The record beside the data first: from then on the snapshot survives the loss of the index.
      await this.recordsOf(o.provider).write(record);
      // A rebuild of a missing index under this update already finds the record beside the data.
      await this.store.update((store) => { if (!store.snapshots.some((s) => s.id === record.id)) store.snapshots.push(record); });
      await this.pendingCreates.end(id);
    } catch (err) {
      this.taking.delete(id);
      throw err;
    } finally {
      await provider.settle(created.ref);
    }
    o.trace?.('record it in the store');
    // Still under the folder's lock; a failure leaves the index stale, which the next query finds and mends.
    // The change is appended to the index's log (bench/README.md, "File history"); a rollback's safety
    // snapshot never pays for writing the whole index again.
    if (created.entries) {
      await this.history.added(record, created.entries, created.base ?? null, { compact: o.trigger !== 'safety' }).catch(() => undefined);
      o.trace?.('add it to the path index');
    }
    this.taking.delete(id);
    return { record, live: created.live, problems: created.problems, notHeld: created.notHeld ?? [] };
  }

  /**
   * The state folder must not be inside the folder by a way its path cannot show (a bind mount): a snapshot
   * would hold the store, and a rollback would remove it. Found by identity among the folders just walked.
   */
  private async assertStateNotInside(target: string, live: CreatedSnapshot['live'], mounts: readonly string[]): Promise<void> {
    if (!live) return;
    const home = await stat(this.layout.root).catch(() => null);
    if (!home) return;
    const ino = String(home.ino);
    // A walk never enters a mount point, so the state folder bind-mounted there is one of them (a snapshot
    // would leave it out, and a rollback alone, but a store mounted into its own folder is a mistake to say).
    const suspects = [...live.filter((e) => e.type === 'dir' && e.ino === ino).map((e) => e.path), ...mounts];
    for (const rel of suspects) {
      const inside = path.join(target, rel);
      const st = await stat(inside).catch(() => null);
      if (st?.dev === home.dev && st.ino === home.ino) {
        throw usageError(`${inside} is snapctl's own data folder ${this.layout.root}, mounted inside ${target}`, 'unmount it, or set SNAPCTL_HOME to a folder outside the project; nothing was changed');
      }
    }
  }

  /** Records what happened after a snapshot, e.g. the command `snapctl run` guarded and how it ended. */
  async setNote(id: unknown, note: string): Promise<SnapshotRecord> {
    const valid = parseSnapshotId(id);
    const text = note.slice(0, MAX_NOTE_LENGTH);
    const updated = await this.store.update((store) => {
      const record = store.snapshots.find((s) => s.id === valid);
      if (!record) throw new SnapctlError('not-found', `no snapshot ${valid}`);
      record.note = text;
      return { ...record };
    });
    await this.recordsOf(updated.provider).write(updated);
    return updated;
  }

  /**
   * Deletes one snapshot. The safety snapshot the folder's undo would restore is deleted only with
   * `undoLossConfirmed` (the CLI's question or --yes, the popover's dialog): deleting it takes the undo away for
   * good, so every caller must have said so, checked under the folder's lock.
   */
  async delete(id: unknown, options: { undoLossConfirmed?: boolean } = {}): Promise<SnapshotRecord> {
    const record = await this.get(id);
    await this.deleteRecords(record.target, [record], async () => {
      const offer = options.undoLossConfirmed ? null : await this.undoOffer(record.target);
      if (offer?.rollback.safetyId === record.id) {
        throw usageError(`deleting ${record.id} takes away the undo of the last rollback of ${record.target} (${offer.label}): it is the safety snapshot that undo restores`,
          'confirm that the undo may be lost (the CLI asks, or takes --yes); nothing was deleted');
      }
    });
    return record;
  }

  /**
   * Applies a retention policy to each folder's snapshots (or one folder's). With `dryRun` nothing is deleted:
   * the plan is only reported. Never a snapshot a rollback needs (an unfinished one's two, the safety snapshot
   * undo would restore), in the plan as in the deletion; a folder that cannot be pruned (its lock busy, a
   * damaged journal) says why in its result and the others are pruned all the same.
   */
  async prune(policyFor: (target: string) => RetentionPolicy, options: { target?: string; dryRun?: boolean; now?: Date; maxStoreBytes?: (target: string) => number | null } = {}): Promise<PruneResult[]> {
    const all = await this.list(options.target ? { target: options.target } : {});
    const targets = [...new Set(all.map((s) => s.target))].sort();
    const results: PruneResult[] = [];
    const now = options.now ?? new Date();
    for (const target of targets) {
      const records = all.filter((s) => s.target === target);
      const limit = options.maxStoreBytes?.(target) ?? null;
      try {
        results.push(await this.pruneFolder(target, records, policyFor(target), limit, now, options.dryRun ?? false));
      } catch (err) {
        results.push({ target, keep: records.map((r) => r.id), drop: [], dryRun: options.dryRun ?? false, error: describeError(err) });
      }
    }
    // Also what no snapshot names any more: a create that ran out of space and could not clean up left it.
    if (!options.dryRun && results.every((r) => r.drop.length === 0)) await this.collect(['clone']);
    return results;
  }

  private async pruneFolder(target: string, records: readonly SnapshotRecord[], policy: RetentionPolicy, limit: number | null, now: Date, dryRun: boolean): Promise<PruneResult> {
    const protect = await this.inUse(target);
    if (dryRun) {
      const sized = limit === null ? null : await this.sizedFor(target);
      const plan = sized && limit !== null ? planRetentionWithSize(sized.snapshots, policy, now, { limit, folderBytes: sized.folderBytes, protect }) : planRetention(records, policy, now, protect);
      const after = sized && limit !== null ? sized.folderBytes - sized.snapshots.filter((x) => plan.drop.includes(x.id)).reduce((sum, x) => sum + (x.uniqueBytes ?? 0), 0) : 0;
      return { target, keep: plan.keep, drop: plan.drop, dryRun: true, ...(limit !== null && after > limit ? { overLimit: { bytes: after, limit } } : {}) };
    }
    const plan = planRetention(records, policy, now, protect);
    const dropped = records.filter((r) => plan.drop.includes(r.id));
    if (dropped.length > 0) await this.deleteRecords(target, dropped);
    const drop = [...plan.drop];
    // The size limit, one snapshot at a time: deleting one makes what it shared the next one's own, so the
    // costs are asked again after each (a plan made at once would count too little freed and delete more).
    while (limit !== null) {
      const sized = await this.sizedFor(target);
      if (!sized) break;
      const step = planSizeLimit(sized.snapshots, { limit, folderBytes: sized.folderBytes, protect: await this.inUse(target) }, now);
      const oldest = step.drop[step.drop.length - 1];
      const record = sized.snapshots.find((s) => s.id === oldest);
      if (!record) break;
      await this.deleteRecords(target, [record]);
      drop.push(record.id);
    }
    const kept = new Set(drop);
    const left = limit === null ? null : await this.sizedFor(target);
    return { target, keep: records.filter((r) => !kept.has(r.id)).map((r) => r.id), drop, dryRun: false, ...(left && limit !== null && left.folderBytes > limit ? { overLimit: { bytes: left.folderBytes, limit } } : {}) };
  }

  /** A folder's snapshots with their costs and what they take together, when known (clone). */
  private async sizedFor(target: string): Promise<{ snapshots: (SnapshotRecord & { uniqueBytes: number | null })[]; folderBytes: number } | null> {
    const all = await this.list();
    const costs = await this.space(all);
    const folderBytes = costs.folderBytes.get(target);
    const mine = all.filter((s) => s.target === target);
    if (folderBytes === undefined) return mine.length > 0 && mine.every((s) => s.provider === 'clone') ? { snapshots: mine.map((s) => ({ ...s, uniqueBytes: costs.unique.get(s.id) ?? null })), folderBytes: 0 } : null;
    return { snapshots: mine.map((s) => ({ ...s, uniqueBytes: costs.unique.get(s.id) ?? null })), folderBytes };
  }

  /**
   * Checks snapshots' data (all, or one): every file the snapshot holds is there, whole, with the content
   * recorded for it. Damaged snapshots are marked so, and marked ready again once whole.
   */
  async verify(id?: unknown): Promise<VerifyReport[]> {
    const records = id === undefined ? (await this.list()).filter((s) => s.state !== 'vanished') : [await this.get(id)];
    let reports: VerifyReport[] = [];
    const seen: ObjectChecks = new Map();
    for (const record of records) {
      const provider = this.provider(record.provider);
      let result: { checked: number; problems: ContentProblem[] };
      if (provider.verifyContent) result = await provider.verifyContent(record, seen);
      else result = await provider.verify(record).then(() => ({ checked: 0, problems: [] }), (err: unknown) => ({ checked: 0, problems: [{ path: '(the snapshot)', problem: describeError(err) }] }));
      reports.push({ id: record.id, target: record.target, provider: record.provider, checked: result.checked, problems: result.problems });
    }
    // A snapshot deleted while it was being checked is gone, not damaged.
    const still = new Set((await this.store.read()).snapshots.map((s) => s.id));
    reports = reports.filter((r) => still.has(r.id));
    const damaged = reports.filter((r) => r.problems.length > 0).map((r) => r.id);
    const whole = reports.filter((r) => r.problems.length === 0).map((r) => r.id);
    await this.setState(damaged, 'damaged');
    await this.setState(whole, 'ready', 'damaged');
    return reports;
  }

  /** Marks records (only those in state `from`, when given). */
  private async setState(ids: readonly string[], state: SnapshotRecord['state'], from?: SnapshotRecord['state']): Promise<void> {
    if (ids.length === 0) return;
    const wanted = new Set(ids);
    const changed: SnapshotRecord[] = [];
    await this.store.update((store) => {
      for (const s of store.snapshots) {
        if (!wanted.has(s.id) || s.state === state || (from !== undefined && s.state !== from)) continue;
        s.state = state;
        changed.push({ ...s });
      }
    });
    for (const r of changed) await this.recordsOf(r.provider).write(r).catch(() => undefined);
  }

  /** Deletes records of one folder and then reclaims space once, however many there are; `check` first, under the lock. */
  private async deleteRecords(target: string, records: readonly SnapshotRecord[], check?: () => Promise<void>): Promise<void> {
    await this.withTarget(target, async () => {
      await check?.();
      const pending = await this.journal.read(target);
      const busy = pending ? records.find((r) => r.id === pending.snapshotId || r.id === pending.safetyId) : undefined;
      if (busy) {
        throw new SnapctlError('busy', `snapshot ${busy.id} is part of an unfinished rollback of ${target}`, `'snapctl recover --path ${target}' finishes it, or 'snapctl undo --path ${target}' gives it up; then delete it`);
      }
      await this.forget(records);
    });
    for (const record of records) this.emit({ type: 'snapshot-deleted', record });
  }

  /**
   * Removes snapshots; the caller holds their folder's lock. The records leave first (beside the data, then
   * the index): killed from here on, snapctl leaves data no record points at (the next collection reclaims
   * it), never a record whose data is gone. Collection runs under the store lock, so it sees every record
   * another process has committed.
   */
  private async forget(records: readonly SnapshotRecord[]): Promise<void> {
    const ids = new Set(records.map((r) => r.id));
    await this.store.update(async (store) => {
      for (const record of records) await this.recordsOf(record.provider).remove(record.id);
      store.snapshots = store.snapshots.filter((s) => !ids.has(s.id));
    }, { givesSpaceBack: true });
    for (const target of new Set(records.map((r) => r.target))) await this.history.removed(target, records.filter((r) => r.target === target).map((r) => r.id)).catch(() => undefined);
    await this.store.withLock(async (store) => {
      for (const record of records) await this.provider(record.provider).remove(record);
      for (const name of new Set(records.map((r) => r.provider))) {
        const refs = new Set(store.snapshots.filter((s) => s.provider === name).map((s) => s.ref));
        await this.provider(name).collectGarbage(refs);
      }
    });
    // The reserve a full disk made it use is taken again from what was freed.
    await this.store.keepReserve();
  }

  /**
   * The preview of a rollback: what it would change (in the words its result uses), the unfinished rollback
   * of the folder it would meet first, and what it would do to each git repository of the folder.
   */
  async diff(id: unknown, paths: string[] | null = null, options: { keepGit?: boolean } = {}): Promise<DiffView> {
    const record = await this.readyRecord(id);
    const provider = this.provider(record.provider);
    const keepGit = options.keepGit ?? false;
    // A preview compares what a rollback would write into: the very folder, never one a link leads to.
    await assertRealFolder(record.target);
    const { filter: leaveAlone } = await leaveAloneOf(record, await this.policyOf(record.target));
    const found = await provider.diff(record, await withBlockingAncestors(record.target, paths, heldAsFolderIn(provider, record)), { ...(keepGit ? { exclude: isGitPath } : {}), ...(leaveAlone ? { leaveAlone } : {}) });
    if (found.unknown && found.unknown.length > 0) throw await unknownPaths(record, found.unknown, leaveAlone, provider);
    const paths_ = found.git;
    const git = keepGit || !paths_ ? [] : await provider.read(record, (reader) => gitImpact(record.target, paths_, reader, this.env, [...found.removed, ...found.modified]));
    const alone = found.leftAlone ?? [];
    return {
      added: found.added, removed: found.removed, modified: found.modified, unfinished: await this.unfinished(record.target), git, keepGit,
      leftAlone: { count: alone.length, examples: alone.slice(0, 5) },
      ...(found.kept ? { kept: found.kept } : {}), ...(found.mounts ? { mounts: found.mounts } : {}),
      ...(found.refused ? { refused: found.refused.map((r) => ({ path: r.path, why: lockedWhy(r.flag) })), refusal: lockedRefusal(record, found.refused).line } : {}),
    };
  }

  /** One file now against the snapshot's copy of it, as text lines (or why not: binary, too large, not a file). */
  async fileDiff(id: unknown, relPath: string): Promise<FileDiffView> {
    const record = await this.readyRecord(id);
    if (!isSafeRelativePath(relPath)) throw usageError(`not a path inside the folder: ${shownName(relPath)}`);
    const now = await readTreeFile(record.target, relPath, FILE_DIFF_MAX_BYTES).catch((err: unknown) => {
      if (errnoCode(err) === 'ENOENT' || errnoCode(err) === 'ENOTDIR') return { kind: 'missing' } as const;
      throw err;
    });
    const then = await this.provider(record.provider).readFile(record, relPath, FILE_DIFF_MAX_BYTES);
    if (now.kind === 'missing' && then.kind === 'missing') throw usageError(`${shownName(relPath)} is in neither snapshot ${snapshotLabel(record)} nor the folder ${record.target}`);
    return await fileDiffView(relPath, now, then);
  }

  async rollback(id: unknown, options: { paths?: string[] | null; keepGit?: boolean } = {}): Promise<RollbackResult> {
    const record = await this.readyRecord(id);
    return this.observed('rollback', record, () => this.withTarget(record.target, () =>
      this.restoreLocked(record, options.paths ?? null, 'rollback', options.keepGit ?? false, {})));
  }

  /**
   * Reverts the last rollback of `target` (or of the folder rolled back last) by restoring its safety
   * snapshot. A rollback that stopped part way (its journal is still there) is given up instead: its safety
   * snapshot is restored. A rollback already undone is not undone twice.
   */
  async undo(filter: { target?: string } = {}): Promise<RollbackResult> {
    const target = filter.target ?? (await this.lastRollback())?.target ?? (await this.journal.all()).entries[0]?.target;
    if (!target) throw new SnapctlError('not-found', 'no rollback to undo');
    const safetyOf = (id: string): Promise<SnapshotRecord> => this.readyRecord(id).catch(() => {
      throw new SnapctlError('not-found', `the safety snapshot ${id} taken before the last rollback of ${target} is gone`, 'it was deleted; the rollback cannot be undone');
    });
    return this.withTarget(target, async () => {
      const { snapshots, rollbacks } = await this.store.read();
      const known = (id: string): SnapshotRecord | null => snapshots.find((s) => s.id === id) ?? null;
      const pending = await this.journal.read(target);
      if (pending) {
        const safety = await safetyOf(pending.safetyId);
        const undone = await this.observed('undo', safety, () => this.restoreLocked(safety, pending.paths, 'undo', pending.keepGit ?? false, { undoing: known(pending.snapshotId), replacing: pending }));
        if (pending.folderMade && pending.paths === null) await removeIfEmpty(target);
        return undone;
      }
      const last = [...rollbacks].reverse().find((r) => r.target === target);
      if (!last) throw new SnapctlError('not-found', `no rollback of ${target} to undo`);
      if (last.kind === 'undo') {
        const undone = [...rollbacks].reverse().find((r) => r.target === target && r.kind === 'rollback' && r.safetyId === last.snapshotId);
        const to = undone ? known(undone.snapshotId) : null;
        throw new SnapctlError('nothing-to-do', `the last rollback of ${target} (to ${to ? snapshotLabel(to) : 'an earlier snapshot'}) is already undone`, 'nothing was changed');
      }
      const found = lastUndoable({ snapshots, rollbacks }, target);
      if (found?.lost) throw new SnapctlError('not-found', `the last rollback of ${target} (${found.label}) can no longer be undone: ${found.lost}`, 'nothing was changed');
      const safety = await safetyOf(last.safetyId);
      const undone = await this.observed('undo', safety, () => this.restoreLocked(safety, last.paths, 'undo', last.keepGit ?? false, { undoing: known(last.snapshotId) }));
      // The folder was gone before the rollback made it again: as before, it is gone again.
      if (last.folderMade && last.paths === null) await removeIfEmpty(target);
      return undone;
    });
  }

  /** Tries a folder's unfinished rollback again (what every command does first); throws why it stopped again. */
  async retry(target: string): Promise<RecoveryReport | null> {
    return this.withTarget(target, () => this.recoverTarget(target));
  }

  async lastRollback(): Promise<RollbackRecord | null> {
    const { rollbacks } = await this.store.read();
    return rollbacks[rollbacks.length - 1] ?? null;
  }

  /** A folder that may no longer exist (deleted by mistake): known by its path when snapctl has state for it. */
  async knownTarget(input: string): Promise<string> {
    try {
      return await this.resolveTarget(input);
    } catch (err) {
      const typed = path.resolve(input);
      const { snapshots, rollbacks } = await this.store.read();
      if (snapshots.some((s) => s.target === typed) || rollbacks.some((r) => r.target === typed) || (await this.journal.exists(typed))) return typed;
      throw err;
    }
  }

  /** A rollback of the folder that stopped part way (its journal is there), or null. */
  async unfinished(target: string): Promise<UnfinishedRollback | null> {
    const entry = await this.journal.read(target).catch(() => null); // a damaged journal is one of the folder's problems
    if (!entry) return null;
    const record = (await this.store.read()).snapshots.find((s) => s.id === entry.snapshotId);
    return {
      target, kind: entry.kind, snapshotId: entry.snapshotId, safetyId: entry.safetyId,
      snapshotLabel: record ? snapshotLabel(record) : entry.snapshotId, startedAt: entry.startedAt,
      error: await this.journal.readError(target), paths: entry.paths,
    };
  }

  /** Folders with a rollback journal (unfinished, or damaged when its text still names the folder). */
  async unfinishedTargets(): Promise<string[]> {
    const { entries, damaged } = await this.journal.all();
    return [...entries.map((e) => e.target), ...damaged.flatMap((d) => (d.target ? [d.target] : []))];
  }

  /** Undo, offered from the folder's last rollback until it is undone or another rollback or undo runs. */
  async undoOffer(target: string): Promise<UndoOffer | null> {
    const found = lastUndoable(await this.store.read(), target);
    return found && !found.lost ? { rollback: found.rollback, label: found.label } : null;
  }

  /**
   * Why the folder's last rollback, not undone yet, can no longer be undone (its safety snapshot was deleted,
   * or removed by the system), or null: said where the undo used to be offered, so its absence is explained.
   */
  async undoLost(target: string): Promise<string | null> {
    const found = lastUndoable(await this.store.read(), target);
    return found?.lost ? `the last rollback (${found.label}) can no longer be undone: ${found.lost}` : null;
  }

  /** What `status` shows of one folder, derived from the store and the journal each time (never remembered). */
  async folderState(target: string): Promise<FolderState> {
    const { snapshots } = await this.store.read();
    const newest = snapshots.filter((s) => s.target === target).sort(newestFirst)[0];
    const problems: string[] = [];
    const journalProblem = await this.journal.read(target).then(() => null, (err: unknown) => describeError(err));
    if (journalProblem) problems.push(journalProblem);
    const st = await lstat(target).catch(() => null);
    if (!st) problems.push(`the folder ${target} no longer exists: roll back to a snapshot to bring it back, or remove it in Settings`);
    else if (!st.isDirectory()) problems.push(`${target} is no longer a folder: move what stands there aside, or remove it in Settings`);
    const damaged = snapshots.filter((s) => s.target === target && s.state === 'damaged').length;
    if (damaged > 0) problems.push(`${plural(damaged, 'snapshot')} of this folder ${damaged === 1 ? 'is' : 'are'} damaged: 'snapctl verify' names the paths; ${damaged === 1 ? 'it is' : 'they are'} not used to share files`);
    const low = await this.belowFloor(newest?.provider ?? 'clone', target).catch(() => null);
    if (low) problems.push(low);
    const unfinished = await this.unfinished(target);
    return {
      newest: newest ? { id: newest.id, createdAt: newest.createdAt, tag: newest.tag, trigger: newest.trigger } : null,
      unfinished, undo: unfinished ? null : await this.undoOffer(target), undoLost: unfinished ? null : await this.undoLost(target), problems,
    };
  }

  /** Why the filesystem a folder's snapshots go to is below its free-space floor, or null when it is not. */
  private async belowFloor(provider: ProviderName, target: string): Promise<string | null> {
    const dir = this.dataDir(provider, target);
    const space = await fsSpace(dir);
    if (!space) return null;
    const floor = floorBytes((await this.policyOf(target)).floor, space.size);
    if (space.free >= floor) return null;
    return `the filesystem of ${provider === 'clone' ? "snapctl's store" : 'this folder'} has ${humanBytes(space.free)} free, below the ${humanBytes(floor)} floor: ` +
      "scheduled snapshots prune what retention allows, then skip, and manual ones are refused; free some space, delete old snapshots ('snapctl prune'), add excludes for caches, or lower the floor in Settings";
  }

  /** One folder's snapshots (or all) and its rollbacks, so a safety snapshot can be shown under its rollback. */
  async listView(target?: string): Promise<ListView> {
    const { snapshots, totals } = await this.listWithSpace(target);
    const { rollbacks } = await this.store.read();
    return { snapshots, totals, rollbacks: target ? rollbacks.filter((r) => r.target === target) : [...rollbacks] };
  }

  /** Snapshots (newest first) with what deleting each would free, and the store's totals. */
  async listWithSpace(target?: string): Promise<{ snapshots: ListedSnapshot[]; totals: StoreTotals }> {
    const all = await this.list();
    const costs = await this.space(all);
    const snapshots = all.filter((s) => target === undefined || s.target === target).map((s) => ({ ...s, uniqueBytes: costs.unique.get(s.id) ?? null }));
    const space = await fsSpace(this.layout.cloneDir);
    // An invalid floor is said here too, not only by the commands that check the whole settings file.
    const invalid = (given: string): void => { this.notices.push(`the settings' free-space floor ${given} is not bytes or a percentage such as "10%": the default is used`); };
    const floor = space ? floorBytes(await floorSettingIn(this.layout.settingsFile, invalid), space.size) : null;
    return {
      snapshots,
      totals: { storeBytes: costs.total, folderBytes: target === undefined ? null : costs.folderBytes.get(target) ?? 0, freeBytes: space?.free ?? null, floorBytes: floor, sharesBlocks: await clonesOnFilesystemOf(this.layout.cloneDir) },
    };
  }

  /**
   * What each snapshot costs, asked of its provider about all of its snapshots at once (clone's index covers
   * every clone snapshot). A provider that cannot tell, or fails to, leaves its costs unknown.
   */
  async space(records: readonly SnapshotRecord[]): Promise<{ unique: Map<string, number | null>; folderBytes: Map<string, number>; total: number | null }> {
    const unique = new Map<string, number | null>();
    const folderBytes = new Map<string, number>();
    let total: number | null = 0;
    for (const name of new Set(records.map((r) => r.provider))) {
      const provider = this.providers[name];
      const theirs = records.filter((r) => r.provider === name && r.state !== 'vanished');
      const costs = provider?.space ? await provider.space(theirs).catch(() => null) : null;
      for (const [id, bytes] of costs?.unique ?? []) unique.set(id, bytes);
      for (const [folder, bytes] of costs?.folderBytes ?? []) folderBytes.set(folder, (folderBytes.get(folder) ?? 0) + bytes);
      if (name === 'clone') total = costs?.total ?? null;
    }
    return { unique, folderBytes, total };
  }

  /**
   * A snapshot id as a person types it: whole, a unique beginning of one, or `latest` (the folder's newest
   * ready snapshot that is not a safety snapshot). Ambiguity and no match are usage errors naming candidates.
   */
  async resolveId(input: string, options: { target?: string } = {}): Promise<string> {
    const text = input.trim();
    const { snapshots } = await this.store.read();
    if (text === 'latest') {
      if (!options.target) throw usageError("'latest' needs a folder", 'pass --path DIR, or run the command inside the folder');
      const mine = snapshots.filter((s) => s.target === options.target);
      const newest = mine.filter((s) => s.state === 'ready' && s.trigger !== 'safety').sort(newestFirst)[0];
      if (!newest) throw noLatest(options.target, mine);
      return newest.id;
    }
    if (ID_PATTERN.test(text)) return text;
    if (!/^[0-9a-f-]{1,22}$/.test(text)) throw usageError(`not a snapshot id: ${oneLine(text)}`, "ids look like 20261201-140200-1a2b3c; a unique beginning of one is enough, or its last six characters, or 'latest'");
    let matches = snapshots.filter((s) => s.id.startsWith(text)).sort(newestFirst);
    // The random end of an id (what tells a day's snapshots apart, and what a person copies) is taken too:
    // six hex digits, the whole of it, never a part that could later fit another.
    if (matches.length === 0 && /^[0-9a-f]{6}$/.test(text)) matches = snapshots.filter((s) => s.id.endsWith(`-${text}`)).sort(newestFirst);
    const only = matches[0];
    if (matches.length === 1 && only) return only.id;
    if (matches.length === 0) throw usageError(`no snapshot id starts with ${text}${/^[0-9a-f]{6}$/.test(text) ? ' or ends with it' : ''}`, "run 'snapctl list' to see them");
    const shown = matches.slice(0, 8).map((s) => `${s.id}${s.tag ? ` (${oneLine(s.tag)})` : ''}`).join(', ');
    throw usageError(`${text} is the beginning of ${matches.length} snapshot ids: ${shown}${matches.length > 8 ? ', …' : ''}`, 'type more of the id');
  }

  /** Runs a rollback or undo, telling the listeners (metrics, the UI) how it ended. */
  private async observed(kind: 'rollback' | 'undo', record: SnapshotRecord, fn: () => Promise<RollbackResult>): Promise<RollbackResult> {
    const started = Date.now();
    try {
      const result = await fn();
      if (!result.nothingToChange) this.emit({ type: 'rollback-completed', result, kind, durationMs: Date.now() - started });
      return result;
    } catch (err) {
      if (!(err instanceof SnapctlError && err.kind === 'nothing-to-do')) {
        this.emit({ type: 'rollback-failed', snapshotId: record.id, target: record.target, provider: record.provider, error: describeError(err), durationMs: Date.now() - started });
      }
      throw err;
    }
  }

  /**
   * A rollback (or undo) of `record`; the caller holds the folder's lock. The preview is made from the walk
   * the safety snapshot takes anyway (clone), or from a walk of its own before a filesystem snapshot: when
   * nothing would change, no safety snapshot is taken. `replacing`: the unfinished rollback this undo gives up.
   */
  private async restoreLocked(record: SnapshotRecord, asked: string[] | null, kind: 'rollback' | 'undo', keepGit: boolean, o: { undoing?: SnapshotRecord | null; replacing?: JournalEntry }): Promise<RollbackResult> {
    const provider = this.provider(record.provider);
    const paths = await withBlockingAncestors(record.target, asked, heldAsFolderIn(provider, record));
    const trace = phaseTrace(kind, this.env);
    const target = record.target;
    trace('lock');
    if (!o.replacing) await this.finishFirst(target);
    await provider.verify(record);
    trace(`read and check ${record.id}`);
    const folderMade = await prepareFolder(target);
    await assertApartFromState(target, this.layout.root);
    // A folder we cannot write to (read-only mount, wrong owner) fails here, before a safety snapshot
    // and a journal that could never be finished.
    await access(target, fsConstants.W_OK);
    const exclude = keepGit ? isGitPath : undefined;
    // Paths excluded from snapshots are left alone: this snapshot has nothing to put there, and the safety
    // snapshot (taken with the folder's excludes now) would not hold them for undo.
    const { sets: leaveAloneSets, filter: leaveAlone } = await leaveAloneOf(record, await this.policyOf(target));
    let plan: DiffResult | null = null;
    const decide = async (live?: readonly LiveEntry[]): Promise<void> => {
      const found = await provider.diff(record, paths, { ...(exclude ? { exclude } : {}), ...(live ? { live } : {}), ...(leaveAlone ? { leaveAlone } : {}) });
      plan = found;
      const [under, link] = found.beneathLink?.[0] ?? [];
      if (under !== undefined && link !== undefined) {
        throw new CreateStopped(usageError(`${shownName(link)} is a symbolic link in snapshot ${record.id}, so ${shownName(under)} is not a path of its own`, `restore ${shownName(link)} itself; nothing was changed`));
      }
      // An undo puts back what its safety snapshot holds of the paths: one it holds nothing of (left alone by
      // the excludes, say) has nothing to put back, and refusing would leave the folder without a way back.
      if (found.unknown && found.unknown.length > 0 && kind === 'rollback') throw new CreateStopped(await unknownPaths(record, found.unknown, leaveAlone, provider));
      // What the system will not let change stops the rollback here, before anything changes, never half way.
      if (found.refused && found.refused.length > 0) throw new CreateStopped(lockedRefusal(record, found.refused));
      if (changesNothing(found)) throw new CreateStopped(NOTHING_TO_CHANGE);
    };
    const safetyOptions: CreateLockedOptions = {
      tag: safetyTag(kind, record, o.undoing ?? null, new Date(), paths, await this.store.read()), trigger: 'safety', provider: record.provider, note: null, restoring: record, trace,
    };
    let made: Awaited<ReturnType<SnapshotService['createLocked']>>;
    try {
      if (!provider.capabilities.walksOnCreate) await decide();
      const options = plan ? safetyOptions : { ...safetyOptions, inspect: (live: readonly LiveEntry[]) => decide(live) };
      // The folder may have changed so that its provider no longer takes it whole (a subvolume or dataset
      // made inside it since): its state before the rollback is kept by clone then, which takes anything.
      made = await this.createLocked(target, options).catch((err: unknown) => {
        if (!(err instanceof SnapctlError && err.kind === 'unsupported') || record.provider === 'clone') throw err;
        return this.createLocked(target, { ...options, provider: 'clone' });
      });
      if (!plan) await decide(made.live).catch(async (err: unknown) => { await this.forget([made.record]); throw err; });
    } catch (err) {
      if (!(err instanceof CreateStopped)) throw err;
      if (err.reason !== NOTHING_TO_CHANGE) throw err.reason;
      if (o.replacing) { await this.journal.keepCopy(target); await this.journal.clear(target); }
      const decided = plan as DiffResult | null;
      const unchanged = decided?.unchanged ?? 0;
      const keptFolders = decided?.kept ?? [];
      return { snapshot: record, safety: null, restored: { restored: 0, broughtBack: 0, removed: 0, unchanged, kept: [], ...(keptFolders.length > 0 ? { keptFolders } : {}) }, paths, nothingToChange: true };
    }
    const { record: safety, live, notHeld } = made;
    // Every byte the restore will read is checked before the first change: damaged data is refused whole.
    const damaged = await provider.checkRestore?.(record, paths, live ?? (await walk(target)).entries) ?? [];
    trace('check what will be restored');
    if (damaged.length > 0) {
      await this.setState([record.id], 'damaged');
      await this.forget([safety]);
      throw new SnapctlError('corrupt', `snapshot ${record.id} of ${target} is damaged: ${describeProblems(damaged)}`,
        `nothing in the folder was changed; 'snapctl verify ${record.id}' checks all of it; roll back to another snapshot, or restore other paths with --only`);
    }
    const entry: JournalEntry = {
      version: 1, target, snapshotId: record.id, safetyId: safety.id, paths, kind,
      startedAt: new Date().toISOString(), pid: process.pid, protect: notHeld, ...(keepGit ? { keepGit } : {}), leaveAlone: leaveAloneSets,
      ...(folderMade && kind === 'rollback' ? { folderMade } : {}),
    };
    // The unfinished rollback an undo gives up is kept aside, then replaced by this one in one write.
    if (o.replacing) await this.journal.keepCopy(target);
    await this.journal.write(entry);
    trace('journal');
    let restored: RestoreResult;
    try {
      const planned: DiffResult | null = plan;
      restored = await provider.restore(record, paths, {
        token: safety.id, protect: new Set(notHeld), ...(live ? { live } : {}), ...(exclude ? { exclude } : {}), ...(planned ? { plan: planned } : {}),
        ...(leaveAlone ? { leaveAlone } : {}),
      });
    } catch (err) {
      // The folder may be half restored (each file whole, old or new) and the journal says so.
      const why = plainWhy(err);
      await this.journal.writeError(target, why).catch(() => undefined);
      throw new SnapctlError('failed', `the rollback of ${target} to ${snapshotLabel(record)} stopped part way: ${why}`,
        `'snapctl status' shows it; once that is fixed, 'snapctl recover' finishes it, or 'snapctl undo --path ${target}' returns the folder to how it was before`);
    }
    trace('restore');
    await this.completeJournal(entry);
    trace('record it and clear the journal');
    return { snapshot: record, safety, restored, paths, nothingToChange: false };
  }

  private async completeJournal(entry: JournalEntry): Promise<void> {
    const rollback: RollbackRecord = {
      at: new Date().toISOString(), target: entry.target, snapshotId: entry.snapshotId, safetyId: entry.safetyId, paths: entry.paths, kind: entry.kind,
      ...(entry.keepGit ? { keepGit: true } : {}), ...(entry.folderMade ? { folderMade: true } : {}),
    };
    await this.store.update((store) => {
      store.rollbacks.push(rollback);
      if (store.rollbacks.length > 100) store.rollbacks.splice(0, store.rollbacks.length - 100);
    });
    await this.journal.clear(entry.target);
  }

  /**
   * Finishes every rollback a crash interrupted (`snapctl recover`, the tray app when it starts). Read-only
   * commands never do: they must not change a folder, and a rollback that cannot be finished would cost each of
   * them another attempt. `skipFailed`: only those killed part way, not those whose last attempt failed (tried
   * again by `recover` or the popover's Retry), so one stuck folder does not hold up a start for every folder.
   */
  async recover(options: { skipFailed?: boolean } = {}): Promise<RecoveryReport[]> {
    await this.finishInterruptedCreates();
    const reports: RecoveryReport[] = [];
    const { entries: all, damaged } = await this.journal.all();
    const entries = [];
    for (const e of all) if (!options.skipFailed || (await this.journal.readError(e.target)) === null) entries.push(e);
    for (const d of damaged) {
      const folder = d.target ?? 'DIR';
      reports.push({
        target: d.target ?? d.file, snapshotId: '', safetyId: '', outcome: 'failed',
        error: `the rollback journal ${d.file}${d.target ? ` of ${d.target}` : ''} is damaged: an interrupted rollback there cannot be finished and the folder may be half restored; run 'snapctl recover --abandon --path ${folder}' to set it aside, then roll back again (the safety snapshot taken before it is in 'snapctl list')`,
      });
    }
    for (const pending of entries) {
      let started = false;
      try {
        const finished = await this.withTarget(pending.target, () => { started = true; return this.recoverTarget(pending.target); });
        if (finished) reports.push(finished);
      } catch (err) {
        // recoverTarget's errors name the rollback and the way out; anything before it (the lock) does not.
        const error = started ? describeError(err) : `could not finish the interrupted rollback of ${pending.target}: ${describeError(err)}`;
        reports.push({ target: pending.target, snapshotId: pending.snapshotId, safetyId: pending.safetyId, outcome: 'failed', error });
      }
    }
    return reports;
  }

  /**
   * Finishes what creates killed part way left: a snapshot whose record reached the disk beside its data is
   * complete and enters the index; anything short of that is removed, with the space it took. It touches the
   * store only, never a folder, and says what it did (notices): every command runs it first.
   */
  async finishInterruptedCreates(): Promise<void> {
    const abandoned = await this.pendingCreates.abandoned();
    if (abandoned.length === 0) return;
    const collect = new Set<ProviderName>();
    for (const pending of abandoned) {
      const provider = this.providers[pending.provider];
      const record = await this.recordsOf(pending.provider).read(pending.id).catch(() => null);
      if (record) {
        await this.store.update((store) => { if (!store.snapshots.some((s) => s.id === record.id)) store.snapshots.push(record); });
        this.notices.push(`a snapshot interrupted while it was being recorded was complete and is now listed: ${record.id} of ${record.target}`);
      } else if (provider) {
        await provider.discard?.(pending.id, pending.target);
        collect.add(pending.provider);
        this.notices.push(`removed what an interrupted snapshot of ${pending.target} had left (${pending.id})`);
      }
      await provider?.settle(pending.id).catch(() => undefined);
    }
    // Collected before the markers go: killed in between, the next command does all of it again.
    await this.collect([...collect]);
    for (const pending of abandoned) await this.pendingCreates.end(pending.id);
  }

  /** Reclaims what no snapshot of these providers holds, under the store lock (see collectGarbage). */
  private async collect(names: readonly ProviderName[]): Promise<void> {
    if (names.length === 0) return;
    await this.store.withLock(async (store) => {
      for (const name of new Set(names)) await this.provider(name).collectGarbage(new Set(store.snapshots.filter((s) => s.provider === name).map((s) => s.ref)));
    });
  }

  /** What the last operations found and mended on their own (a rebuilt index, a finished create), to tell the user. */
  takeNotices(): string[] {
    const all = [...this.store.notices.splice(0), ...this.notices.splice(0), ...this.history.notices.splice(0)];
    return all;
  }

  /**
   * Before an operation on the folder (a snapshot, a rollback): its interrupted rollback is finished first, and
   * said (the operation did more than it was asked), or the operation stops with why it cannot be.
   */
  private async finishFirst(target: string): Promise<void> {
    const done = await this.recoverTarget(target);
    if (done) this.notices.push(`first finished the interrupted rollback of ${target} to ${done.snapshotId} ('snapctl undo --path ${target}' puts the folder back as it was before it: safety snapshot ${done.safetyId})`);
  }

  /** The caller holds the target's lock, so a journal here belongs to a process that died. */
  private async recoverTarget(target: string): Promise<RecoveryReport | null> {
    const pending = await this.journal.read(target);
    if (!pending) return null;
    // A new attempt: an error kept from an earlier one no longer says why the rollback is unfinished.
    await this.journal.clearError(target);
    try {
      const record = await this.get(pending.snapshotId);
      // Journals written before excludes existed name no excludes; mounts and cache folders now are left alone all the same.
      const leaveAlone = await leaveAloneFilter(pending.leaveAlone ?? [], { root: target });
      const provider = this.provider(record.provider);
      // The data was checked before the rollback began, and is checked again before it is finished: the store
      // may have changed since (a crash, a reboot, a hand), and a restore writes only bytes it has verified.
      const damaged = await provider.checkRestore?.(record, pending.paths, (await walk(target).catch(() => null))?.entries ?? []) ?? [];
      if (damaged.length > 0) throw new SnapctlError('corrupt', `snapshot ${record.id} is damaged: ${describeProblems(damaged)}`);
      await provider.restore(record, pending.paths, {
        token: pending.safetyId, protect: new Set(pending.protect ?? []), ...(pending.keepGit ? { exclude: isGitPath } : {}), ...(leaveAlone ? { leaveAlone } : {}),
      });
      await this.completeJournal(pending);
      this.emit({ type: 'rollback-recovered', snapshotId: record.id, target, provider: record.provider });
    } catch (err) {
      const why = plainWhy(err);
      await this.journal.writeError(target, why).catch(() => undefined);
      if (!(err instanceof SnapctlError) && errnoCode(err) !== undefined) {
        // The disk is full, a mount is read-only, a permission is missing: the rollback can finish later.
        throw new SnapctlError('busy', `the interrupted rollback of ${target} to ${pending.snapshotId} cannot be finished yet: ${why}`,
          `once that is fixed, 'snapctl recover' finishes it; 'snapctl undo --path ${target}' returns the folder to how it was before`);
      }
      // The snapshot's data is gone or damaged: say how to get out instead of blocking the folder forever.
      throw new SnapctlError('busy', `the interrupted rollback of ${target} to ${pending.snapshotId} cannot be finished: ${why}`,
        `'snapctl undo --path ${target}' returns the folder to how it was before it (or 'snapctl recover --abandon --path ${target}' gives it up)`);
    }
    return { target, snapshotId: pending.snapshotId, safetyId: pending.safetyId, outcome: 'finished' };
  }

  /**
   * Gives up an interrupted rollback that cannot be finished. The folder may be half restored; the journal's
   * safety snapshot holds the state before the rollback, and restoring it is the way back.
   */
  async abandonRecovery(pathInput: string): Promise<JournalEntry | { damaged: string } | null> {
    // The folder may be gone (deleted, or half restored away): its journal is found by its path all the same.
    const target = await this.resolveTarget(pathInput).catch(async (err: unknown) => {
      const typed = path.resolve(pathInput);
      if (await this.journal.exists(typed)) return typed;
      throw err;
    });
    return this.withTarget(target, async () => {
      const aside = await this.journal.setAside(target);
      if (aside) return { damaged: aside };
      const pending = await this.journal.read(target);
      if (pending) await this.journal.clear(target);
      return pending;
    });
  }

  private async readyRecord(id: unknown): Promise<SnapshotRecord> {
    const record = await this.get(id);
    // A damaged snapshot may still be rolled back: the check before any change refuses it if it needs the
    // damaged paths (a partial rollback of others works).
    if (record.state === 'vanished') {
      throw new SnapctlError('not-found', `snapshot ${record.id} is ${record.state}: its data no longer exists`, `delete it with 'snapctl delete ${record.id}'`);
    }
    return record;
  }

  /**
   * Runs `fn` holding the folder's locks: the state folder's, by path, and this user's, by the folder's device
   * and inode (see folder-lock.ts), taken in that order everywhere.
   */
  private async withTarget<T>(target: string, fn: () => Promise<T>): Promise<T> {
    const options = { waitMs: this.lockWaitMs, what: `the folder ${target}` };
    // Everything done under it writes into the state folder: never through a link put in place of a folder.
    await this.layout.assertFolders();
    const byPath = path.join(this.layout.locksDir, `target-${targetKey(target)}.lock`);
    const byInode = await folderLockPath(await runtimeDir(this.env), target);
    return withLock(byPath, options, () => (byInode ? withLock(byInode, options, fn) : fn()));
  }
}

/** Problems in one line: the count and the first few paths with why. */
function describeProblems(problems: readonly ContentProblem[]): string {
  const shown = problems.slice(0, 5).map((p) => `${JSON.stringify(p.path)} (${p.problem})`).join(', ');
  return `${plural(problems.length, 'file')} it would restore cannot be trusted: ${shown}${problems.length > 5 ? ', …' : ''}`;
}

/**
 * The folder a rollback writes into must be the folder snapshots were taken of: a link put in its place (or
 * in place of a folder above it) would send every write elsewhere, so it is refused. A folder deleted by
 * mistake is made again, empty, for the rollback to fill.
 */
async function prepareFolder(target: string): Promise<boolean> {
  if (await assertRealFolder(target) === 'ok') return false;
  const parent = await lstat(path.dirname(target)).catch(nullIfMissing);
  if (!parent?.isDirectory()) throw new SnapctlError('not-found', `the folder ${target} and the folder that held it are gone`, `make ${path.dirname(target)} again, then roll back`);
  await mkdir(target);
  return true;
}

/** The folder is the very folder snapshots were taken of (not a link, nor reached through one), or is gone. */
async function assertRealFolder(target: string): Promise<'ok' | 'missing'> {
  const st = await lstat(target).catch(nullIfMissing);
  if (st === null) {
    return 'missing';
  } else if (st.isSymbolicLink()) {
    throw new SnapctlError('failed', `${target} is now a symbolic link to ${await readlink(target).catch(() => 'somewhere else')}: a rollback never writes through a link`,
      'move the link aside (snapctl then makes the folder again and restores it), or put the folder back');
  } else if (!st.isDirectory()) {
    throw new SnapctlError('failed', `${target} is no longer a folder`, 'move what stands there aside; the rollback then makes the folder again');
  }
  const real = await realpath(target);
  if (real !== target) throw new SnapctlError('failed', `${target} is now reached through a symbolic link (it leads to ${real}): a rollback never writes through a link`, 'put the folders above it back as they were');
  return 'ok';
}

/** Removes a folder a rollback made again, once its undo left it empty; one holding anything stays. */
async function removeIfEmpty(target: string): Promise<void> {
  const st = await lstat(target).catch(nullIfMissing);
  if (!st?.isDirectory() || (await readdir(target)).length > 0) return;
  await rmdir(target).catch((err: unknown) => { if (errnoCode(err) !== 'ENOTEMPTY' && errnoCode(err) !== 'ENOENT') throw err; });
}

/** Why a folder has no 'latest', from what it does have: nothing, only safety snapshots, none ready. */
function noLatest(target: string, mine: readonly SnapshotRecord[]): SnapctlError {
  const take = `'snapctl create --path ${target}' takes one`;
  if (mine.length === 0) return usageError(`snapctl has no snapshot of ${target} yet, so there is no 'latest'`, take);
  const ready = mine.filter((s) => s.state === 'ready');
  if (ready.length > 0 && ready.every((s) => s.trigger === 'safety')) {
    return usageError(`${target} has only ${plural(ready.length, 'safety snapshot', 'safety snapshots')} (taken before rollbacks), and 'latest' never means one`,
      `name it by its id ('snapctl list --path ${target}' shows them), or ${take}`);
  }
  const states = [...new Set(mine.filter((s) => s.state !== 'ready').map((s) => s.state))].join(' or ');
  return usageError(`${target} has ${plural(mine.length, 'snapshot', 'snapshots')}, but none is ready (${states}), so there is no 'latest'`, `'snapctl list --path ${target}' shows them; ${take}`);
}

/** A flag in words, with the chattr letter that sets it. */
function lockedWhy(flag: 'immutable' | 'append-only'): string {
  return `${flag} (chattr +${LOCK_LETTER[flag]})`;
}

/**
 * The refusal of a rollback that would have to change paths the system will not let change: each named with
 * its flag, and the command that allows the change.
 */
function lockedRefusal(record: SnapshotRecord, refused: readonly { path: string; flag: 'immutable' | 'append-only' }[]): SnapctlError {
  const shown = refused.slice(0, 5).map((r) => `${shownName(r.path === '' ? '.' : r.path)} is ${lockedWhy(r.flag)}`).join(', ');
  const letters = [...new Set(refused.map((r) => LOCK_LETTER[r.flag]))].map((l) => `-${l}`).join(' ');
  const first = refused[0]?.path ?? '';
  const at = first === '' ? record.target : path.join(record.target, first);
  return new SnapctlError('failed', `${shown}${refused.length > 5 ? `, and ${refused.length - 5} more` : ''}: rolling back to ${snapshotLabel(record)} would have to change ${refused.length === 1 ? 'it' : 'them'}`,
    `'chattr ${letters} ${at}'${refused.length > 1 ? ' and on the others' : ''} allows the change; then roll back again, or leave ${refused.length === 1 ? 'it' : 'them'} out with --only; nothing was changed`);
}

/** Paths of a partial rollback found on neither side: most often a typing mistake, so nothing is done. */
async function unknownPaths(record: SnapshotRecord, unknown: readonly string[], leftOut: PathFilter | null, provider: SnapshotProvider): Promise<SnapctlError> {
  // A path on or below a filesystem mounted in the folder now: the rollback never writes there.
  const mounts = MountBoundary.of(record.target).points;
  const mounted = unknown.find((p) => [...mounts].some((m) => isUnder(p, m)));
  if (mounted !== undefined) {
    const at = [...mounts].find((m) => isUnder(mounted, m)) ?? mounted;
    return usageError(`${shownName(mounted)}: another filesystem is mounted at ${shownName(at)} in ${record.target} now, and a rollback never writes into one`,
      'unmount it to restore there; nothing was changed');
  }
  // A path the excludes leave out is in the folder, and a rollback leaves it alone: it is no misspelling.
  const excluded = leftOut ? unknown.filter((p) => leftOut(p)) : [];
  // Excludes added since the snapshot leave out paths it does hold: those can still be had as a copy.
  const held: string[] = [];
  for (const p of excluded.slice(0, 5)) {
    if ((await provider.readFile(record, p, 0).catch(() => null))?.kind !== 'missing') held.push(p);
  }
  if (held.length > 0) {
    const them = held.length === 1 ? 'it' : 'them';
    return usageError(`${held.map((p) => shownName(p)).join(', ')}${excluded.length > 5 ? ', …' : ''}: snapshot ${snapshotLabel(record)} (${record.id}) holds ${them}, but the folder's excludes now leave ${them} out (or a CACHEDIR.TAG does), and a rollback leaves excluded paths alone`,
      `'snapctl restore ${record.id} ${shownName(held[0] ?? '')} --to FILE' writes ${held.length === 1 ? 'a copy' : 'copies'} elsewhere, or take the pattern out of the excludes in Settings; nothing was changed`);
  }
  if (excluded.length > 0) {
    return usageError(`${excluded.slice(0, 5).map((p) => shownName(p)).join(', ')}${excluded.length > 5 ? ', …' : ''}: left out by the folder's excludes (or a CACHEDIR.TAG), so snapshot ${snapshotLabel(record)} (${record.id}) holds nothing there, and a rollback leaves ${excluded.length === 1 ? 'it' : 'them'} alone`,
      'change the excludes in Settings to keep it in later snapshots; nothing was changed');
  }
  const shown = unknown.slice(0, 5).map((p) => shownName(p)).join(', ');
  return usageError(`${shown}${unknown.length > 5 ? ', …' : ''}: ${unknown.length === 1 ? 'not a path' : 'not paths'} of snapshot ${snapshotLabel(record)} (${record.id}) nor of the folder ${record.target}`,
    'check the spelling; paths are relative to the folder (or to the current folder inside it); nothing was changed');
}

const ERRNO_WORDS: Record<string, string> = {
  EPERM: 'the system did not allow a change (the file may be immutable, or belong to another user)',
  EACCES: 'permission was denied',
  ENOSPC: 'the disk is full',
  EDQUOT: 'the disk quota is used up',
  EROFS: 'the filesystem is read-only',
  EBUSY: 'a file was in use',
  EIO: 'the disk reported a read or write error',
  ENAMETOOLONG: 'a name is too long for this filesystem',
  ENOENT: 'a file it needed is missing',
};

const WHAT_TO_DO: Record<string, string> = {
  EPERM: "if it is immutable or append-only ('lsattr' shows an i or an a), 'chattr -i -a' on it allows the change; then finish it",
  ENOSPC: 'free some space, then finish it',
  EDQUOT: 'free some space, then finish it',
  EROFS: 'remount it read-write, then finish it',
};

/**
 * Why a rollback stopped, in words a person reads: the cause and the path it concerns (the file's own name,
 * never the temporary one it was being written as), without a stack of system details.
 */
function plainWhy(err: unknown): string {
  if (err instanceof SnapctlError) return err.message;
  const code = errnoCode(err);
  const words = code ? ERRNO_WORDS[code] : undefined;
  if (!words) return describeError(err);
  const e = err as NodeJS.ErrnoException & { dest?: string };
  if (code === 'ENOENT' && typeof e.path === 'string' && e.path.includes('/clone/objects/')) return "the snapshot's stored copy of a file is missing ('snapctl verify' names the damaged snapshots)";
  // The path that says where: a file of the folder, by its path in the folder (the restore knows it: the
  // system names only the bare name), never a temporary name or a file of snapctl's own store.
  const at = restorePathOf(err);
  const named = at ? (at.path === '' ? null : at.path) : [e.dest, e.path].find((p): p is string => typeof p === 'string' && !p.includes('.snapctl-restore-') && !path.isAbsolute(p));
  const where = named ? ` at ${shownName(named.replace(/^\.\//, ''))}${at ? ` in ${shownName(at.root)}` : ''}` : at ? ` at the folder ${shownName(at.root)} itself` : '';
  const todo = code ? WHAT_TO_DO[code] : undefined;
  return `${words}${where} (${code})${todo ? `; ${todo}` : ''}`;
}

function parseTag(tag: string | null | undefined): string | null {
  if (tag === undefined || tag === null || tag === '') return null;
  const problem = tagProblem(tag);
  if (problem) throw usageError(`invalid tag: ${problem}`);
  return tag;
}

/** `--exclude` patterns as typed: each one checked, a bad one a usage error that names it. */
function parseExcludes(patterns: readonly string[]): string[] {
  for (const p of patterns) {
    const problem = excludePatternProblem(p);
    if (problem) throw usageError(`invalid exclude pattern "${oneLine(p)}": ${problem}`, 'patterns use gitignore syntax, e.g. node_modules/ or *.log; nothing was changed');
  }
  return [...patterns];
}

/** Whether the snapshot holds a folder at `rel`. */
function heldAsFolderIn(provider: SnapshotProvider, record: SnapshotRecord): (rel: string) => Promise<boolean> {
  return async (rel) => {
    const got = await provider.readFile(record, rel, 0).catch(() => null);
    return got?.kind === 'not-a-file' && got.type === 'dir';
  };
}

/**
 * A snapshot that ran out of space part way, in words that say what it needed and whether what it wrote
 * (objects, manifest, record, pending marker) was given back (`given`): on a disk too full even for the
 * clean-up it says so. Any other error is returned as it is.
 */
function outOfSpace(err: unknown, target: string, need: number, space: FsSpace | null, given: boolean): unknown {
  const code = errnoCode(err);
  if (code !== 'ENOSPC' && code !== 'EDQUOT') return err;
  return new SnapctlError('failed', `the snapshot of ${target} ran out of space part way (${code === 'ENOSPC' ? 'the disk is full' : 'the disk quota is used up'}): ` +
    `it needed about ${humanBytes(need)}${space ? ` and ${humanBytes(space.free)} is free now` : ''}; ${given ? 'everything it wrote was removed' : 'what it wrote could not all be removed yet (the disk was too full even for that)'}`,
  given ? 'free some space (delete old snapshots, add excludes for caches), then take it again' : "free a little space, then run 'snapctl prune', which gives back what the snapshot left; then take it again");
}

/**
 * The policy of a folder from the settings file, read when it is needed (zod and the schedule parser load
 * only then). An unreadable file leaves the defaults: its warning is told as a notice.
 */
async function policyFromSettingsFile(layout: HomeLayout, target: string, notice: (text: string) => void): Promise<FolderPolicy> {
  const quick = await peekPolicy(layout.settingsFile, target);
  if (quick) return quick;
  const { SettingsStore, policyOf } = await import('../state/settings.js');
  const loaded = await new SettingsStore(layout).load();
  if (loaded.warning) notice(loaded.warning);
  return policyOf(loaded.settings, target);
}

/** The rollback's filter of paths excluded from snapshots: the snapshot's, the folder's now, and cache folders now. */
async function leaveAloneOf(record: SnapshotRecord, policy: FolderPolicy): Promise<{ sets: Exclusions[]; filter: PathFilter | null }> {
  const sets = [record.excluded, { patterns: policy.excludes, cacheDirs: [] }].filter((e): e is Exclusions => e !== undefined && (e.patterns.length > 0 || e.cacheDirs.length > 0));
  return { sets, filter: await leaveAloneFilter(sets, { root: record.target }) };
}
