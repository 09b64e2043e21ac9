import type { CreateProgress, Trigger } from './model.js';

/**
 * The running app's local socket (see core/state/app-socket.ts for where it is): newline-delimited JSON, each
 * request carrying an id its answers repeat, so one connection may carry several. The first request of a
 * connection is `hello`, which names the state folder and the version the CLI runs: an app for another state
 * folder, or of another version, refuses it and the CLI does the work itself.
 *
 * Every other request is an API call (`ApiRequests` in api.ts), validated with the same schemas as HTTP.
 */
export const APP_SOCKET_PROTOCOL = 1;

/** A request line longer than this is refused and its connection closed (HTTP's body cap). */
export const APP_SOCKET_MAX_LINE = 1024 * 1024;

export interface AppHello { method: 'hello'; id: number; home: string; version: string; protocol: number }

export interface AppCall { id: number; method: string; params?: unknown; progress?: boolean }

export interface AppHelloAnswer { home: string; version: string; protocol: number; pid: number }

/** A failure as the core threw it, so the CLI throws the same error (kind, message, hint, errno code). */
export interface AppError {
  kind: string;
  message: string;
  hint?: string;
  /** The errno code of a system error (ENOSPC…), whose hint the CLI words itself. */
  code?: string;
  /** Thrown as a SnapctlError (else a plain Error, as the core threw it). */
  snapctl: boolean;
}

export type AppAnswer =
  /** How far a snapshot this request takes has got (sent only when the request asked for progress). */
  | { id: number; event: { trigger: Trigger; progress: CreateProgress } }
  | { id: number; ok: true; value: unknown; notices: string[] }
  /**
   * `refused`: the request never reached the core (malformed, too large, an unknown method, invalid params,
   * another state folder or version), so the CLI may do the work itself; without it the core failed.
   */
  | { id: number | null; ok: false; error: AppError; refused?: boolean; notices: string[] };
