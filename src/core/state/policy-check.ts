import { readFile } from 'node:fs/promises';
import { DEFAULT_RETENTION, MIN_STORE_LIMIT, type RetentionPolicy } from '../../shared/defaults.js';
import { MAX_PATTERNS, excludePatternProblem } from '../tree/excludes.js';
import { FLOOR_PERCENT, type FloorSetting } from './floor-setting.js';

/** What the service applies of one folder's settings (see FolderPolicy). */
export interface CheckedPolicy {
  excludes: string[];
  floor: FloorSetting;
  maxStoreBytes: number | null;
  retention: RetentionPolicy;
}

const RETENTION_KEYS = ['hourly', 'daily', 'weekly', 'monthly', 'manual', 'safety', 'preOperation'] as const;
const AT_LEAST_ONE = new Set(['manual', 'safety', 'preOperation']);

function isCount(v: unknown, min: number): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= min && v <= 10_000;
}

/**
 * A folder's policy from the settings file, checked by hand with the settings schema's rules for these fields:
 * every snapshot reads it, and zod (tens of ms to load) is kept off that path, as for the metrics settings.
 * Null when the file cannot be read this way (not JSON, a field invalid): the caller then loads the settings
 * with their schema, which says what is wrong. No file: the defaults.
 */
export async function peekPolicy(settingsFile: string, target: string): Promise<CheckedPolicy | null> {
  const text = await readFile(settingsFile, 'utf8').catch(() => null);
  const defaults: CheckedPolicy = { excludes: [], floor: null, maxStoreBytes: null, retention: DEFAULT_RETENTION };
  if (text === null) return defaults;
  let raw: unknown;
  try { raw = JSON.parse(text); } catch { return null; }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return null;
  const top = new Map<string, unknown>(Object.entries(raw));
  const floor = top.get('freeSpaceFloor') ?? null;
  if (floor !== null && !(typeof floor === 'number' && Number.isSafeInteger(floor) && floor >= 0) && !(typeof floor === 'string' && FLOOR_PERCENT.test(floor))) return null;
  const targets = top.get('targets') ?? [];
  if (!Array.isArray(targets)) return null;
  const entry: unknown = targets.find((t: unknown) => typeof t === 'object' && t !== null && (t as { path?: unknown }).path === target);
  if (entry === undefined) return { ...defaults, floor: floor as FloorSetting };
  const fields = new Map<string, unknown>(Object.entries(entry as object));
  const excludes = fields.get('excludes') ?? [];
  if (!Array.isArray(excludes) || excludes.length > MAX_PATTERNS || !excludes.every((p) => typeof p === 'string' && excludePatternProblem(p) === null)) return null;
  const max = fields.get('maxStoreBytes') ?? null;
  if (max !== null && !(typeof max === 'number' && Number.isSafeInteger(max) && max >= MIN_STORE_LIMIT)) return null;
  const r = fields.get('retention');
  let retention = DEFAULT_RETENTION;
  if (r !== undefined) {
    if (typeof r !== 'object' || r === null) return null;
    const counts = new Map<string, unknown>(Object.entries(r));
    if (!RETENTION_KEYS.every((k) => isCount(counts.get(k), AT_LEAST_ONE.has(k) ? 1 : 0))) return null;
    retention = Object.fromEntries(RETENTION_KEYS.map((k) => [k, counts.get(k)])) as unknown as RetentionPolicy;
  }
  return { excludes: excludes as string[], floor: floor as FloorSetting, maxStoreBytes: max as number | null, retention };
}
