import type { Metrics } from '../core/runtime/metrics.js';
import type { ServiceContext } from '../core/service/context.js';
import type { ServiceEvent } from '../core/service/events.js';

/**
 * How long a command may wait at exit for its last datagrams: sending to a local agent, or to none, takes
 * well under a millisecond (100 ms leaves room for loading the client on a busy machine: at 50 ms a CI run under load lost a datagram to a live Unix socket); what is still unsent then (a host name that does not resolve) is dropped and
 * recorded as a send error, so metrics never hold a command up for longer, nor change its exit code.
 */
export const METRICS_EXIT_WAIT_MS = 100;

/**
 * The command line's metrics, in one place: the service's events observed as the tray app's runtime observes
 * them. The client (hot-shots, sockets) is loaded on the first event that means a
 * change, so `list`, `count` and `status` never load it; `finish` flushes before the process exits and
 * records how the sends went for `snapctl status`.
 */
export class CliMetrics {
  private loading: Promise<Metrics | null> | null = null;

  constructor(private readonly env: NodeJS.ProcessEnv, private readonly warn: (text: string) => void) {}

  observe(service: ServiceContext): void {
    service.onEvent((event) => this.onEvent(event, service));
  }

  private onEvent(event: ServiceEvent, service: ServiceContext): void {
    // Not a change to report: the client is loaded on the first event that is.
    if (event.type === 'snapshot-progress') return;
    this.loading ??= this.start(service);
    // Chained on the one promise, the events reach the client in the order they happened.
    void this.loading.then((metrics) => metrics?.onEvent(event));
  }

  private async start(service: ServiceContext): Promise<Metrics | null> {
    try {
      const [{ resolveMetricsTarget }, { peekStatsdSettings }] = await Promise.all([
        import('../core/runtime/metrics-target.js'),
        import('../core/state/statsd-settings-check.js'),
      ]);
      const { statsd, problem } = await peekStatsdSettings(service.layout);
      if (problem) this.warn(`snapctl: ${problem}\n`);
      const target = resolveMetricsTarget(statsd, this.env);
      if (!target.enabled) return null;
      // The client and its sockets only when metrics are on.
      const { Metrics } = await import('../core/runtime/metrics.js');
      return new Metrics(target);
    } catch {
      return null; // metrics never fail a command
    }
  }

  /** Hands the datagrams over (bounded), records the result in the state folder, closes the client. */
  async finish(service: ServiceContext | undefined, waitMs: number = METRICS_EXIT_WAIT_MS): Promise<void> {
    if (!this.loading || !service) return;
    const started = Date.now();
    let timer: NodeJS.Timeout | undefined;
    const metrics = await Promise.race([this.loading, new Promise<null>((resolve) => { timer = setTimeout(() => resolve(null), waitMs); })]);
    clearTimeout(timer);
    if (!metrics) return;
    await metrics.flush(Math.max(1, waitMs - (Date.now() - started)));
    const report = metrics.report();
    void metrics.close();
    if (report.sent === 0 && report.sendErrors === 0) return;
    const { recordMetricsResult } = await import('../core/state/metrics-health-file.js');
    await recordMetricsResult(service.layout, { ...report, newErrors: report.sendErrors });
  }
}
