import type { MetricsHealth } from '../../shared/api.js';
import { hostname } from 'node:os';
import StatsD, { type StatsD as StatsDClient, type ClientOptions } from 'hot-shots';
import type { SnapshotRecord } from '../../shared/model.js';
import type { ServiceEvent } from '../service/service.js';
import type { StatsdSettings } from '../state/settings.js';

/** Where metrics go, after Datadog's own environment variables have had their say. */
export interface MetricsTarget {
  enabled: boolean;
  host: string;
  port: number;
  socket: string | null;
  tags: string[];
}

/**
 * Settings first, overridden by the variables every Datadog client honours: DD_AGENT_HOST,
 * DD_DOGSTATSD_PORT, DD_DOGSTATSD_SOCKET; DD_ENV, DD_SERVICE, DD_VERSION become env/service/version tags.
 */
export function resolveMetricsTarget(settings: StatsdSettings, env: NodeJS.ProcessEnv = process.env): MetricsTarget {
  const port = Number.parseInt(env['DD_DOGSTATSD_PORT'] ?? '', 10);
  const tags = [`host:${hostname()}`];
  for (const [variable, tag] of [['DD_ENV', 'env'], ['DD_SERVICE', 'service'], ['DD_VERSION', 'version']] as const) {
    const value = env[variable]?.trim();
    if (value) tags.push(`${tag}:${value}`);
  }
  return {
    enabled: settings.enabled,
    host: env['DD_AGENT_HOST']?.trim() || settings.host,
    port: Number.isInteger(port) && port > 0 && port < 65_536 ? port : settings.port,
    socket: env['DD_DOGSTATSD_SOCKET']?.trim() || settings.socket,
    tags,
  };
}

export const METRIC_PREFIX = 'snapctl.';

/**
 * DogStatsD metrics for everything the service does. Sending is fire-and-forget over UDP: an absent agent,
 * a bad host or a send error is counted and otherwise ignored, so metrics never fail or delay a snapshot.
 */
export class Metrics {
  private client: StatsDClient | null = null;
  private sendErrors = 0;
  private lastError: string | null = null;
  private lastSentAt: string | null = null;

  constructor(readonly target: MetricsTarget, options: { mock?: boolean } = {}) {
    if (!target.enabled) return;
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
      ...(options.mock ? { mock: true } : {}),
    };
    try {
      this.client = target.socket
        ? new StatsD({ ...common, protocol: 'uds', path: target.socket, udsGracefulErrorHandling: true })
        : new StatsD({ ...common, protocol: 'udp', host: target.host, port: target.port });
    } catch (err) {
      // e.g. the UDS transport's native module is missing: run without metrics rather than fail.
      this.recordError(err);
      this.client = null;
    }
  }

  /** For the UI and diagnostics: where metrics go, how many sends failed, the last reason, the last send. */
  health(): MetricsHealth {
    const enabled = this.client !== null;
    const transport = !enabled ? null : this.target.socket ? 'uds' : 'udp';
    const destination = !enabled ? null : this.target.socket ?? `${this.target.host}:${this.target.port}`;
    return { enabled, transport, destination, sendErrors: this.sendErrors, lastError: this.lastError, lastSentAt: this.lastSentAt };
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
        this.safely((c) => c.check('can_snapshot', c.CHECKS.OK, {}, [`target:${event.record.target}`]));
        break;
      }
      case 'snapshot-failed': {
        const tags = [`provider:${event.provider}`, `trigger:${event.trigger}`];
        this.safely((c) => c.increment('snapshot.failed', 1, tags));
        this.safely((c) => c.timing('snapshot.duration', event.durationMs, [...tags, 'outcome:failed']));
        this.safely((c) => c.check('can_snapshot', c.CHECKS.CRITICAL, { message: wireText(event.error) }, [`target:${event.target}`]));
        this.safely((c) => c.event('snapshot failed', `${event.target}: ${wireText(event.error)}`, { alert_type: 'error', aggregation_key: `snapshot:${event.target}`, source_type_name: 'snapctl' }, tags));
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
      case 'rollback-failed': {
        const tags = [`provider:${event.provider}`];
        this.safely((c) => c.increment('rollback.failed', 1, tags));
        this.safely((c) => c.timing('rollback.duration', event.durationMs, [...tags, 'outcome:failed']));
        this.safely((c) => c.event('rollback failed', `${event.target} to ${event.snapshotId}: ${wireText(event.error)}`, { alert_type: 'error', aggregation_key: `rollback:${event.target}`, source_type_name: 'snapctl' }, tags));
        break;
      }
    }
  }

  /** snapshot.count and snapshot.age_seconds (of the newest), sent after every change and periodically. */
  gauges(snapshots: readonly SnapshotRecord[], now: Date = new Date()): void {
    const ready = snapshots.filter((s) => s.state === 'ready');
    this.safely((c) => c.gauge('snapshot.count', ready.length));
    const newest = ready.reduce<string | null>((max, s) => (max === null || s.createdAt > max ? s.createdAt : max), null);
    if (newest) this.safely((c) => c.gauge('snapshot.age_seconds', Math.max(0, Math.round((now.getTime() - Date.parse(newest)) / 1000))));
  }

  close(): Promise<void> {
    const client = this.client;
    this.client = null;
    if (!client) return Promise.resolve();
    return new Promise((resolve) => {
      try { client.close(() => resolve()); } catch { resolve(); }
    });
  }

  // hot-shots puts the prefix on event titles too: they arrive as "snapctl.snapshot failed".
  private safely(send: (client: StatsDClient) => void): void {
    if (!this.client) return;
    try {
      send(this.client);
      this.lastSentAt = new Date().toISOString();
    } catch (err) { this.recordError(err); }
  }

  private recordError(err: unknown): void {
    this.sendErrors++;
    this.lastError = err instanceof Error ? err.message : String(err);
  }
}

function snapshotTags(record: SnapshotRecord): string[] {
  return [`provider:${record.provider}`, `trigger:${record.trigger}`];
}

/** DogStatsD is line-based and `|`-delimited: service-check messages and event texts lose both. */
function wireText(text: string): string {
  return text.replace(/[\r\n|]+/g, ' ').slice(0, 400);
}
