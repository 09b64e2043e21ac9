import StatsD, { type StatsD as StatsDClient, type ClientOptions } from 'hot-shots';
import type { MetricsHealth } from '../../shared/api.js';
import { plural } from '../../shared/format.js';
import type { SnapshotRecord } from '../../shared/model.js';
import { MetricsSink } from './metrics-sink.js';
import { failedSetting, sendFailureWords } from './metrics-errors.js';
import { describeDestination, destinationOf, tagValue, type MetricsDestination, type MetricsTarget } from './metrics-target.js';
import type { ServiceEvent } from '../service/events.js';

export { resolveMetricsTarget, type MetricsTarget } from './metrics-target.js';

export const METRIC_PREFIX = 'snapctl.';

/** What the sends of one client came to, for the health file (`snapctl status`, the popover). */
export interface SendReport {
  transport: 'udp' | 'uds' | null;
  destination: string | null;
  sent: number;
  sendErrors: number;
  lastSentAt: string | null;
  lastError: string | null;
  lastErrorAt: string | null;
}

export type CheckStatus = 'ok' | 'warning' | 'critical' | 'unknown';

/**
 * DogStatsD metrics for everything the service does. Sending never waits: an absent agent, a bad host or a
 * send error is counted and otherwise ignored, so metrics never fail or delay a snapshot; `flush` lets a
 * short-lived process hand its last datagrams over before it exits, within a bound.
 */
export class Metrics {
  private client: StatsDClient | null = null;
  private sink: MetricsSink | null = null;
  private readonly destination: MetricsDestination | null;
  private sent = 0;
  private sendErrors = 0;
  private lastError: string | null = null;
  private lastErrorAt: Date | null = null;
  private lastSentAt: Date | null = null;
  private readonly mock: boolean;

  constructor(readonly target: MetricsTarget, options: { mock?: boolean } = {}) {
    this.destination = destinationOf(target);
    this.mock = options.mock ?? false;
    if (!this.destination) return;
    const common: ClientOptions = {
      prefix: METRIC_PREFIX,
      globalTags: target.tags,
      // Decided explicitly so the wire format does not change with whatever DD_* variables are set:
      // plain DogStatsD (tags, service checks, events) without origin detection or client telemetry.
      datadog: false,
      includeDataDogTags: false,
      includeDatadogTelemetry: false,
      aggregation: false,
      maxBufferSize: 0,
      errorHandler: (err) => this.recordError(err),
    };
    try {
      if (this.mock) {
        this.client = new StatsD({ ...common, mock: true });
        return;
      }
      this.sink = MetricsSink.open(this.destination, { sent: () => this.recordSent(), failed: (err) => this.recordError(err) });
      this.client = new StatsD({ ...common, protocol: 'stream', stream: this.sink });
    } catch (err) {
      // e.g. the Unix datagram socket's native part is missing on this platform: run without metrics.
      this.recordError(err);
      this.sink?.destroy();
      this.sink = null;
      this.client = null;
    }
  }

  /** For `snapctl status` and the popover's settings: where metrics go and how the sends went. */
  health(): MetricsHealth {
    const r = this.report();
    return { enabled: this.client !== null, transport: r.transport, destination: r.destination, sendErrors: r.sendErrors, lastError: r.lastError, lastErrorSetting: failedSetting(r.lastError), lastSentAt: r.lastSentAt };
  }

  report(): SendReport {
    const d = this.destination;
    return {
      transport: d === null ? null : d.kind === 'udp' ? 'udp' : 'uds',
      destination: d === null ? null : describeDestination(d),
      sent: this.sent,
      sendErrors: this.sendErrors,
      lastSentAt: this.lastSentAt?.toISOString() ?? null,
      lastError: this.lastError,
      lastErrorAt: this.lastErrorAt?.toISOString() ?? null,
    };
  }

  /** The datagrams a mock client would have sent (tests). */
  get mockBuffer(): string[] {
    return this.client?.mockBuffer ?? [];
  }

  /** Subscribes to a service's events; returns the unsubscribe function. */
  observe(subscribe: (listener: (event: ServiceEvent) => void) => () => void): () => void {
    return subscribe((event) => this.onEvent(event));
  }

