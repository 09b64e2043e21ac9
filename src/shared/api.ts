import type { RestoreResult, RollbackRecord, SnapshotRecord } from './model.js';

/**
 * The one API contract between the popover and the core, whichever way it travels: Electron IPC (preload
 * → main) or HTTP (browser → `snapctl serve`). Every request is validated against these schemas on the
 * trusted side; nothing from the renderer is trusted.
 */
/** The methods and the shape of their params; `api-schemas.ts` holds the validators that enforce them. */
export interface ApiRequests {
  status: Record<string, never>;
  list: Record<string, never>;
  create: { target?: string; tag?: string | null };
  delete: { id: string };
  diff: { id: string; paths?: string[] | null };
  rollback: { id: string; paths?: string[] | null };
  undo: { target?: string };
  getSettings: Record<string, never>;
  setSettings: { settings: unknown };
  setPaused: { paused: boolean };
  detect: { path: string };
}
export type ApiMethod = keyof ApiRequests;
export type ApiRequest<M extends ApiMethod> = ApiRequests[M];

export interface DiffView { added: string[]; removed: string[]; modified: string[] }

export interface RollbackView {
  snapshot: SnapshotRecord;
  safety: SnapshotRecord;
  restored: RestoreResult;
  paths: string[] | null;
}

export interface TargetStatus {
  path: string;
  schedule: string;
  provider: SnapshotRecord['provider'];
  paused: boolean;
  /** ISO time of the next scheduled snapshot, null when paused or unscheduled. */
  nextRun: string | null;
}

export interface StatusView {
  version: string;
  home: string;
  targets: TargetStatus[];
  schedulePaused: boolean;
  /** Failures a user should know about, newest last, each saying what to do. */
  problems: string[];
  lastRollback: RollbackRecord | null;
  metrics: { enabled: boolean; sendErrors: number; lastError: string | null };
  /** Where the popover runs: in the tray app, or served headless. */
  host: 'electron' | 'headless';
  onboarded: boolean;
}

/** Settings as the popover edits them; validated by the core's settings schema on save. */
export interface SettingsView {
  version: 1;
  targets: {
    path: string;
    schedule: string;
    provider: SnapshotRecord['provider'];
    retention: { hourly: number; daily: number; weekly: number; monthly: number; manual: number; safety: number; preOperation: number };
    paused: boolean;
  }[];
  statsd: { enabled: boolean; host: string; port: number; socket: string | null };
  launchAtLogin: boolean;
  schedulePaused: boolean;
  onboarded: boolean;
}

/** Which provider snapctl would use for a folder, and every provider's reason (first run, settings). */
export interface DetectView {
  target: string;
  chosen: SnapshotRecord['provider'];
  reports: { name: SnapshotRecord['provider']; usable: boolean; reason: string }[];
}

export interface ApiResponses {
  status: StatusView;
  list: SnapshotRecord[];
  /** The new record, with the paths it could not keep as they were (unreadable, changing, sockets). */
  create: SnapshotRecord & { problems: { path: string; reason: string }[] };
  delete: SnapshotRecord;
  diff: DiffView;
  rollback: RollbackView;
  undo: RollbackView;
  getSettings: SettingsView;
  setSettings: SettingsView;
  setPaused: StatusView;
  detect: DetectView;
}

/** What every transport returns: a result, or an error a user can read. */
export type ApiResult<M extends ApiMethod> = { ok: true; value: ApiResponses[M] } | { ok: false; error: string; kind: string };

/** The function the preload exposes and the HTTP client implements. */
export type ApiCall = <M extends ApiMethod>(method: M, params: ApiRequest<M>) => Promise<ApiResult<M>>;

export const IPC_CHANNEL = 'snapctl:call';
export const HTTP_API_PATH = '/api/call';
export const TOKEN_COOKIE = 'snapctl_token';

export type { SnapshotRecord, RollbackRecord };
