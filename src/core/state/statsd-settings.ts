import { z } from 'zod';

/** The metrics part of the settings; statsd-settings-check.ts holds the same rules without zod, for commands. */
export const statsdSettingsSchema = z.object({
  enabled: z.boolean().default(true),
  host: z.string().min(1).max(253).regex(/^[A-Za-z0-9.:\-[\]]+$/, 'a host name or IP address').default('127.0.0.1'),
  port: z.number().int().min(1).max(65_535).default(8125),
  /** A Unix socket for DogStatsD (a path, unixgram:///path or unix:///path); when set, host and port are not used. */
  socket: z.string().min(1).max(4096).nullable().default(null),
});
export type StatsdSettings = z.infer<typeof statsdSettingsSchema>;