  onEvent(event: ServiceEvent): void {
    switch (event.type) {
      case 'snapshot-created': {
        const tags = snapshotTags(event.record);
        this.safely((c) => c.increment('snapshot.created', 1, tags));
        this.safely((c) => c.timing('snapshot.duration', event.durationMs, tags));
        this.canSnapshot(event.record.target, 'ok');
        break;
      }
      case 'snapshot-failed': {
        const tags = [`provider:${event.provider}`, `trigger:${event.trigger}`];
        this.safely((c) => c.increment('snapshot.failed', 1, tags));
        this.safely((c) => c.timing('snapshot.duration', event.durationMs, [...tags, 'outcome:failed']));
        this.canSnapshot(event.target, 'critical', event.error);
        this.safely((c) => c.event('snapshot failed', wireText(`${event.target}: ${event.error}`), { alert_type: 'error', aggregation_key: wireText(`snapshot:${event.target}`), source_type_name: 'snapctl' }, tags));
        break;
      }
      case 'snapshot-skipped': {
        // Not a failure: the floor kept the disk from filling. Counted apart, with an event that says why.
        const tags = [`provider:${event.provider}`, `trigger:${event.trigger}`, `reason:${event.reason}`];
        this.safely((c) => c.increment('snapshot.skipped', 1, tags));
        this.canSnapshot(event.target, 'warning', event.message);
        this.safely((c) => c.event('snapshot skipped', wireText(`${event.target}: ${event.message}`), { alert_type: 'warning', aggregation_key: wireText(`snapshot:${event.target}`), source_type_name: 'snapctl' }, tags));
        break;
      }
      case 'snapshot-deleted':
        this.safely((c) => c.increment('snapshot.deleted', 1, [`provider:${event.record.provider}`, `trigger:${event.record.trigger}`]));
        break;
      case 'rollback-completed': {
        const tags = [`provider:${event.result.snapshot.provider}`, `kind:${event.kind}`];
        this.safely((c) => c.increment('rollback.completed', 1, tags));
        this.safely((c) => c.timing('rollback.duration', event.durationMs, tags));
        break;
      }
      case 'rollback-recovered':
        this.safely((c) => c.increment('rollback.completed', 1, [`provider:${event.provider}`, 'kind:recovery']));
        break;
      case 'rollback-failed': {
        const tags = [`provider:${event.provider}`];
        this.safely((c) => c.increment('rollback.failed', 1, tags));
        this.safely((c) => c.timing('rollback.duration', event.durationMs, [...tags, 'outcome:failed']));
        this.safely((c) => c.event('rollback failed', wireText(`${event.target} to ${event.snapshotId}: ${event.error}`), { alert_type: 'error', aggregation_key: wireText(`rollback:${event.target}`), source_type_name: 'snapctl' }, tags));
        break;
      }
      case 'snapshot-unchanged':
        this.safely((c) => c.increment('snapshot.unchanged', 1, ['trigger:schedule']));
        break;
      case 'journal-defect':
        // A change no event named: the journal is a hint, so nothing was lost, but it is a defect to look at.
        this.safely((c) => c.increment('journal.defect', 1, [`target:${tagValue(event.target)}`]));
        this.safely((c) => c.event('change journal defect', wireText(`${event.target}: a full walk found ${event.paths} paths the change journal did not name (${event.examples.join(', ')}); the next snapshot walks in full`), { alert_type: 'warning', aggregation_key: wireText(`journal:${event.target}`), source_type_name: 'snapctl' }));
        break;
      case 'snapshot-progress':
        break;
    }
  }

  /** The service check `snapctl.can_snapshot` of one folder. */
  canSnapshot(target: string, status: CheckStatus, message?: string): void {
    this.safely((c) => c.check('can_snapshot', c.CHECKS[status.toUpperCase() as Uppercase<CheckStatus>], message ? { message: wireText(message) } : {}, [`target:${tagValue(target)}`]));
  }

