import { stat } from 'node:fs/promises';
import path from 'node:path';
import { describeError } from '../base/errors.js';
import { Metrics, resolveMetricsTarget, type CheckStatus } from './metrics.js';
import { readMetricsHealth, recordMetricsResult } from '../state/metrics-health-file.js';
import { healthOf } from './metrics-health.js';
import { failedSetting } from './metrics-errors.js';
import type { FolderChangesView, MetricsHealth } from '../../shared/api.js';
import { clockTime } from '../../shared/format.js';
import { StoreWatcher } from './store-watch.js';
import { freeBytes, StoreBytes } from './store-space.js';
import { floorBytes, fsSpace } from '../service/free-space.js';
import { HomeLayout } from '../state/paths.js';
import type { SnapshotRecord } from '../../shared/model.js';
import { Scheduler, type ScheduleRunReport } from '../triggers/scheduler.js';
import type { AdminPrompt } from '../providers/admin-prompt.js';
import { SettingsStore, policyOf, type Settings } from '../state/settings.js';
import { QueryPool } from './query-pool.js';
import { ChangeTracker } from './change-tracker.js';
import { audit } from '../changes/audit.js';
import type { JournalToken } from '../changes/journal.js';
import { excludeMatcher } from '../tree/excludes.js';
import { listingFromManifest } from '../tree/walk-changed.js';
import { DEFAULT_POLICY, ServiceContext } from '../service/context.js';
import { createSnapshot } from '../service/create.js';
import { pruneSnapshots } from '../service/prune.js';
import { listSnapshots } from '../service/queries.js';
import { recover } from '../service/recovery.js';

export interface RuntimeOptions {
  home: string;
  env?: NodeJS.ProcessEnv;
  /** Called for every failure a user should hear about (tray notification, error banner). */
  onProblem?: (message: string) => void;
  /** Called after every scheduled run. */
  onScheduledRun?: (report: ScheduleRunReport) => void;
  /** Gauges, `snapctl.can_snapshot` and the store's space on this steady interval (default 60 s). */
  gaugeIntervalMs?: number;
  /** How often the store's index is looked at, behind fs.watch (default 5 s). */
  storePollMs?: number;
  /** The tray app asks for an administrator password with the system's prompt where a rollback needs one. */
  adminPrompt?: boolean | AdminPrompt;
  /**
   * When the missed scheduled runs are taken: 'now', inside start (snapctl serve), or 'later', by the caller's
   * own resume() (the tray app, whose icon must not wait for a full snapshot after a night off).
   */
  catchUp?: 'now' | 'later';
  /** How often, at idle, each watched folder is walked in full and compared with its change journal (default 30 min; 0: never). */
  auditIntervalMs?: number;
}

/**
 * The long-running side of snapctl, shared by the tray app and `snapctl serve`: the service, the settings,
 * the scheduler applying retention after each run, and metrics observing all of it.
 */
export class SnapctlRuntime {
  readonly service: ServiceContext;
  readonly settingsStore: SettingsStore;
  readonly scheduler: Scheduler;
  /** The long queries (search, history, diffs), answered in worker threads: see query-pool.ts. */
  readonly queries: QueryPool;
  metrics: Metrics;
  private settings!: Settings;
  private readonly env: NodeJS.ProcessEnv;
  private unobserve: () => void = () => undefined;
  private gaugeTimer: NodeJS.Timeout | undefined;
  private watcher: StoreWatcher | undefined;
  /** The last outcome of this process's snapshots per folder, for the steady service check. */
  private readonly lastOutcome = new Map<string, { status: CheckStatus; message?: string }>();
  private reported = { sent: 0, sendErrors: 0 };
  /** Failures a user should know about that belong to no one folder (an unreadable settings file). */
  readonly problems: string[] = [];
  /** Parts of the settings file left out as invalid: said until the file is fixed or saved anew. */
  private settingsFileProblems: string[] = [];
  /** Each folder's last scheduled snapshot, when it failed: gone once a later snapshot of the folder succeeds. */
  private readonly scheduledFailures = new Map<string, string>();
  /** The change journals of the clone folders in the settings (SNAPCTL_JOURNAL=0: none, every snapshot walks). */
  readonly changes: ChangeTracker | undefined;
  /** Folders whose last scheduled run took nothing, the journal vouching nothing changed: since the newest snapshot's time. */
  private readonly unchanged = new Map<string, string>();
  private auditTimer: NodeJS.Timeout | undefined;

