/**
 * Snapshot ids sort by creation time and are safe as file names on every OS:
 * `YYYYMMDD-HHMMSS-xxxxxx` (UTC, then 24 random bits so concurrent creates never collide).
 */
export const ID_PATTERN = /^\d{8}-\d{6}-[0-9a-f]{6}$/;

export const PROVIDER_NAMES = ['clone', 'apfs', 'btrfs', 'zfs'] as const;
export type ProviderName = (typeof PROVIDER_NAMES)[number];

export const TRIGGERS = ['manual', 'schedule', 'git-commit', 'npm-install', 'safety'] as const;
export type Trigger = (typeof TRIGGERS)[number];

/** `ready`: can be rolled back to. `vanished`: the provider no longer has it (e.g. macOS thinned it). */
export const SNAPSHOT_STATES = ['ready', 'vanished'] as const;
export type SnapshotState = (typeof SNAPSHOT_STATES)[number];

export const MAX_TAG_LENGTH = 200;
export const MAX_NOTE_LENGTH = 2000;
const ROLLBACK_KINDS = ['rollback', 'undo'] as const;

export interface SnapshotRecord {
  id: string;
  provider: ProviderName;
  target: string;
  tag: string | null;
  trigger: Trigger;
  /** ISO 8601, UTC. */
  createdAt: string;
  /** Bytes of file content the snapshot holds (what a full copy would take). */
  size: number;
  /** Bytes this snapshot added to the store; the rest is shared with earlier snapshots. */
  addedBytes: number;
  files: number;
  state: SnapshotState;
  /** Provider-specific handle (clone: manifest id; btrfs: subvolume path; zfs: dataset@snap; apfs: name). */
  ref: string;
  /** Where the user asked for it to come from, e.g. the commit or command that triggered it. */
  note: string | null;
}

export interface RollbackRecord {
  at: string;
  target: string;
  /** The snapshot the target was rolled back to. */
  snapshotId: string;
  /** The snapshot of the state just before: undoing the rollback restores it. */
  safetyId: string;
  paths: string[] | null;
  kind: (typeof ROLLBACK_KINDS)[number];
}

export interface StoreFile {
  version: 1;
  snapshots: SnapshotRecord[];
  rollbacks: RollbackRecord[];
}

export function emptyStore(): StoreFile {
  return { version: 1, snapshots: [], rollbacks: [] };
}

/**
 * Tags are free text shown in the UI and CLI. Control characters are refused because they would let a tag
 * rewrite a terminal line or a log; everything else (quotes, `$()`, `;`) is stored as plain text and is
 * never interpreted. Returns what is wrong, or null.
 */
export function tagProblem(tag: string): string | null {
  if (tag.length > MAX_TAG_LENGTH) return `a tag is at most ${MAX_TAG_LENGTH} characters`;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(tag)) return 'a tag cannot hold control characters (newlines, tabs, NUL)';
  return null;
}

/** Free text (a command line, a commit subject) made into a valid tag: control characters become spaces. */
export function toTag(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f]+/g, ' ').slice(0, MAX_TAG_LENGTH);
}

const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

/**
 * Validates the store file on every read. It is on the path of every command (`snapctl list` with 10,000
 * records must start as fast as node), so it is written out by hand instead of with zod, which costs more to
 * load and run than the rest of `list`; test/record-validator.test.ts checks it agrees with a zod schema of
 * the same file on generated inputs. Records missing `note` (older stores) get null. Returns the store, or
 * where and why it is invalid.
 */
