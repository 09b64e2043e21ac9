import { errnoCode } from '../base/errors.js';
import { describeDestination, type MetricsDestination } from './metrics-target.js';

/**
 * A failed send in plain words that say what to check ("cannot find the host 'dd.invalid': check the name"),
 * never the system's ("getaddrinfo ENOTFOUND dd.invalid"): `snapctl status` and the popover's settings show it.
 * Errors without such words keep the system's message.
 */
export function sendFailureWords(err: unknown, destination: MetricsDestination | null): string {
  const message = err instanceof Error ? err.message : String(err);
  const code = errnoCode(err) ?? codeOfMessage(message);
  if (!destination || !code) return message;
  if (destination.kind === 'udp') {
    const { host } = destination;
    switch (code) {
      case 'ENOTFOUND': return `cannot find the host '${host}': check the name`;
      case 'EAI_AGAIN': return `could not look up the host '${host}' (the name server did not answer): check the network, or give an IP address`;
      case 'ENETUNREACH': case 'EHOSTUNREACH': return `cannot reach the host '${host}' from here: check the name and the network`;
      case 'ECONNREFUSED': return `nothing is listening on ${describeDestination(destination)}: check the port, and that the Datadog agent runs with DogStatsD on`;
      case 'EADDRNOTAVAIL': return `cannot send to ${describeDestination(destination)} from here: check the host`;
      default: return message;
    }
  }
  const at = destination.path;
  switch (code) {
    case 'ENOENT': return `there is no socket at ${at}: check the path, and that the Datadog agent runs`;
    case 'ECONNREFUSED': return `nothing is listening on the socket ${at}: check that the Datadog agent runs`;
    case 'EACCES': case 'EPERM': return `snapctl may not write to the socket ${at}: check its permissions (the agent's group)`;
    case 'ENOTSOCK': case 'EPROTOTYPE': return `${at} is not a DogStatsD socket of this kind: check the path (unix:// for the agent's stream socket)`;
    default: return message;
  }
}

/**
 * Which setting a send's failure points at (the popover marks that field), read from the words above, which
 * are the only ones the health file keeps; null when it is not one field's fault.
 */
export function failedSetting(words: string | null): 'host' | 'port' | 'socket' | null {
  if (words === null) return null;
  if (/^(cannot find the host|could not look up the host|cannot reach the host|cannot send to .* check the host)|not sent within .* a host name that does not resolve/.test(words)) return 'host';
  if (/^nothing is listening on (?!the socket)/.test(words)) return 'port';
  if (/^(there is no socket at|nothing is listening on the socket|snapctl may not write to the socket|.* is not a DogStatsD socket)/.test(words)) return 'socket';
  return null;
}

/** The Unix datagram socket's native errors carry the system's sentence only ("No such file or directory"). */
const SYSTEM_MESSAGES: [RegExp, string][] = [
  [/^No such file or directory\b/, 'ENOENT'],
  [/^Connection refused\b/, 'ECONNREFUSED'],
  [/^Permission denied\b/, 'EACCES'],
  [/^Operation not permitted\b/, 'EPERM'],
  [/^Socket operation on non-socket\b/, 'ENOTSOCK'],
  [/^Protocol wrong type for socket\b/, 'EPROTOTYPE'],
];

function codeOfMessage(message: string): string | undefined {
  return SYSTEM_MESSAGES.find(([pattern]) => pattern.test(message))?.[1];
}
