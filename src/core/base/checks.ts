/**
 * The checks of JSON read back from disk (store, manifests, journal). These files are read on every command,
 * so they are checked by hand rather than by loading zod; each checker's test states the same file with zod
 * and compares the two on generated inputs.
 */

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function isString(v: unknown): v is string {
  return typeof v === 'string';
}

export function isCount(v: unknown): boolean {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

const ISO_UTC = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?Z$/;

/** An ISO 8601 UTC time with a real calendar date and a time from 00:00:00 to 23:59:59. */
export function isIsoUtc(v: unknown): boolean {
  const m = typeof v === 'string' ? ISO_UTC.exec(v) : null;
  if (!m) return false;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  if (hour > 23 || minute > 59 || second > 59) return false;
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

/** One field of a record: its key, its check, and what was expected when the check fails. */
export type FieldCheck<K extends string> = readonly [key: K, ok: (v: unknown) => boolean, expected: string];

/** A record's fields in the order they are checked (the first that fails is the one reported). */
export interface RecordShape {
  fields: readonly FieldCheck<string>[];
  keys: ReadonlySet<string>;
}

export function recordShape<K extends string>(fields: readonly FieldCheck<K>[]): RecordShape {
  return { fields, keys: new Set(fields.map(([key]) => key)) };
}

/**
 * The first field of `v` that fails its check, as [key, expected] (['', 'expected an object'] when `v` is no
 * object), or null when all pass; then keys the shape does not name are deleted.
 */
export function firstProblem(v: unknown, shape: RecordShape): [string, string] | null {
  if (!isObject(v)) return ['', 'expected an object'];
  for (const [key, ok, expected] of shape.fields) if (!ok(v[key])) return [key, expected];
  stripUnknown(v, shape.keys);
  return null;
}

/** Unknown keys are dropped, as a schema would, so they never round-trip into a rewrite. */
export function stripUnknown(v: Record<string, unknown>, keys: ReadonlySet<string>): void {
  for (const key in v) if (!keys.has(key)) delete v[key];
}
