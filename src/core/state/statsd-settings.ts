import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import type { HomeLayout } from './paths.js';

/** The metrics part of the settings, apart so that a command sending metrics loads zod but not the rest. */
export const statsdSettingsSchema = z.object({
  enabled: z.boolean().default(true),
  host: z.string().min(1).max(253).regex(/^[A-Za-z0-9.:\-[\]]+$/, 'a host name or IP address').default('127.0.0.1'),
  port: z.number().int().min(1).max(65_535).default(8125),
  /** A Unix socket for DogStatsD (a path, unixgram:///path or unix:///path); when set, host and port are not used. */
  socket: z.string().min(1).max(4096).nullable().default(null),
});
export type StatsdSettings = z.infer<typeof statsdSettingsSchema>;

/**
 * The metrics settings, read without the settings store's repairs: a command that only sends metrics must
 * not move a damaged settings file aside (the tray app and `prune` do, and say so). Unreadable: the defaults,
 * and `problem` says why.
 */
export async function peekStatsdSettings(layout: HomeLayout): Promise<{ statsd: StatsdSettings; problem: string | null }> {
  const defaults = statsdSettingsSchema.parse({});
  const text = await readFile(layout.settingsFile, 'utf8').catch(() => null);
  if (text === null) return { statsd: defaults, problem: null };
  let raw: unknown;
  try { raw = JSON.parse(text); } catch { return { statsd: defaults, problem: 'the settings file is not valid JSON' }; }
  const part = typeof raw === 'object' && raw !== null && 'statsd' in raw ? raw.statsd : undefined;
  const parsed = statsdSettingsSchema.safeParse(part ?? {});
  if (parsed.success) return { statsd: parsed.data, problem: null };
  return { statsd: defaults, problem: `the settings file's statsd.${parsed.error.issues[0]?.path.join('.') ?? ''} is invalid` };
}
