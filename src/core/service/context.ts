import path from 'node:path';
import { SnapctlError } from '../base/errors.js';
import { phaseTrace } from '../base/trace.js';
import type { AdminPrompt } from '../providers/admin-prompt.js';
import type { SnapshotProvider } from '../providers/provider.js';
import { folderLockPath, runtimeDir } from '../state/folder-lock.js';
import { RollbackJournal, targetKey } from '../state/journal.js';
import { withLock } from '../state/locks.js';
import { HomeLayout } from '../state/paths.js';
import { PendingCreates } from '../state/pending-creates.js';
import { peekPolicy } from '../state/policy-check.js';
import { RecordFiles } from '../state/record-files.js';
import { SnapshotStore } from '../state/store.js';
import { DEFAULT_RETENTION } from '../../shared/defaults.js';
import type { ProviderName, SnapshotRecord } from '../../shared/model.js';
import type { SnapshotInProgress } from '../../shared/api.js';
import type { ChangeFeed } from './change-feed.js';
import { defaultProviders } from './default-providers.js';
import type { ServiceEvent } from './events.js';
import type { FloorSetting } from './free-space.js';
import { FileHistory } from './history.js';
import type { RetentionPolicy } from './retention.js';

/** What the settings say of one folder that the service applies itself: excludes, the floor, the limits. */
export interface FolderPolicy {
  excludes: string[];
  /** The store filesystem's free-space floor (see floorBytes). */
  floor: FloorSetting;
  maxStoreBytes: number | null;
  retention: RetentionPolicy;
}

export const DEFAULT_POLICY: FolderPolicy = { excludes: [], floor: null, maxStoreBytes: null, retention: DEFAULT_RETENTION };

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
  /** The running app's change journal (tray app, `snapctl serve`): snapshots then walk only what changed. */
  changes?: ChangeFeed;
}

/**
 * What every use case of the service shares (the state folder, the providers, the folder locks, the policy,
 * the listeners): passed to each, never inherited, so each use case is a file of its own (create.ts,
 * rollback.ts, recovery.ts, prune.ts, verify.ts, queries.ts, …) that takes only what it uses from here.
 */
export class ServiceContext {
  readonly layout: HomeLayout;
  readonly store: SnapshotStore;
  /** Files across snapshots: history, find, cat, restore of one file (the per-folder path index). */
  readonly history: FileHistory;
  /** Rollbacks in progress, one entry per folder. */
  readonly journal: RollbackJournal;
  readonly pendingCreates: PendingCreates;
  readonly env: NodeJS.ProcessEnv;
  /** See ServiceOptions.changes; undefined in a fresh process, which walks. */
  readonly changes: ChangeFeed | undefined;
  /** Snapshots this process is taking now, by id, with how far each has got (the popover's progress bar). */
  readonly taking = new Map<string, SnapshotInProgress>();
  /** What operations found and mended on their own, for the user (see takeNotices). */
  readonly notices: string[] = [];
  private readonly providers: Partial<Record<ProviderName, SnapshotProvider>>;
  private readonly lockWaitMs: number;
  private readonly listeners = new Set<(event: ServiceEvent) => void>();
  /** Records of snapshots whose provider keeps none beside its data. */
  private readonly recordFiles: RecordFiles;
  private readonly policyOf: (target: string) => Promise<FolderPolicy>;

  constructor(options: ServiceOptions) {
    this.layout = new HomeLayout(path.resolve(options.home));
    this.providers = options.providers ?? defaultProviders(this.layout.cloneDir, options.env, options.adminPrompt);
    this.recordFiles = new RecordFiles(path.join(this.layout.root, 'records'));
    this.pendingCreates = new PendingCreates(path.join(this.layout.root, 'pending'));
    this.store = new SnapshotStore(this.layout, () => this.snapshotsOnDisk());
    this.history = new FileHistory({ layout: this.layout, store: this.store, provider: (n) => this.provider(n), lock: (t, fn) => this.withTarget(t, fn), trace: phaseTrace('history', options.env ?? process.env) });
    this.journal = new RollbackJournal(this.layout.journalDir);
    this.lockWaitMs = options.lockWaitMs ?? 120_000;
    this.env = options.env ?? process.env;
    this.changes = options.changes;
    this.policyOf = options.policy ?? ((target) => policyFromSettingsFile(this.layout, target, (n) => this.notices.push(n)));
  }

  /** The folder's policy; a settings file that cannot be read leaves the defaults (its warning is a notice). */
  async policy(target: string): Promise<FolderPolicy> {
    return this.policyOf(target);
  }

  provider(name: ProviderName): SnapshotProvider {
    const p = this.providers[name];
    if (!p) throw new SnapctlError('unsupported', `the ${name} provider is not available here`, `available: ${Object.keys(this.providers).join(', ')}`);
    return p;
  }

  /** The provider by name, or undefined where it is not available (a record of another machine's provider). */
  providerOrNone(name: ProviderName): SnapshotProvider | undefined {
    return this.providers[name];
  }

  allProviders(): Partial<Record<ProviderName, SnapshotProvider>> {
    return this.providers;
  }

  /** The snapshots this process is taking now (scheduled, asked for, a rollback's safety snapshot), oldest first. */
  inProgress(): SnapshotInProgress[] {
    return [...this.taking.values()].map((t) => ({ ...t, progress: t.progress && { ...t.progress } }));
  }

  onEvent(listener: (event: ServiceEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(event: ServiceEvent): void {
    for (const listener of this.listeners) {
      try { listener(event); } catch { /* an observer's failure must never fail the operation */ }
    }
  }

  /** Whether any notice is waiting to be taken (a listing that said something is not one to keep). */
  hasNotices(): boolean {
    return this.store.notices.length + this.notices.length + this.history.notices.length > 0;
  }

  /** What the last operations found and mended on their own (a rebuilt index, a finished create), to tell the user. */
  takeNotices(): string[] {
    return [...this.store.notices.splice(0), ...this.notices.splice(0), ...this.history.notices.splice(0)];
  }

  /** Where each snapshot's own record is kept: beside its data where the provider can, else in the state folder. */
  recordsOf(provider: ProviderName): NonNullable<SnapshotProvider['records']> {
    const own = this.providers[provider]?.records;
    return own ?? {
      write: (r) => this.recordFiles.write(r),
      remove: (id) => this.recordFiles.remove(id),
      read: (id) => this.recordFiles.read(id),
      forIndex: async () => ({ records: [], damaged: [] }),
    };
  }

  /** Where a provider's snapshots take their space: clone's store, or the folder's own filesystem. */
  dataDir(provider: ProviderName, target: string): string {
    return provider === 'clone' ? this.layout.cloneDir : target;
  }

  /**
   * Runs `fn` holding the folder's locks: the state folder's, by path, and this user's, by the folder's device
   * and inode (see folder-lock.ts), taken in that order everywhere.
   */
  async withTarget<T>(target: string, fn: () => Promise<T>): Promise<T> {
    const options = { waitMs: this.lockWaitMs, what: `the folder ${target}` };
    // Everything done under it writes into the state folder: never through a link put in place of a folder.
    await this.layout.assertFolders();
    const byPath = path.join(this.layout.locksDir, `target-${targetKey(target)}.lock`);
    const byInode = await folderLockPath(await runtimeDir(this.env), target);
    return withLock(byPath, options, () => (byInode ? withLock(byInode, options, fn) : fn()));
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
