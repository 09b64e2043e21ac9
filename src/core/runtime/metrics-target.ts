import { hostname } from 'node:os';
import type { StatsdSettings } from '../state/settings.js';

/** Where metrics go, after Datadog's own environment variables have had their say. */
export interface MetricsTarget {
  enabled: boolean;
  host: string;
  port: number;
  /** A Unix socket: a path or `unixgram:///path` (datagrams), `unix:///path` (the agent's stream socket). */
  socket: string | null;
  tags: string[];
}

/**
 * Settings first, overridden by the variables every Datadog client honours: DD_AGENT_HOST,
 * DD_DOGSTATSD_PORT, DD_DOGSTATSD_SOCKET; DD_ENV, DD_SERVICE, DD_VERSION become env/service/version tags.
 * Kept apart from the client (metrics.ts) so that `snapctl status` can say where metrics go without loading it.
 */
export function resolveMetricsTarget(settings: StatsdSettings, env: NodeJS.ProcessEnv = process.env): MetricsTarget {
  const port = Number.parseInt(env['DD_DOGSTATSD_PORT'] ?? '', 10);
  const tags = [`host:${hostname()}`];
  for (const [variable, tag] of [['DD_ENV', 'env'], ['DD_SERVICE', 'service'], ['DD_VERSION', 'version']] as const) {
    const value = env[variable]?.trim();
    if (value) tags.push(`${tag}:${tagValue(value)}`);
  }
  return {
    enabled: settings.enabled,
    host: env['DD_AGENT_HOST']?.trim() || settings.host,
    port: Number.isInteger(port) && port > 0 && port < 65_536 ? port : settings.port,
    socket: env['DD_DOGSTATSD_SOCKET']?.trim() || settings.socket,
    tags,
  };
}

/** A tag value cannot hold the wire format's separators (`,` `|` `#`) nor a line break. */
export function tagValue(value: string): string {
  return value.replace(/[\r\n,|#]+/g, '_').slice(0, 200);
}

/**
 * Where DogStatsD datagrams go. `unix:///path` is the agent's stream socket (`dogstatsd_stream_socket`),
 * `unixgram:///path` or a bare path its datagram socket (`dogstatsd_socket`, the default in containers), as
 * Datadog's own clients read DD_DOGSTATSD_SOCKET / DD_DOGSTATSD_URL.
 */
export type MetricsDestination =
  | { kind: 'udp'; host: string; port: number }
  | { kind: 'unixgram'; path: string }
  | { kind: 'unix'; path: string };

export function socketDestination(value: string): MetricsDestination {
  if (value.startsWith('unix://')) return { kind: 'unix', path: value.slice('unix://'.length) };
  if (value.startsWith('unixgram://')) return { kind: 'unixgram', path: value.slice('unixgram://'.length) };
  return { kind: 'unixgram', path: value };
}

export function describeDestination(d: MetricsDestination): string {
  switch (d.kind) {
    case 'udp': return d.host.includes(':') ? `[${d.host}]:${d.port}` : `${d.host}:${d.port}`; // an IPv6 address
    case 'unixgram': return d.path;
    case 'unix': return `unix://${d.path}`;
  }
}

/** Where a target's datagrams go; null when metrics are off. */
export function destinationOf(target: MetricsTarget): MetricsDestination | null {
  if (!target.enabled) return null;
  return target.socket ? socketDestination(target.socket) : { kind: 'udp', host: target.host, port: target.port };
}