  private constructor(private readonly options: RuntimeOptions) {
    this.env = options.env ?? process.env;
    const layout = new HomeLayout(path.resolve(options.home));
    this.changes = this.env['SNAPCTL_JOURNAL'] === '0' ? undefined : new ChangeTracker();
    this.service = new ServiceContext({
      home: layout.root, env: this.env, adminPrompt: options.adminPrompt ?? false, ...(this.changes ? { changes: this.changes } : {}),
      // Settings are loaded before the first snapshot; the recovery that runs before them needs no policy.
      policy: async (target) => (this.settings ? policyOf(this.settings, target) : DEFAULT_POLICY),
    });
    this.settingsStore = new SettingsStore(layout);
    this.queries = new QueryPool({ home: layout.root, env: this.env, adminPrompt: options.adminPrompt ?? false, settings: () => this.settings, local: this.service });
    this.service.onEvent((e) => {
      if (e.type === 'snapshot-created') this.lastOutcome.set(e.record.target, { status: 'ok' });
      if (e.type === 'snapshot-failed') this.lastOutcome.set(e.target, { status: 'critical', message: e.error });
      if (e.type === 'snapshot-created' && e.record.trigger !== 'safety') this.scheduledFailures.delete(e.record.target);
      if (e.type === 'snapshot-created') this.unchanged.delete(e.record.target);
    });
    this.metrics = new Metrics({ enabled: false, host: '127.0.0.1', port: 8125, socket: null, tags: [] });
    this.scheduler = new Scheduler({
      stateFile: path.join(layout.root, 'schedule-state.json'),
      runner: {
        snapshot: async (t) => {
          const since = await this.unchangedSince(t.path);
          if (since) {
            this.unchanged.set(t.path, since);
            this.service.emit({ type: 'snapshot-unchanged', target: t.path, since });
            return null;
          }
          return createSnapshot(this.service, { path: t.path, trigger: 'schedule', provider: t.provider });
        },
        prune: (t) => pruneSnapshots(this.service, () => t.retention, { target: t.path, maxStoreBytes: () => t.maxStoreBytes }),
      },
      onRun: (report) => {
        if (!report.ok) {
          const at = new Date();
          const message = `the scheduled snapshot at ${clockTime(at)} ${report.skipped ? 'was skipped' : 'failed'}: ${report.error ?? 'for no reason given'}; the next one is tried on schedule, or take one now`;
          this.scheduledFailures.set(report.target, message);
          options.onProblem?.(`${report.target}: ${message}`);
        } else if (report.error) {
          options.onProblem?.(`${report.target}: ${report.error}`);
        }
        void this.sendGauges();
        options.onScheduledRun?.(report);
      },
    });
  }

  static async start(options: RuntimeOptions): Promise<SnapctlRuntime> {
    const runtime = new SnapctlRuntime(options);
    try {
      // An interrupted rollback that cannot be finished is the folder's state (status shows it as unfinished
      // until it is resolved): told once, never kept as a problem that would outlive it. One whose last attempt
      // failed is left to Retry: trying it again here would hold up the start for every folder.
      for (const r of await recover(runtime.service, { skipFailed: true })) {
        if (r.outcome === 'failed') options.onProblem?.(r.error ?? `could not finish the interrupted rollback of ${r.target}`);
      }
      const loaded = await runtime.settingsStore.load();
      runtime.settingsFileProblems = loaded.problems;
      await runtime.applySettings(loaded.settings);
      if (options.catchUp !== 'later') await runtime.scheduler.catchUp();
    } catch (err) {
      // Whatever was started (cron tasks, the metrics socket) must not keep a failed process alive.
      await runtime.stop().catch(() => undefined);
      throw err;
    }
    const interval = options.gaugeIntervalMs ?? 60_000;
    runtime.gaugeTimer = setInterval(() => void runtime.steadyReport(), interval);
    runtime.gaugeTimer.unref();
    // The CLI, a hook or `snapctl run` may change the store while this runs: its gauges follow the index.
    runtime.watcher = new StoreWatcher(runtime.service.layout.root, path.basename(runtime.service.layout.storeFile), () => void runtime.sendGauges(), { pollMs: options.storePollMs ?? 5_000 });
    await runtime.watcher.start();
    void runtime.steadyReport();
    const audit = options.auditIntervalMs ?? 30 * 60_000;
    if (runtime.changes && audit > 0) {
      runtime.auditTimer = setInterval(() => void runtime.auditChanges(), audit);
      runtime.auditTimer.unref();
    }
    return runtime;
  }

