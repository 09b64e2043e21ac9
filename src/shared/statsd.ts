/**
 * What the Datadog settings take, for the settings schema, the check commands run without zod
 * (core/state/statsd-settings-check.ts) and the popover's fields as they are typed: one rule, three readers.
 */

/** A DogStatsD host: a name or an IP address (IPv6 bare or in brackets). */
export const STATSD_HOST = /^[A-Za-z0-9.:\-[\]]+$/;
export const STATSD_HOST_MAX = 253;
export const PORT_MIN = 1;
export const PORT_MAX = 65_535;

/** The schema's words for a host it refuses (the settings' error reads "metrics: the host: must be …"). */
export const STATSD_HOST_RULE = 'must be a host name or IP address, such as 127.0.0.1 or dd-agent (letters, digits, dots, dashes and colons only)';

/** What is wrong with a host as typed, in the popover's words; null when it is one. */
export function statsdHostProblem(host: string): string | null {
  if (host === '') return 'Type the host the Datadog agent runs on, such as 127.0.0.1.';
  if (host.length > STATSD_HOST_MAX) return `A host name is at most ${STATSD_HOST_MAX} characters.`;
  if (!STATSD_HOST.test(host)) return 'A host name or IP address holds only letters, digits, dots, dashes and colons.';
  return null;
}