  /**
   * snapshot.count and snapshot.age_seconds (of the newest), per folder (tag `target`; `scheduled:true` for
   * the folders the schedule snapshots, which the monitor watches). A scheduled folder without a snapshot
   * counts 0.
   */
  gauges(snapshots: readonly SnapshotRecord[], options: { scheduled?: ReadonlySet<string>; now?: Date } = {}): void {
    const now = options.now ?? new Date();
    const scheduled = options.scheduled ?? new Set<string>();
    const perTarget = new Map<string, { count: number; newest: string | null }>();
    for (const t of scheduled) perTarget.set(t, { count: 0, newest: null });
    for (const s of snapshots) {
      if (s.state !== 'ready') continue;
      const entry = perTarget.get(s.target) ?? { count: 0, newest: null };
      entry.count++;
      if (entry.newest === null || s.createdAt > entry.newest) entry.newest = s.createdAt;
      perTarget.set(s.target, entry);
    }
    for (const [target, { count, newest }] of perTarget) {
      const tags = [`target:${tagValue(target)}`, `scheduled:${scheduled.has(target)}`];
      this.safely((c) => c.gauge('snapshot.count', count, tags));
      if (newest) this.safely((c) => c.gauge('snapshot.age_seconds', Math.max(0, Math.round((now.getTime() - Date.parse(newest)) / 1000)), tags));
    }
  }

  /**
   * snapctl.store.bytes (the state folder on disk), snapctl.store.free_bytes (its filesystem's room) and
   * snapctl.store.floor_bytes (the free space snapshots keep there: the low-space monitor compares the two).
   */
  storeGauges(space: { bytes: number | null; freeBytes: number | null; floorBytes?: number | null }): void {
    if (space.bytes !== null) this.safely((c) => c.gauge('store.bytes', space.bytes ?? 0));
    if (space.freeBytes !== null) this.safely((c) => c.gauge('store.free_bytes', space.freeBytes ?? 0));
    if (space.floorBytes !== undefined && space.floorBytes !== null) this.safely((c) => c.gauge('store.floor_bytes', space.floorBytes ?? 0));
  }

  /**
   * Waits until every datagram so far is sent or failed, or `ms` passed; what is left then counts as failed
   * (an unresolvable host's lookups can take seconds). Returns how many were left.
   */
  async flush(ms: number): Promise<number> {
    const sink = this.sink;
    if (!sink || sink.pending === 0) return 0;
    await sink.drained(ms);
    const left = sink.pending;
    if (left > 0) this.recordError(new Error(`${plural(left, 'datagram')} not sent within ${ms} ms to ${this.report().destination ?? ''} (a host name that does not resolve?)`));
    return left;
  }

  /** Closes the client without waiting for it (what `flush` did not hand over is dropped). */
  close(): Promise<void> {
    const client = this.client;
    const sink = this.sink;
    this.client = null;
    this.sink = null;
    if (!client) return Promise.resolve();
    return new Promise((resolve) => {
      // hot-shots waits for messages in flight before it closes; a stuck lookup must not hold us.
      const timer = setTimeout(() => { sink?.destroy(); resolve(); }, 100);
      timer.unref();
      try { client.close(() => { clearTimeout(timer); sink?.destroy(); resolve(); }); } catch { clearTimeout(timer); sink?.destroy(); resolve(); }
    });
  }

  // hot-shots puts the prefix on event titles too: they arrive as "snapctl.snapshot failed".
  private safely(send: (client: StatsDClient) => void): void {
    if (!this.client) return;
    try { send(this.client); } catch (err) { this.recordError(err); }
  }

  private recordSent(): void {
    this.sent++;
    this.lastSentAt = new Date();
  }

  private recordError(err: unknown): void {
    this.sendErrors++;
    this.lastError = wireText(sendFailureWords(err, this.destination));
    this.lastErrorAt = new Date();
  }
}

function snapshotTags(record: SnapshotRecord): string[] {
  return [`provider:${record.provider}`, `trigger:${record.trigger}`];
}

/**
 * DogStatsD is line-based and `|`-delimited: service-check messages and event texts lose both (a folder named
 * `x|\nsnapctl.injected:1|c` would otherwise send a metric of its own). Characters outside ASCII are written
 * as `\uXXXX`: an event's header gives its lengths in bytes and hot-shots counts UTF-16 units, so one `é`
 * made the agent drop the event.
 */
export function wireText(text: string): string {
  return text.slice(0, 400).replace(/[\r\n|]+/g, ' ').replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