  currentSettings(): Settings {
    return structuredClone(this.settings);
  }

  /** Problems that belong to no one folder: the settings file's, then the others, newest last. */
  allProblems(): string[] {
    return [...this.settingsFileProblems, ...this.problems];
  }

  /** Problems of one folder only the running app knows (see scheduledFailures). */
  problemsOf(target: string): string[] {
    const failed = this.scheduledFailures.get(target);
    return failed ? [failed] : [];
  }

  /**
   * Validates and saves new settings, then reschedules; invalid settings change nothing. A folder new to the
   * settings must exist (one already listed may have been deleted: it stays, so it can be rolled back).
   */
  async updateSettings(next: unknown): Promise<Settings> {
    const saved = await this.settingsStore.save(next, { mustExist: (p) => !this.settings.targets.some((t) => t.path === p) });
    this.settingsFileProblems = [];
    await this.applySettings(saved);
    return saved;
  }

  /** After sleep: the scheduler takes the runs it missed, once. */
  async resume(): Promise<ScheduleRunReport[]> {
    return this.scheduler.catchUp();
  }

  async stop(): Promise<void> {
    // Queries first: a long one ends at once, wherever it is.
    await this.queries.stop();
    if (this.gaugeTimer) clearInterval(this.gaugeTimer);
    if (this.auditTimer) clearInterval(this.auditTimer);
    await this.changes?.stop();
    this.watcher?.stop();
    this.unobserve();
    await this.scheduler.stop();
    await this.metrics.flush(200);
    await this.recordHealth();
    await this.metrics.close();
  }

  private async applySettings(settings: Settings): Promise<void> {
    this.scheduler.apply(settings.targets, settings.schedulePaused);
    // Started in the background: a large folder's watches take a while, and the first snapshot walks anyway.
    void this.changes?.watch(settings.targets.filter((t) => t.provider === 'clone').map((t) => t.path));
    const target = resolveMetricsTarget(settings.statsd, this.env);
    const previous = this.settings ? resolveMetricsTarget(this.settings.statsd, this.env) : null;
    if (!previous || JSON.stringify(previous) !== JSON.stringify(target)) {
      this.unobserve();
      const old = this.metrics;
      await this.recordHealth();
      this.metrics = new Metrics(target);
      this.reported = { sent: 0, sendErrors: 0 };
      this.unobserve = this.metrics.observe((l) => this.service.onEvent(l));
      void old.close();
    }
    this.settings = settings;
  }

  private async sendGauges(): Promise<void> {
    try {
      const records: SnapshotRecord[] = await listSnapshots(this.service);
      this.metrics.gauges(records, { scheduled: new Set(this.settings.targets.filter((t) => !t.paused).map((t) => t.path)) });
    } catch (err) {
      this.reportProblem(`could not read the snapshot store: ${describeError(err)}`);
    }
  }

  /**
   * On the steady interval: the gauges, the store's size and free space, `snapctl.can_snapshot` for every
   * folder in the settings (this process's last outcome; a missing folder is critical, a paused one
   * unknown), and the sends' result for `snapctl status`.
   */
  private steadying = false;
  private storeBytes: StoreBytes | null = null;
  private async steadyReport(): Promise<void> {
    if (this.steadying) return; // a large store's walk may outlast a short interval
    this.steadying = true;
    try {
      await this.sendGauges();
      const root = this.service.layout.root;
      this.storeBytes ??= new StoreBytes(root);
      const [bytes, free, space] = await Promise.all([this.storeBytes.read(), freeBytes(root), fsSpace(this.service.layout.cloneDir)]);
      this.metrics.storeGauges({ bytes, freeBytes: free, floorBytes: space ? floorBytes(this.settings.freeSpaceFloor, space.size) : null });
      for (const t of this.settings.targets) {
        if (t.paused || this.settings.schedulePaused) { this.metrics.canSnapshot(t.path, 'unknown', 'the schedule is paused'); continue; }
        const isFolder = await stat(t.path).then((st) => st.isDirectory(), () => false);
        if (!isFolder) { this.metrics.canSnapshot(t.path, 'critical', `${t.path} is missing or not a folder`); continue; }
        const last = this.lastOutcome.get(t.path);
        this.metrics.canSnapshot(t.path, last?.status ?? 'ok', last?.message);
      }
      await this.recordHealth();
    } catch (err) {
      this.options.onProblem?.(`could not report metrics: ${describeError(err)}`);
    } finally {
      this.steadying = false;
    }
  }

