import {
  ID_PATTERN, MAX_NOTE_LENGTH, PROVIDER_NAMES, ROLLBACK_KINDS, SNAPSHOT_STATES, TRIGGERS, tagProblem,
  type RollbackRecord, type SnapshotRecord, type StoreFile,
} from '../../shared/model.js';
import { isCount, isIsoUtc, isObject, isString, firstProblem, recordShape, stripUnknown } from '../base/checks.js';

export type StoreCheck = { ok: true; store: StoreFile } | { ok: false; where: string; why: string };

/**
 * Validates the store file on every read. It is on the path of every command (`snapctl list` with 10,000
 * records must start within 2x node: bench/README.md), so it is written by hand instead of with zod, which
 * costs more to load and run than the rest of `list`; test/core/state/store-file.test.ts checks it agrees
 * with a zod schema of the same file on generated inputs. Records missing `note` (older stores) get null.
 */
export function checkStoreFile(raw: unknown): StoreCheck {
  const fail = (where: string, why: string): StoreCheck => ({ ok: false, where, why });
  if (!isObject(raw)) return fail('top level', 'expected an object');
  if (raw['version'] !== 1) return fail('version', 'expected 1');
  const { snapshots, rollbacks } = raw;
  if (!Array.isArray(snapshots)) return fail('snapshots', 'expected an array');
  if (!Array.isArray(rollbacks)) return fail('rollbacks', 'expected an array');
  for (let i = 0; i < snapshots.length; i++) {
    const record: unknown = snapshots[i];
    if (isObject(record) && record['note'] === undefined) record['note'] = null;
    if (isObject(record) && isSnapshotRecord(record)) { stripUnknown(record, SNAPSHOT_FIELDS.keys); continue; }
    const why = firstProblem(record, SNAPSHOT_FIELDS);
    if (why) return fail(`snapshots.${i}.${why[0]}`, why[1]);
  }
  for (let i = 0; i < rollbacks.length; i++) {
    const why = firstProblem(rollbacks[i], ROLLBACK_FIELDS);
    if (why) return fail(`rollbacks.${i}.${why[0]}`, why[1]);
  }
  if (raw['generation'] !== undefined && !isCount(raw['generation'])) return fail('generation', 'expected a whole number >= 0');
  stripUnknown(raw, new Set(['version', 'snapshots', 'rollbacks', 'generation']));
  return { ok: true, store: raw as unknown as StoreFile };
}

const oneOf = (options: readonly string[]): ((v: unknown) => boolean) => (v) => isString(v) && options.includes(v);
const isText = (v: unknown): boolean => isString(v) && v !== '';

const SNAPSHOT_FIELDS = recordShape<keyof SnapshotRecord>([
  ['id', (v) => isString(v) && ID_PATTERN.test(v), 'not a snapshot id'],
  ['provider', oneOf(PROVIDER_NAMES), `one of ${PROVIDER_NAMES.join(', ')}`],
  ['target', isText, 'expected a folder path'],
  ['tag', (v) => v === null || (isString(v) && tagProblem(v) === null), 'expected null or a tag'],
  ['trigger', oneOf(TRIGGERS), `one of ${TRIGGERS.join(', ')}`],
  ['createdAt', isIsoUtc, 'expected an ISO 8601 UTC time'],
  ['size', isCount, 'expected a whole number >= 0'],
  ['addedBytes', isCount, 'expected a whole number >= 0'],
  ['files', isCount, 'expected a whole number >= 0'],
  ['state', oneOf(SNAPSHOT_STATES), `one of ${SNAPSHOT_STATES.join(', ')}`],
  ['ref', isText, 'expected text'],
  ['note', (v) => v === null || (isString(v) && v.length <= MAX_NOTE_LENGTH), `expected null or text of at most ${MAX_NOTE_LENGTH} characters`],
  ['excluded', (v) => v === undefined || isExclusions(v), 'expected the patterns and cache folders it left out'],
]);

/**
 * SNAPSHOT_FIELDS as one function, for the records that pass (all of them, almost always); the table names the
 * field when one fails. A call per field through the table ran cold in a fresh process: the largest part of
 * `list`'s check of 10,000 records (bench/README.md, "Forms the code keeps"). The store-file test holds both to zod.
 */
function isSnapshotRecord(r: Record<string, unknown>): boolean {
  const { id, provider, target, tag, trigger, createdAt, size, addedBytes, files, state, ref, note, excluded } = r;
  return typeof id === 'string' && ID_PATTERN.test(id)
    && typeof provider === 'string' && (PROVIDER_NAMES as readonly string[]).includes(provider)
    && typeof target === 'string' && target !== ''
    && (tag === null || (typeof tag === 'string' && tagProblem(tag) === null))
    && typeof trigger === 'string' && (TRIGGERS as readonly string[]).includes(trigger)
    && isIsoUtc(createdAt) && isCount(size) && isCount(addedBytes) && isCount(files)
    && typeof state === 'string' && (SNAPSHOT_STATES as readonly string[]).includes(state)
    && typeof ref === 'string' && ref !== ''
    && (note === null || (typeof note === 'string' && note.length <= MAX_NOTE_LENGTH))
    && (excluded === undefined || isExclusions(excluded));
}

const isStrings = (v: unknown): boolean => Array.isArray(v) && v.every(isString);

function isExclusions(v: unknown): boolean {
  if (!isObject(v) || !isStrings(v['patterns']) || !isStrings(v['cacheDirs'])) return false;
  stripUnknown(v, EXCLUSION_KEYS);
  return true;
}
const EXCLUSION_KEYS = new Set(['patterns', 'cacheDirs']);

const ROLLBACK_FIELDS = recordShape<keyof RollbackRecord>([
  ['at', isIsoUtc, 'expected an ISO 8601 UTC time'],
  ['target', isText, 'expected a folder path'],
  ['snapshotId', isString, 'expected text'],
  ['safetyId', isString, 'expected text'],
  ['paths', (v) => v === null || (Array.isArray(v) && v.every(isString)), 'expected null or a list of paths'],
  ['kind', oneOf(ROLLBACK_KINDS), 'rollback or undo'],
  ['keepGit', (v) => v === undefined || typeof v === 'boolean', 'true or false'],
  ['folderMade', (v) => v === undefined || typeof v === 'boolean', 'true or false'],
]);
