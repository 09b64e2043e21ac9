import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { TRIGGERS } from '../../../src/shared/model.js';
import { planRetention, planRetentionWithSize, planSizeLimit, retentionClass, type SizedSnapshot } from '../../../src/core/service/retention.js';
import { newestFirst } from '../../../src/shared/model.js';

const NOW = new Date('2026-11-24T12:00:00Z');
const YEAR_MS = 365 * 24 * 3600 * 1000;

const sizedArb = fc.record({
  id: fc.stringMatching(/^[0-9]{8}-[0-9]{6}-[0-9a-f]{6}$/),
  createdAt: fc.integer({ min: NOW.getTime() - YEAR_MS, max: NOW.getTime() + 3600_000 }).map((t) => new Date(t).toISOString()),
  // Mostly timeline snapshots (untagged, scheduled), which are the only ones the size limit deletes.
  trigger: fc.oneof({ weight: 3, arbitrary: fc.constant('schedule' as const) }, { weight: 1, arbitrary: fc.constantFrom(...TRIGGERS) }),
  tag: fc.option(fc.constant('t'), { nil: null, freq: 4 }),
  uniqueBytes: fc.option(fc.nat(1_000_000), { nil: null, freq: 8 }),
});
const snapshotsArb = fc.uniqueArray(sizedArb, { selector: (s) => s.id, maxLength: 60 });
const policyArb = fc.record({
  hourly: fc.nat(10), daily: fc.nat(7), weekly: fc.nat(4), monthly: fc.nat(6),
  manual: fc.integer({ min: 1, max: 10 }), safety: fc.integer({ min: 1, max: 10 }), preOperation: fc.integer({ min: 1, max: 10 }),
});
/** Snapshots with the folder's bytes (at least what they hold alone), a limit, and some protected ids. */
const caseArb = snapshotsArb.chain((snaps) => {
  const alone = snaps.reduce((sum, s) => sum + (s.uniqueBytes ?? 0), 0);
  return fc.record({
    snaps: fc.constant(snaps),
    folderBytes: fc.integer({ min: alone, max: alone + 5_000_000 }),
    limit: fc.nat(alone + 5_000_000),
    protect: fc.subarray(snaps.map((s) => s.id)).map((ids) => new Set(ids)),
  });
});

const droppable = (s: SizedSnapshot, newestId: string | undefined, protect: ReadonlySet<string>): boolean =>
  s.id !== newestId && retentionClass(s) === 'timeline' && !protect.has(s.id) && Date.parse(s.createdAt) <= NOW.getTime();
const freed = (snaps: readonly SizedSnapshot[], ids: readonly string[]): number => snaps.filter((s) => ids.includes(s.id)).reduce((sum, s) => sum + (s.uniqueBytes ?? 0), 0);

describe('retention with a size limit (planSizeLimit), property-tested', () => {
  test('never deletes the newest snapshot, nor anything but unprotected timeline snapshots dated before now', () => {
    fc.assert(fc.property(caseArb, ({ snaps, folderBytes, limit, protect }) => {
      const plan = planSizeLimit(snaps, { limit, folderBytes, protect }, NOW);
      const newestId = [...snaps].sort(newestFirst)[0]?.id;
      for (const id of plan.drop) {
        const s = snaps.find((x) => x.id === id);
        assert.ok(s && droppable(s, newestId, protect), `dropped ${JSON.stringify(s)}`);
      }
      assert.equal(plan.keep.length + plan.drop.length, snaps.length);
    }), { numRuns: 2000 });
  });

  test('the result is under the limit whenever deleting everything it may would get there, and not one snapshot more is deleted', () => {
    fc.assert(fc.property(caseArb, ({ snaps, folderBytes, limit, protect }) => {
      const plan = planSizeLimit(snaps, { limit, folderBytes, protect }, NOW);
      const newestId = [...snaps].sort(newestFirst)[0]?.id;
      const all = snaps.filter((s) => droppable(s, newestId, protect)).map((s) => s.id);
      const after = folderBytes - freed(snaps, plan.drop);
      if (folderBytes - freed(snaps, all) <= limit) assert.ok(after <= limit, `${after} > ${limit}`);
      else assert.deepEqual(new Set(plan.drop), new Set(all), 'short of the limit it deletes all it may');
      if (folderBytes <= limit) assert.deepEqual(plan.drop, [], 'under the limit nothing goes');
      // Oldest first and minimal: the newest snapshot it dropped was needed to get under the limit.
      const dropped = snaps.filter((s) => plan.drop.includes(s.id)).sort(newestFirst);
      const last = dropped[0];
      if (last && after <= limit) assert.ok(after + (last.uniqueBytes ?? 0) > limit || (last.uniqueBytes ?? 0) === 0, 'one fewer would not have fit');
      const keptDroppable = snaps.filter((s) => droppable(s, newestId, protect) && !plan.drop.includes(s.id));
      for (const k of keptDroppable) for (const d of dropped) assert.ok(newestFirst(k, d) <= 0, `kept ${k.id} is older than dropped ${d.id}`);
    }), { numRuns: 2000 });
  });

  test('deterministic: the same input in any order gives the same plan', () => {
    fc.assert(fc.property(caseArb, fc.nat(), ({ snaps, folderBytes, limit, protect }, seed) => {
      const shuffled = [...snaps].sort((a, b) => ((a.id.charCodeAt(seed % 22) || 0) - (b.id.charCodeAt(seed % 22) || 0)));
      assert.deepEqual(planSizeLimit(shuffled, { limit, folderBytes, protect }, NOW), planSizeLimit(snaps, { limit, folderBytes, protect }, NOW));
    }), { numRuns: 500 });
  });

  test('with the count policy: keeps what the count policy keeps unless the limit needs it, and drops all it drops', () => {
    fc.assert(fc.property(caseArb, policyArb, ({ snaps, folderBytes, limit, protect }, policy) => {
      const counted = planRetention(snaps, policy, NOW);
      const both = planRetentionWithSize(snaps, policy, NOW, { limit, folderBytes, protect });
      for (const id of counted.drop) assert.ok(both.drop.includes(id), 'what the count policy drops is dropped');
      const extra = both.drop.filter((id) => !counted.drop.includes(id));
      const afterCount = folderBytes - freed(snaps, counted.drop);
      if (afterCount <= limit) assert.deepEqual(extra, [], 'no extra deletion when the count policy already fits');
      assert.deepEqual(planRetentionWithSize(snaps, policy, NOW, null), counted);
    }), { numRuns: 1000 });
  });
});
