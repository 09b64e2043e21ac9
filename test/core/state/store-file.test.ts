import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { z } from 'zod';
import { checkStoreFile } from '../../../src/core/state/store-file.js';
import { isIsoUtc } from '../../../src/core/base/checks.js';
import { ID_PATTERN, MAX_TAG_LENGTH, PROVIDER_NAMES, SNAPSHOT_STATES, TRIGGERS } from '../../../src/shared/model.js';

// The store file's schema, stated with zod: the specification the hand-written checker (fast enough for
// every command's start-up) must agree with.
const tag = z.string().max(MAX_TAG_LENGTH).refine((t) => !/[\u0000-\u001f\u007f]/.test(t)); // eslint-disable-line no-control-regex
const snapshot = z.object({
  id: z.string().regex(ID_PATTERN), provider: z.enum(PROVIDER_NAMES), target: z.string().min(1), tag: tag.nullable(),
  trigger: z.enum(TRIGGERS), createdAt: z.iso.datetime(), size: z.number().int().nonnegative(), addedBytes: z.number().int().nonnegative(),
  files: z.number().int().nonnegative(), state: z.enum(SNAPSHOT_STATES), ref: z.string().min(1), note: z.string().max(2000).nullable().default(null),
  excluded: z.object({ patterns: z.array(z.string()), cacheDirs: z.array(z.string()) }).optional(),
});
const rollback = z.object({
  at: z.iso.datetime(), target: z.string().min(1), snapshotId: z.string(), safetyId: z.string(),
  paths: z.array(z.string()).nullable(), kind: z.enum(['rollback', 'undo']),
});
const storeSchema = z.object({ version: z.literal(1), snapshots: z.array(snapshot), rollbacks: z.array(rollback) });

const validRecord = fc.record({
  id: fc.tuple(fc.integer({ min: 20200101, max: 20991231 }), fc.integer({ min: 0, max: 235959 }), fc.integer({ min: 0, max: 0xffffff }))
    .map(([d, t, r]) => `${d}-${String(t).padStart(6, '0')}-${r.toString(16).padStart(6, '0')}`),
  provider: fc.constantFrom(...PROVIDER_NAMES),
  target: fc.string({ minLength: 1 }),
  tag: fc.option(fc.string({ maxLength: 30 }), { nil: null }),
  trigger: fc.constantFrom(...TRIGGERS),
  createdAt: fc.date({ min: new Date('2000-01-01'), max: new Date('2100-01-01'), noInvalidDate: true }).map((d) => d.toISOString()),
  size: fc.nat(), addedBytes: fc.nat(), files: fc.nat(),
  state: fc.constantFrom(...SNAPSHOT_STATES),
  ref: fc.string({ minLength: 1 }),
  note: fc.option(fc.string({ maxLength: 30 }), { nil: null }),
  excluded: fc.record({ patterns: fc.array(fc.string({ maxLength: 10 }), { maxLength: 2 }), cacheDirs: fc.array(fc.string({ maxLength: 10 }), { maxLength: 2 }) }),
}, { requiredKeys: ['id', 'provider', 'target', 'tag', 'trigger', 'createdAt', 'size', 'addedBytes', 'files', 'state', 'ref', 'note'] });

/** A field replaced by something plausible and often wrong: other types, edge strings, odd numbers. */
const junk = fc.oneof(
  fc.constant(undefined), fc.constant(null), fc.constant(''), fc.constant(-1), fc.constant(1.5), fc.constant(Number.MAX_SAFE_INTEGER + 2),
  fc.constant('2026-11-25T10:00:00+01:00'), fc.constant('2026-11-25T10:00Z'), fc.constant('2026-11-25 10:00:00Z'), fc.constant('2026-13-45T10:00:00Z'), fc.constant('2025-02-29T10:00:00Z'), fc.constant('2024-02-29T10:00:00Z'), fc.constant('2100-02-29T00:00:00Z'), fc.constant('2000-02-29T00:00:00.5Z'),
  fc.constant('2026-04-31T10:00:00Z'), fc.constant('2026-11-25T24:00:00Z'), fc.constant('2026-11-25T23:60:00Z'), fc.constant('2026-11-25T23:59:60Z'), fc.constant('2026-00-10T10:00:00Z'),
  fc.constant('20261125-100000-abcdef'), fc.constant('20261125-100000-ABCDEF'), fc.constant('tag\nwith newline'), fc.constant('x'.repeat(201)),
  fc.constant([]), fc.constant({}), fc.constant(['a', 1]), fc.string(), fc.integer(), fc.boolean(),
);

