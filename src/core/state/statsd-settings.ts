import { z } from 'zod';
import { PORT_MAX, PORT_MIN, STATSD_HOST, STATSD_HOST_MAX, STATSD_HOST_RULE } from '../../shared/statsd.js';

/** The metrics part of the settings; statsd-settings-check.ts holds the same rules without zod, for commands. */
export const statsdSettingsSchema = z.object({
  enabled: z.boolean().default(true),
  host: z.string().min(1, STATSD_HOST_RULE).max(STATSD_HOST_MAX, STATSD_HOST_RULE).regex(STATSD_HOST, STATSD_HOST_RULE).default('127.0.0.1'),
  port: z.number().int('must be a whole number from 1 to 65535').min(PORT_MIN, 'must be a whole number from 1 to 65535').max(PORT_MAX, 'must be a whole number from 1 to 65535').default(8125),
  /** A Unix socket for DogStatsD (a path, unixgram:///path or unix:///path); when set, host and port are not used. */
  socket: z.string().min(1).max(4096).nullable().default(null),
});
export type StatsdSettings = z.infer<typeof statsdSettingsSchema>;

