import type { MetricsHealth } from '../shared/api.js';
import { plural } from '../shared/format.js';
import { healthOf } from '../core/runtime/metrics-health.js';
import { resolveMetricsTarget } from '../core/runtime/metrics-target.js';
import { readMetricsHealth } from '../core/state/metrics-health-file.js';
import type { HomeLayout } from '../core/state/paths.js';
import { peekStatsdSettings } from '../core/state/statsd-settings-check.js';

/**
 * Whether metrics are being sent, for `snapctl status`: where this configuration sends (the settings and
 * this shell's DD_* variables) and how the last sends of any snapctl went (the health file). Loads no client.
 */
export async function metricsStatus(layout: HomeLayout, env: NodeJS.ProcessEnv): Promise<{ health: MetricsHealth; lines: string[] }> {
  const [{ statsd, problem }, record] = await Promise.all([peekStatsdSettings(layout), readMetricsHealth(layout)]);
  const health = healthOf(resolveMetricsTarget(statsd, env), record);
  const lines: string[] = [];
  if (problem) lines.push(problem);
  if (!health.enabled) {
    lines.push('off (settings: statsd.enabled is false)');
    return { health, lines };
  }
  const via = health.transport === 'udp' ? 'UDP' : 'a Unix socket';
  if (health.lastError) {
    lines.push(`NOT being sent to ${health.destination ?? ''} over ${via}: ${health.lastError}${record?.lastErrorAt ? ` (${record.lastErrorAt})` : ''}`);
  } else if (health.lastSentAt) {
    lines.push(`being sent to ${health.destination ?? ''} over ${via}; last sent ${health.lastSentAt}${health.transport === 'udp' ? ' (UDP cannot tell whether an agent listens)' : ''}`);
  } else {
    lines.push(`to ${health.destination ?? ''} over ${via}; nothing sent yet`);
  }
  if (health.sendErrors > 0) lines.push(`${plural(health.sendErrors, 'send error')} in all${health.lastError ? '' : ', none since the last send'}`);
  if (record?.destination && record.destination !== health.destination) lines.push(`the last sends went to ${record.destination} (a snapctl with other settings or DD_* variables: a hook, the tray app)`);
  return { health, lines };
}