const mutated = fc.tuple(validRecord, fc.constantFrom(...Object.keys(snapshot.shape), 'extra'), junk).map(([r, key, value]) => {
  const copy: Record<string, unknown> = { ...r };
  if (value === undefined) delete copy[key]; else copy[key] = value;
  return copy;
});

describe('store file checker', () => {
  test('accepts and rejects exactly what the zod schema does, and returns the same data', () => {
    fc.assert(fc.property(fc.array(fc.oneof(validRecord, mutated), { maxLength: 4 }), fc.option(fc.constant('extra'), { nil: undefined }), (records, extra) => {
      const raw = { version: 1, snapshots: records, rollbacks: [], ...(extra ? { extra: 1 } : {}) };
      const spec = storeSchema.safeParse(structuredClone(raw));
      const mine = checkStoreFile(structuredClone(raw));
      assert.equal(mine.ok, spec.success, `zod ${spec.success ? 'accepts' : 'rejects'} ${JSON.stringify(raw).slice(0, 300)}; checker says ${JSON.stringify(mine).slice(0, 200)}`);
      if (mine.ok && spec.success) assert.deepEqual(mine.store, spec.data);
    }), { numRuns: 3000 });
  });

  test('rollback records too', () => {
    const validRollback = fc.record({
      at: fc.date({ min: new Date('2000-01-01'), max: new Date('2100-01-01'), noInvalidDate: true }).map((d) => d.toISOString()),
      target: fc.string({ minLength: 1 }), snapshotId: fc.string(), safetyId: fc.string(),
      paths: fc.option(fc.array(fc.string(), { maxLength: 3 }), { nil: null }), kind: fc.constantFrom('rollback', 'undo'),
    });
    const broken = fc.tuple(validRollback, fc.constantFrom('at', 'target', 'snapshotId', 'safetyId', 'paths', 'kind'), junk).map(([r, key, value]) => {
      const copy: Record<string, unknown> = { ...r };
      if (value === undefined) delete copy[key]; else copy[key] = value;
      return copy;
    });
    fc.assert(fc.property(fc.array(fc.oneof(validRollback, broken), { maxLength: 3 }), (rollbacks) => {
      const raw = { version: 1, snapshots: [], rollbacks };
      const spec = storeSchema.safeParse(structuredClone(raw));
      const mine = checkStoreFile(structuredClone(raw));
      assert.equal(mine.ok, spec.success, JSON.stringify(raw).slice(0, 300));
      if (mine.ok && spec.success) assert.deepEqual(mine.store, spec.data);
    }), { numRuns: 2000 });
  });

  // Read character by character (a regular expression and a Date per record was a third of list's check):
  // held to zod's iso.datetime on every year from 0000 to 9999, leap days, fractions and near misses.
  test('an ISO time is what zod calls one, on any year', () => {
    const digits = (n: number, width: number): string => String(n).padStart(width, '0');
    const near = fc.tuple(
      fc.integer({ min: 0, max: 9999 }), fc.integer({ min: 0, max: 13 }), fc.integer({ min: 0, max: 32 }),
      fc.integer({ min: 0, max: 25 }), fc.integer({ min: 0, max: 61 }), fc.integer({ min: 0, max: 61 }),
      fc.option(fc.stringMatching(/^[0-9]{0,9}$/), { nil: undefined }), fc.constantFrom('Z', 'z', '+00:00', ''), fc.constantFrom('T', ' ', 't'),
    ).map(([y, mo, d, h, mi, s, frac, zone, t]) => `${digits(y, 4)}-${digits(mo, 2)}-${digits(d, 2)}${t}${digits(h, 2)}:${digits(mi, 2)}:${digits(s, 2)}${frac === undefined ? '' : `.${frac}`}${zone}`);
    const spec = z.iso.datetime();
    fc.assert(fc.property(fc.oneof(near, fc.string(), fc.date({ noInvalidDate: true, min: new Date('0000-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59Z') }).map((d) => d.toISOString())), (text) => {
      assert.equal(isIsoUtc(text), spec.safeParse(text).success, text);
    }), { numRuns: 20_000 });
    for (const text of ['0050-01-01T00:00:00Z', '0000-02-29T00:00:00Z', '1600-02-29T12:00:00.5Z']) assert.equal(isIsoUtc(text), true, text);
    for (const text of ['1900-02-29T00:00:00Z', '2026-04-31T00:00:00Z', '2026-01-01T00:00:00.Z', '2026-01-01T00:00:00']) assert.equal(isIsoUtc(text), false, text);
  });

  test('the reason names the field', () => {
    const r = checkStoreFile({ version: 1, snapshots: [{ id: 'nope' }], rollbacks: [] });
    assert.deepEqual(r, { ok: false, where: 'snapshots.0.id', why: 'not a snapshot id' });
  });
});