export function checkStoreFile(raw: unknown): { ok: true; store: StoreFile } | { ok: false; where: string; why: string } {
  const fail = (where: string, why: string): { ok: false; where: string; why: string } => ({ ok: false, where, why });
  if (!isObject(raw)) return fail('top level', 'expected an object');
  if (raw['version'] !== 1) return fail('version', 'expected 1');
  const { snapshots, rollbacks } = raw;
  if (!Array.isArray(snapshots)) return fail('snapshots', 'expected an array');
  if (!Array.isArray(rollbacks)) return fail('rollbacks', 'expected an array');
  // Most stores are valid as they stand; the check per record, which says where and why, runs only if not.
  if (!allSnapshotsValidAsTheyStand(snapshots)) {
    for (let i = 0; i < snapshots.length; i++) {
      const why = snapshotProblem(snapshots[i]);
      if (why) return fail(`snapshots.${i}.${why[0]}`, why[1]);
    }
  }
  for (let i = 0; i < rollbacks.length; i++) {
    const why = rollbackProblem(rollbacks[i]);
    if (why) return fail(`rollbacks.${i}.${why[0]}`, why[1]);
  }
  for (const key of Object.keys(raw)) if (key !== 'version' && key !== 'snapshots' && key !== 'rollbacks') delete raw[key];
  return { ok: true, store: raw as unknown as StoreFile };
}

const PROVIDER_SET: ReadonlySet<unknown> = new Set(PROVIDER_NAMES);
const TRIGGER_SET: ReadonlySet<unknown> = new Set(TRIGGERS);
const STATE_SET: ReadonlySet<unknown> = new Set(SNAPSHOT_STATES);

const isSnapshotIdValue = (v: unknown): boolean => isString(v) && ID_PATTERN.test(v);
const isProvider = (v: unknown): boolean => PROVIDER_SET.has(v);
const isText = (v: unknown): boolean => isString(v) && v !== '';
const isTagValue = (v: unknown): boolean => v === null || (isString(v) && tagProblem(v) === null);
const isTrigger = (v: unknown): boolean => TRIGGER_SET.has(v);
const isState = (v: unknown): boolean => STATE_SET.has(v);
const isNoteValue = (v: unknown): boolean => v === null || (isString(v) && v.length <= MAX_NOTE_LENGTH);

/** A snapshot record's fields, in the order they are checked (the first that fails is the one reported). */
const SNAPSHOT_FIELDS: readonly (readonly [key: keyof SnapshotRecord, ok: (v: unknown) => boolean, expected: string])[] = [
  ['id', isSnapshotIdValue, 'not a snapshot id'],
  ['provider', isProvider, `one of ${PROVIDER_NAMES.join(', ')}`],
  ['target', isText, 'expected a folder path'],
  ['tag', isTagValue, 'expected null or a tag'],
  ['trigger', isTrigger, `one of ${TRIGGERS.join(', ')}`],
  ['createdAt', isIsoUtc, 'expected an ISO 8601 UTC time'],
  ['size', isCount, 'expected a whole number >= 0'],
  ['addedBytes', isCount, 'expected a whole number >= 0'],
  ['files', isCount, 'expected a whole number >= 0'],
  ['state', isState, `one of ${SNAPSHOT_STATES.join(', ')}`],
  ['ref', isText, 'expected text'],
  ['note', isNoteValue, `expected null or text of at most ${MAX_NOTE_LENGTH} characters`],
];

function snapshotProblem(v: unknown): [string, string] | null {
  if (!isObject(v)) return ['', 'expected an object'];
  if (v['note'] === undefined) v['note'] = null;
  for (const [key, ok, expected] of SNAPSHOT_FIELDS) if (!ok(v[key])) return [key, expected];
  return stripUnknown(v, SNAPSHOT_KEYS);
}

/**
 * True when every record passes `snapshotProblem` without a change (no key to drop, no note to fill in).
 * It checks one field across all records at a time, each in a loop of its own: a fresh process checks
 * 10,000 records once, and a small loop with one known call is optimised within a few hundred records,
 * where the check per record ran mostly unoptimised while V8 compiled it in the background (measured cold,
 * 15 runs each: median 22 ms per record, 16 ms with one loop over SNAPSHOT_FIELDS, 12 ms with these loops).
 * A record with exactly as many keys as known fields, all of them valid, holds no unknown key.
 */
