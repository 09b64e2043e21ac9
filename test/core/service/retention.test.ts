import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { TRIGGERS } from '../../../src/shared/model.js';
import { periodKey, planRetention, retentionClass, type RetainedSnapshot, type RetentionPolicy } from '../../../src/core/service/retention.js';

const NOW = new Date('2026-11-24T12:00:00Z');
const YEAR_MS = 365 * 24 * 3600 * 1000;

const snapshotArb = fc.record({
  id: fc.stringMatching(/^[0-9]{8}-[0-9]{6}-[0-9a-f]{6}$/),
  createdAt: fc.integer({ min: NOW.getTime() - 2 * YEAR_MS, max: NOW.getTime() }).map((t) => new Date(t).toISOString()),
  trigger: fc.constantFrom(...TRIGGERS),
  tag: fc.option(fc.string({ maxLength: 10 }), { nil: null }),
});
const snapshotsArb = fc.uniqueArray(snapshotArb, { selector: (s) => s.id, maxLength: 120 });
const policyArb = fc.record({
  hourly: fc.nat(30), daily: fc.nat(14), weekly: fc.nat(8), monthly: fc.nat(12),
  manual: fc.integer({ min: 1, max: 20 }), safety: fc.integer({ min: 1, max: 20 }), preOperation: fc.integer({ min: 1, max: 20 }),
});

const newest = (list: RetainedSnapshot[]): RetainedSnapshot | undefined =>
  [...list].sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : a.id < b.id ? 1 : -1))[0];

describe('retention is a pure function from (snapshots, policy, now) to (keep, drop)', () => {
  test('keep and drop split the input exactly', () => {
    fc.assert(fc.property(snapshotsArb, policyArb, (snaps, policy) => {
      const plan = planRetention(snaps, policy, NOW);
      assert.equal(plan.keep.length + plan.drop.length, snaps.length);
      assert.deepEqual(new Set([...plan.keep, ...plan.drop]), new Set(snaps.map((s) => s.id)));
    }));
  });

  test('never drops the newest snapshot, overall or of any class', () => {
    fc.assert(fc.property(snapshotsArb, policyArb, (snaps, policy) => {
      const { keep } = planRetention(snaps, policy, NOW);
      const top = newest(snaps);
      if (top) assert.ok(keep.includes(top.id));
      for (const cls of ['timeline', 'manual', 'safety', 'preOperation'] as const) {
        const n = newest(snaps.filter((s) => retentionClass(s) === cls));
        if (n) assert.ok(keep.includes(n.id), `newest ${cls} dropped`);
      }
    }));
  });

  test('is idempotent: planning again on what was kept drops nothing', () => {
    fc.assert(fc.property(snapshotsArb, policyArb, (snaps, policy) => {
      const first = planRetention(snaps, policy, NOW);
      const kept = snaps.filter((s) => first.keep.includes(s.id));
      assert.deepEqual(planRetention(kept, policy, NOW).drop, []);
    }));
  });

  test('respects every bucket: one snapshot kept in each of the N most recent periods that have one', () => {
    fc.assert(fc.property(snapshotsArb, policyArb, (snaps, policy) => {
      const { keep } = planRetention(snaps, policy, NOW);
      const timeline = snaps.filter((s) => retentionClass(s) === 'timeline');
      for (const bucket of ['hourly', 'daily', 'weekly', 'monthly'] as const) {
        const periods = [...new Set(timeline.map((s) => periodKey(bucket, new Date(s.createdAt))))].sort().reverse().slice(0, policy[bucket]);
        for (const period of periods) {
          assert.ok(timeline.some((s) => keep.includes(s.id) && periodKey(bucket, new Date(s.createdAt)) === period), `${bucket} ${period} has no kept snapshot`);
        }
      }
    }));
  });

  test('manual, safety and pre-operation snapshots keep their own newest N and the timeline never removes them', () => {
    fc.assert(fc.property(snapshotsArb, policyArb, (snaps, policy: RetentionPolicy) => {
      const { keep } = planRetention(snaps, { ...policy, hourly: 0, daily: 0, weekly: 0, monthly: 0 }, NOW);
      for (const cls of ['manual', 'safety', 'preOperation'] as const) {
        const members = snaps.filter((s) => retentionClass(s) === cls);
        const kept = members.filter((s) => keep.includes(s.id)).length;
        assert.equal(kept, Math.min(members.length, policy[cls]), cls);
      }
    }));
  });

  test('a concrete timeline: 72 hourly snapshots with hourly=24, daily=7 keep 24 hours plus one per earlier day', () => {
    const snaps: RetainedSnapshot[] = Array.from({ length: 72 }, (_, i) => ({
      id: `20261124-${String(i).padStart(6, '0')}-aaaaaa`,
      createdAt: new Date(NOW.getTime() - i * 3600_000).toISOString(),
      trigger: 'schedule',
      tag: null,
    }));
    const plan = planRetention(snaps, { hourly: 24, daily: 7, weekly: 0, monthly: 0, manual: 1, safety: 1, preOperation: 1 }, NOW);
    // 24 newest hours (back to the 23rd 13:00 UTC), whose newest already stand for the 24th and the 23rd,
    // plus the newest (23:00) of the 22nd and of the 21st.
    assert.equal(plan.keep.length, 24 + 2);
    assert.ok(plan.keep.includes(snaps[13 + 24]!.id) && plan.keep.includes(snaps[13 + 48]!.id), 'the 23:00 snapshots of the 22nd and 21st');
    assert.equal(plan.drop.length, 72 - 26);
  });

  test('snapshots dated in the future (a clock that jumped) are kept', () => {
    const future = { id: '20300101-000000-abcdef', createdAt: '2030-01-01T00:00:00.000Z', trigger: 'schedule' as const, tag: null };
    const plan = planRetention([future], { hourly: 0, daily: 0, weekly: 0, monthly: 0, manual: 1, safety: 1, preOperation: 1 }, NOW);
    assert.deepEqual(plan.keep, [future.id]);
  });
});
