import type { MetricsHealth } from '../../shared/api.js';
import type { MetricsHealthRecord } from '../state/metrics-health-file.js';
import { describeDestination, destinationOf, type MetricsTarget } from './metrics-target.js';
import { failedSetting } from './metrics-errors.js';

/**
 * Metrics health as `snapctl status` and the popover show it: where this configuration sends (settings and
 * DD_* variables), and how the last sends went from the health file. An error older than the last
 * successful send is over, so it is not shown as the current one.
 */
export function healthOf(target: MetricsTarget, record: MetricsHealthRecord | null): MetricsHealth {
  const destination = destinationOf(target);
  const errorIsCurrent = record?.lastErrorAt != null && (record.lastSentAt === null || record.lastErrorAt > record.lastSentAt);
  const lastError = errorIsCurrent ? record.lastError : null;
  return {
    enabled: destination !== null,
    transport: destination === null ? null : destination.kind === 'udp' ? 'udp' : 'uds',
    destination: destination === null ? null : describeDestination(destination),
    sendErrors: record?.sendErrors ?? 0,
    lastError,
    lastErrorSetting: failedSetting(lastError),
    lastSentAt: record?.lastSentAt ?? null,
  };
}
