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

/** Days in each month of a common year. */
const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** The number the `length` decimal digits of `s` at `at` spell, or -1 if any is not a digit. */
function digitsAt(s: string, at: number, length: number): number {
  let n = 0;
  for (let i = at; i < at + length; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

/**
 * An ISO 8601 UTC time (`YYYY-MM-DDTHH:MM:SS[.fraction]Z`) with a real calendar date (proleptic Gregorian,
 * as zod's iso.datetime) and a time from 00:00:00 to 23:59:59. Read character by character: a regular
 * expression with captures and a Date per record was a third of `list`'s check of 10,000 records
 * (bench/README.md, "Forms the code keeps").
 */
export function isIsoUtc(v: unknown): boolean {
  if (typeof v !== 'string' || v.length < 20 || v.length === 21) return false;
  if (v.charCodeAt(4) !== 45 || v.charCodeAt(7) !== 45 || v.charCodeAt(10) !== 84 || v.charCodeAt(13) !== 58 || v.charCodeAt(16) !== 58 || v.charCodeAt(v.length - 1) !== 90) return false;
  if (v.length > 20 && (v.charCodeAt(19) !== 46 || digitsAt(v, 20, v.length - 21) < 0)) return false;
  const year = digitsAt(v, 0, 4);
  const month = digitsAt(v, 5, 2);
  const day = digitsAt(v, 8, 2);
  const hour = digitsAt(v, 11, 2);
  const minute = digitsAt(v, 14, 2);
  const second = digitsAt(v, 17, 2);
  if (year < 0 || month < 1 || month > 12 || day < 1 || hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59) return false;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return day <= (month === 2 && leap ? 29 : MONTH_DAYS[month - 1] as number);
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