function allSnapshotsValidAsTheyStand(records: unknown[]): boolean {
  for (let i = 0; i < records.length; i++) if (!isObject(records[i])) return false;
  const r = records as Partial<Record<keyof SnapshotRecord, unknown>>[];
  const n = r.length;
  for (let i = 0; i < n; i++) {
    let keys = 0;
    for (const _key in r[i]) keys++;
    if (keys !== SNAPSHOT_FIELDS.length) return false;
  }
  for (let i = 0; i < n; i++) if (!isSnapshotIdValue(r[i]?.id)) return false;
  for (let i = 0; i < n; i++) if (!isProvider(r[i]?.provider)) return false;
  for (let i = 0; i < n; i++) if (!isText(r[i]?.target)) return false;
  for (let i = 0; i < n; i++) if (!isTagValue(r[i]?.tag)) return false;
  for (let i = 0; i < n; i++) if (!isTrigger(r[i]?.trigger)) return false;
  for (let i = 0; i < n; i++) if (!isIsoUtc(r[i]?.createdAt)) return false;
  for (let i = 0; i < n; i++) if (!isCount(r[i]?.size)) return false;
  for (let i = 0; i < n; i++) if (!isCount(r[i]?.addedBytes)) return false;
  for (let i = 0; i < n; i++) if (!isCount(r[i]?.files)) return false;
  for (let i = 0; i < n; i++) if (!isState(r[i]?.state)) return false;
  for (let i = 0; i < n; i++) if (!isText(r[i]?.ref)) return false;
  for (let i = 0; i < n; i++) if (!isNoteValue(r[i]?.note)) return false;
  return true;
}

function rollbackProblem(v: unknown): [string, string] | null {
  if (!isObject(v)) return ['', 'expected an object'];
  if (!isIsoUtc(v['at'])) return ['at', 'expected an ISO 8601 UTC time'];
  if (!isString(v['target']) || v['target'] === '') return ['target', 'expected a folder path'];
  if (!isString(v['snapshotId'])) return ['snapshotId', 'expected text'];
  if (!isString(v['safetyId'])) return ['safetyId', 'expected text'];
  const paths = v['paths'];
  if (paths !== null && (!Array.isArray(paths) || !paths.every(isString))) return ['paths', 'expected null or a list of paths'];
  if (!oneOf(v['kind'], ROLLBACK_KINDS)) return ['kind', 'rollback or undo'];
  return stripUnknown(v, ROLLBACK_KEYS);
}

const SNAPSHOT_KEYS: ReadonlySet<string> = new Set(SNAPSHOT_FIELDS.map(([key]) => key));
const ROLLBACK_KEYS = new Set(['at', 'target', 'snapshotId', 'safetyId', 'paths', 'kind']);

/** Unknown keys are dropped, as a schema with defaults would, so they never round-trip into a rewrite. */
function stripUnknown(v: Record<string, unknown>, keys: ReadonlySet<string>): null {
  // for...in, not Object.keys: no array per record (4 ms on 10,000). JSON.parse makes plain objects only.
  for (const key in v) if (!keys.has(key)) delete v[key];
  return null;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
function isString(v: unknown): v is string {
  return typeof v === 'string';
}
function isCount(v: unknown): boolean {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}
function oneOf<T extends string>(v: unknown, options: readonly T[]): v is T {
  return typeof v === 'string' && (options as readonly string[]).includes(v);
}
/**
 * The calendar is checked by hand (month lengths, leap years, 00-23:59:59): Date.parse took a third of the
 * check of 10,000 records, and accepts times such as 24:00 that the store never holds.
 */
function isIsoUtc(v: unknown): boolean {
  if (typeof v !== 'string' || !ISO_UTC.test(v)) return false;
  const year = twoDigits(v, 0) * 100 + twoDigits(v, 2);
  const month = twoDigits(v, 5);
  const day = twoDigits(v, 8);
  if (month < 1 || month > 12 || day < 1 || twoDigits(v, 11) > 23 || twoDigits(v, 14) > 59 || twoDigits(v, 17) > 59) return false;
  return day <= daysInMonth(year, month);
}

/** The number in two ASCII digits at `at` (already matched by a pattern); not a closure made per call. */
function twoDigits(s: string, at: number): number {
  return (s.charCodeAt(at) - 48) * 10 + (s.charCodeAt(at + 1) - 48);
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}