  /**
   * For the popover's settings: whether this process's client is up (a Unix datagram socket may have no
   * native part here), and the last sends of any snapctl (a hook, a command) from the health file.
   */
  async metricsHealth(): Promise<MetricsHealth> {
    await this.recordHealth();
    const live = this.metrics.health();
    const shared = healthOf(this.metrics.target, await readMetricsHealth(this.service.layout));
    const lastError = live.enabled ? shared.lastError : live.lastError ?? shared.lastError;
    return { ...shared, enabled: live.enabled, lastError, lastErrorSetting: failedSetting(lastError) };
  }

  /** This process's sends since the last write, merged into the health file `snapctl status` reads. */
  private async recordHealth(): Promise<void> {
    const report = this.metrics.report();
    const newErrors = report.sendErrors - this.reported.sendErrors;
    if (report.sent === this.reported.sent && newErrors === 0) return;
    this.reported = { sent: report.sent, sendErrors: report.sendErrors };
    await recordMetricsResult(this.service.layout, { ...report, newErrors });
  }

  /** Failures a user should hear about (banner, notification), kept for the status view. */
  reportProblem(message: string): void {
    this.problems.push(message);
    if (this.problems.length > 50) this.problems.shift();
    this.options.onProblem?.(message);
  }

  /** What status and the popover say of a folder's changes (tracked or walked, and why), with the app running. */
  async changesOf(target: string): Promise<{ changes?: FolderChangesView; unchangedSince?: string }> {
    if (!this.changes) return {};
    const newest = (await listSnapshots(this.service, { target })).find((s) => s.state === 'ready' && s.provider === 'clone') ?? null;
    const since = this.unchanged.get(target);
    return { changes: this.changes.view(target, newest?.id ?? null), ...(since ? { unchangedSince: since } : {}) };
  }

  /**
   * The newest snapshot's time when the change journal vouches that nothing in the folder changed since it,
   * or null: a scheduled run then takes nothing (the newest snapshot already holds the folder as it is).
   */
  private async unchangedSince(target: string): Promise<string | null> {
    if (!this.changes) return null;
    const newest = await this.newestClone(target);
    if (!newest) return null;
    const answer = await this.changes.since(target, newest.id);
    return answer.tracked && answer.paths.length === 0 ? newest.createdAt : null;
  }

  /** The folder's newest ready snapshot when it is a clone one (the journal narrows only those), else null. */
  private async newestClone(target: string): Promise<SnapshotRecord | null> {
    const newest = (await listSnapshots(this.service, { target })).find((s) => s.state === 'ready') ?? null;
    return newest?.provider === 'clone' ? newest : null;
  }

  /**
   * At idle: each watched folder walked in full and compared with what its journal claims since its newest
   * snapshot. Any difference is a defect (an event missed): reported, and the folder's next snapshot walks.
   */
  private auditing = false;
  async auditChanges(): Promise<number> {
    if (!this.changes || this.auditing) return 0;
    this.auditing = true;
    let defects = 0;
    try {
      for (const target of this.changes.watched()) {
        if (this.service.inProgress().some((t) => t.target === target)) continue;
        const newest = await this.newestClone(target);
        const watched = newest ? this.changes.journalOf(target, newest.id) : null;
        if (!newest || !watched) continue;
        const entries = await this.service.provider('clone').listEntries?.(newest) ?? null;
        const base = entries ? listingFromManifest({ entries: [...entries], problems: [] }, watched.side) : null;
        if (!base) continue;
        const skip = await excludeMatcher(newest.excluded?.patterns ?? []);
        const found = await audit(watched.journal, watched.token as JournalToken, base, { ...(skip ? { skip } : {}), cacheDirs: true }).catch(() => null);
        if (!found || !('defects' in found) || found.defects.length === 0) continue;
        defects += found.defects.length;
        this.changes.distrust(target, `the change journal missed ${found.defects.length} changes that a full walk found: the next snapshot looks at every file`);
        this.service.emit({ type: 'journal-defect', target, paths: found.defects.length, examples: found.defects.slice(0, 3) });
      }
    } finally {
      this.auditing = false;
    }
    return defects;
  }
}
