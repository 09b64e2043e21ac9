import { z } from 'zod';
import type { RollbackRecord, SnapshotRecord } from '../core/records.js';

/**
 * The one API contract between the popover and the core, whichever way it travels: Electron IPC (preload
 * → main) or HTTP (browser → `snapctl serve`). Every request is validated against these schemas on the
 * trusted side; nothing from the renderer is trusted.
 */
const id = z.string().regex(/^\d{8}-\d{6}-[0-9a-f]{6}$/, 'not a snapshot id');
const relPath = z.string().min(1).max(4096).refine((p) => !p.includes('\0') && !p.startsWith('/') && !p.split('/').some((s) => s === '..' || s === '.' || s === ''), 'must be a path inside the folder, without .. segments');
const absFolder = z.string().min(1).max(4096).refine((p) => p.startsWith('/') && !p.includes('\0'), 'must be an absolute folder path');

export const apiRequestSchemas = {
  status: z.object({}).strict(),
  list: z.object({}).strict(),
  create: z.object({ target: absFolder.optional(), tag: z.string().max(200).nullable().optional() }).strict(),
  delete: z.object({ id }).strict(),
  diff: z.object({ id, paths: z.array(relPath).max(1000).nullable().optional() }).strict(),
  rollback: z.object({ id, paths: z.array(relPath).max(1000).nullable().optional() }).strict(),
  undo: z.object({ target: absFolder.optional() }).strict(),
  getSettings: z.object({}).strict(),
  setSettings: z.object({ settings: z.unknown() }).strict(),
  setPaused: z.object({ paused: z.boolean() }).strict(),
} as const;

export type ApiMethod = keyof typeof apiRequestSchemas;
export const API_METHODS = Object.keys(apiRequestSchemas) as ApiMethod[];
export type ApiRequest<M extends ApiMethod> = z.infer<(typeof apiRequestSchemas)[M]>;

export interface DiffView { added: string[]; removed: string[]; modified: string[] }

export interface RollbackView {
  snapshot: SnapshotRecord;
  safety: SnapshotRecord;
  restored: { written: number; removed: number; unchanged: number };
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

export interface ApiResponses {
  status: StatusView;
  list: SnapshotRecord[];
  create: SnapshotRecord;
  delete: SnapshotRecord;
  diff: DiffView;
  rollback: RollbackView;
  undo: RollbackView;
  getSettings: SettingsView;
  setSettings: SettingsView;
  setPaused: StatusView;
}

/** What every transport returns: a result, or an error a user can read. */
export type ApiResult<M extends ApiMethod> = { ok: true; value: ApiResponses[M] } | { ok: false; error: string; kind: string };

/** The function the preload exposes and the HTTP client implements. */
export type ApiCall = <M extends ApiMethod>(method: M, params: ApiRequest<M>) => Promise<ApiResult<M>>;

export const IPC_CHANNEL = 'snapctl:call';
export const HTTP_API_PATH = '/api/call';
export const TOKEN_COOKIE = 'snapctl_token';

export type { SnapshotRecord, RollbackRecord };
