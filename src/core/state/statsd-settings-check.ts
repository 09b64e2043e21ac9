import { readFile } from 'node:fs/promises';
import type { HomeLayout } from './paths.js';
import type { StatsdSettings } from './statsd-settings.js';
import { PORT_MAX, PORT_MIN, STATSD_HOST, STATSD_HOST_MAX } from '../../shared/statsd.js';

/**
 * The same rules as statsdSettingsSchema, checked by hand: zod takes tens of ms to load, and a command (a
 * git hook) reads these after every snapshot. The test compares both on generated inputs.
 */
export function checkStatsdSettings(raw: unknown): { ok: true; value: StatsdSettings } | { ok: false; field: string } {
  if (raw === undefined) raw = {};
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return { ok: false, field: '' };
  const fields = new Map<string, unknown>(Object.entries(raw));
  // As zod's default(): only a missing (undefined) field takes the default; null is a wrong value.
  const get = <T>(key: string, fallback: T): unknown => { const v = fields.get(key); return v === undefined ? fallback : v; };
  const enabled = get('enabled', true);
  if (typeof enabled !== 'boolean') return { ok: false, field: 'enabled' };
  const host = get('host', '127.0.0.1');
  if (typeof host !== 'string' || host.length < 1 || host.length > STATSD_HOST_MAX || !STATSD_HOST.test(host)) return { ok: false, field: 'host' };
  const port = get('port', 8125);
  if (typeof port !== 'number' || !Number.isInteger(port) || port < PORT_MIN || port > PORT_MAX) return { ok: false, field: 'port' };
  const socket = get('socket', null);
  if (socket !== null && (typeof socket !== 'string' || socket.length < 1 || socket.length > 4096)) return { ok: false, field: 'socket' };
  return { ok: true, value: { enabled, host, port, socket } };
}

/**
 * The metrics settings, read without the settings store's repairs: a command that only sends metrics must
 * not move a damaged settings file aside (the tray app and `prune` do, and say so). Unreadable: the defaults,
 * and `problem` says why.
 */
export async function peekStatsdSettings(layout: HomeLayout): Promise<{ statsd: StatsdSettings; problem: string | null }> {
  const defaults: StatsdSettings = { enabled: true, host: '127.0.0.1', port: 8125, socket: null };
  const text = await readFile(layout.settingsFile, 'utf8').catch(() => null);
  if (text === null) return { statsd: defaults, problem: null };
  let raw: unknown;
  try { raw = JSON.parse(text); } catch { return { statsd: defaults, problem: 'the settings file is not valid JSON' }; }
  const part = typeof raw === 'object' && raw !== null && 'statsd' in raw ? raw.statsd : undefined;
  const checked = checkStatsdSettings(part);
  if (checked.ok) return { statsd: checked.value, problem: null };
  return { statsd: defaults, problem: `the settings file's statsd${checked.field ? `.${checked.field}` : ''} is invalid` };
}
