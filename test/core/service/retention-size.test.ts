import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { TRIGGERS } from '../../../src/shared/model.js';
import { planRetention, planRetentionWithSize, planSizeLimit, retentionClass, type SizedSnapshot } from '../../../src/core/service/retention.js';
import { newestFirst } from '../../../src/shared/model.js';
import { createSnapshot } from '../../../src/core/service/create.js';
import { listWithSpace } from '../../../src/core/service/listing.js';

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

/** What the limit may delete: unprotected timeline snapshots, not the newest, dated before now, that free something. */
const droppable = (s: SizedSnapshot, newestIds: readonly (string | undefined)[], protect: ReadonlySet<string>): boolean =>
  !newestIds.includes(s.id) && retentionClass(s) === 'timeline' && !protect.has(s.id) && Date.parse(s.createdAt) <= NOW.getTime() && (s.uniqueBytes ?? 0) > 0;
const freed = (snaps: readonly SizedSnapshot[], ids: readonly string[]): number => snaps.filter((s) => ids.includes(s.id)).reduce((sum, s) => sum + (s.uniqueBytes ?? 0), 0);

describe('retention with a size limit (planSizeLimit), property-tested', () => {
  test('never deletes the newest snapshot nor the newest timeline one, nor anything but unprotected timeline snapshots dated before now, nor one that frees nothing', () => {
    fc.assert(fc.property(caseArb, ({ snaps, folderBytes, limit, protect }) => {
      const plan = planSizeLimit(snaps, { limit, folderBytes, protect }, NOW);
      const sorted = [...snaps].sort(newestFirst);
      const newestId = [sorted[0]?.id, sorted.find((s) => retentionClass(s) === 'timeline')?.id];
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
      const sorted = [...snaps].sort(newestFirst);
      const newestId = [sorted[0]?.id, sorted.find((s) => retentionClass(s) === 'timeline')?.id];
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
      // What a rollback needs is protected from both (prune's dry run and real run agree on it).
      const counted = planRetention(snaps, policy, NOW, protect);
      const both = planRetentionWithSize(snaps, policy, NOW, { limit, folderBytes, protect });
      for (const id of counted.drop) assert.ok(both.drop.includes(id), 'what the count policy drops is dropped');
      const extra = both.drop.filter((id) => !counted.drop.includes(id));
      const afterCount = folderBytes - freed(snaps, counted.drop);
      if (afterCount <= limit) assert.deepEqual(extra, [], 'no extra deletion when the count policy already fits');
      assert.deepEqual(planRetentionWithSize(snaps, policy, NOW, null), planRetention(snaps, policy, NOW));
      for (const id of protect ?? []) assert.ok(!both.drop.includes(id), 'a protected snapshot is never dropped');
    }), { numRuns: 1000 });
  });
});

describe('prune applies a folder\'s maximum store size', () => {
  test('the oldest timeline snapshots go until the folder fits; the newest and manual ones stay', async () => {
    const { ServiceContext } = await import('../../../src/core/service/context.js');
    const { pruneSnapshots } = await import('../../../src/core/service/prune.js');
    const { sandbox } = await import('../../helpers/helpers.js');
    const { writeFile } = await import('node:fs/promises');
    const path = await import('node:path');
    const box = await sandbox();
    try {
      const service = new ServiceContext({ home: box.home });
      const file = path.join(box.project, 'data.bin');
      const ids: string[] = [];
      await writeFile(file, Buffer.alloc(100_000, 9));
      const manual = await createSnapshot(service, { path: box.project, tag: 'keep me' });
      for (let i = 1; i <= 4; i++) {
        await writeFile(file, Buffer.alloc(100_000, i));
        ids.push((await createSnapshot(service, { path: box.project, trigger: 'schedule' })).id);
      }
      // One an hour, as the schedule takes them, so the count policy (one per hour) keeps them all.
      await service.store.update((store) => {
        for (const s of store.snapshots) {
          const at = ids.indexOf(s.id);
          if (at !== -1) s.createdAt = new Date(Date.now() - (5 - at) * 3600_000).toISOString();
        }
      });
      const keepAll = { hourly: 100, daily: 100, weekly: 100, monthly: 100, manual: 100, safety: 100, preOperation: 100 };
      const dry = await pruneSnapshots(service, () => keepAll, { target: box.project, dryRun: true, maxStoreBytes: () => 300_000 });
      const [result] = await pruneSnapshots(service, () => keepAll, { target: box.project, maxStoreBytes: () => 300_000 });
      // 500 KB held; the size limit lets 300 KB stay: the two oldest scheduled ones go, the manual one stays.
      assert.deepEqual(result?.drop, [ids[0], ids[1]]);
      assert.deepEqual(dry[0]?.drop.slice().sort(), [ids[0], ids[1]].sort(), 'the dry run says the same');
      const left = (await listWithSpace(service, box.project));
      assert.deepEqual(left.snapshots.map((s) => s.id), [manual.id, ids[3], ids[2]]);
      assert.ok((left.totals.folderBytes ?? Infinity) <= 300_000, String(left.totals.folderBytes));
      const [again] = await pruneSnapshots(service, () => keepAll, { target: box.project, maxStoreBytes: () => 1 });
      assert.deepEqual(again?.drop, [ids[2]], 'however small the limit, the newest scheduled snapshot and the manual one stay');
    } finally {
      await box.cleanup();
    }
  });
});
