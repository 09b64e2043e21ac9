import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import type { DispatchContext } from '../../src/api/dispatch.js';
import { apiCaller } from '../helpers/api.js';
import { SnapctlRuntime } from '../../src/core/runtime/runtime.js';
import { peekPolicy } from '../../src/core/state/policy-check.js';
import { policyOf, settingsSchema } from '../../src/core/state/settings.js';
import { sandbox, tempDir } from '../helpers/helpers.js';

describe('the API and the settings of disk space: costs, excludes, limits', () => {
  let box: Awaited<ReturnType<typeof sandbox>>;
  let runtime: SnapctlRuntime;
  let ctx: DispatchContext;
  const { call, ok } = apiCaller(() => ctx);

  before(async () => {
    box = await sandbox();
    await writeFile(path.join(box.project, 'a.bin'), Buffer.alloc(10_000, 1));
    runtime = await SnapctlRuntime.start({ home: box.home, env: {} });
    await runtime.updateSettings({ ...runtime.currentSettings(), targets: [{ path: box.project, excludes: ['*.tmp'] }], statsd: { enabled: false, host: '127.0.0.1', port: 8125, socket: null } });
    ctx = { runtime, host: 'headless' };
  });
  after(async () => { await runtime.stop(); await box.cleanup(); });

  test('list gives each snapshot its uniqueBytes and the store totals; create applies the folder excludes', async () => {
    await writeFile(path.join(box.project, 'x.tmp'), 'left out');
    const made = await ok('create', { target: box.project });
    assert.deepEqual(made.excluded, { patterns: ['*.tmp'], cacheDirs: [] });
    const view = await ok('list', { target: box.project });
    assert.equal(view.snapshots[0]?.uniqueBytes, 10_000);
    assert.equal(view.totals.folderBytes, 10_000);
    assert.ok(view.totals.freeBytes !== null && view.totals.floorBytes !== null);
    const preview = await ok('diff', { id: made.id });
    assert.deepEqual(preview.leftAlone, { count: 1, examples: ['x.tmp'] });
  });

  test('setSettings refuses bad excludes, a store limit under 1 MB and a floor that is neither bytes nor a percentage, in plain words, changing nothing', async () => {
    const before = await readFile(path.join(box.home, 'settings.json'), 'utf8');
    const base = runtime.currentSettings();
    const folder = (patch: object): unknown => ({ ...base, targets: [{ ...base.targets[0], ...patch }] });
    const cases: [unknown, RegExp][] = [
      [folder({ excludes: ['ok/', 'two\nlines'] }), new RegExp(`the folder ${box.project}: its excludes: an exclude pattern is one line`)],
      [folder({ excludes: [''] }), /its excludes: an exclude pattern cannot be empty/],
      [folder({ excludes: 'node_modules' }), /its excludes: must be a list/],
      [folder({ maxStoreBytes: 1000 }), /its maximum store size: must be at least 1 MB \(1,000,000 bytes\)/],
      [folder({ maxStoreBytes: -5 }), /its maximum store size/],
      [{ ...base, freeSpaceFloor: '150%' }, /the free-space floor/],
      [{ ...base, freeSpaceFloor: 'lots' }, /the free-space floor/],
    ];
    for (const [settings, why] of cases) {
      const r = await call('setSettings', { settings });
      assert.ok(!r.ok, JSON.stringify(settings));
      assert.match(r.error, why);
    }
    assert.equal(await readFile(path.join(box.home, 'settings.json'), 'utf8'), before);
    const saved = await ok('setSettings', { settings: { ...folder({ excludes: ['dist/', '!dist/keep'], maxStoreBytes: 5 * 1024 * 1024 }) as object, freeSpaceFloor: '7.5%' } });
    assert.deepEqual(saved.targets[0]?.excludes, ['dist/', '!dist/keep']);
    assert.equal(saved.targets[0]?.maxStoreBytes, 5 * 1024 * 1024);
    assert.equal(saved.freeSpaceFloor, '7.5%');
  });
});

describe('the policy read by hand agrees with the settings schema', () => {
  test('on generated settings files: the same excludes, floor, limit and retention, or a refusal where zod refuses', async () => {
    const dir = await tempDir();
    const file = path.join(dir, 'settings.json');
    const target = '/work/project';
    const pattern = fc.oneof(fc.constantFrom('node_modules/', '*.log', '!keep.log', '', '#c', 'a\nb', '../x', 'build/**'), fc.string({ maxLength: 8 }));
    const retention = fc.record({ hourly: fc.integer({ min: -1, max: 3 }), daily: fc.nat(3), weekly: fc.nat(3), monthly: fc.nat(3), manual: fc.integer({ min: 0, max: 3 }), safety: fc.integer({ min: 1, max: 3 }), preOperation: fc.integer({ min: 1, max: 3 }) });
    const entry = fc.record({
      path: fc.constant(target),
      excludes: fc.array(pattern, { maxLength: 3 }),
      maxStoreBytes: fc.oneof(fc.constant(null), fc.constantFrom(1024, 999_999, 1_000_000, 1024 * 1024, 5e9, 1.5, -1)),
      retention,
    }, { requiredKeys: ['path'] });
    const floor = fc.oneof(fc.constant(null), fc.constantFrom(0, 1024, -1, 2.5, '10%', '7.5%', '100%', '150%', '5', 'x%'));
    await fc.assert(fc.asyncProperty(fc.array(entry, { maxLength: 1 }), floor, async (targets, freeSpaceFloor) => {
      const raw = { version: 1, targets, freeSpaceFloor };
      await writeFile(file, JSON.stringify(raw));
      const mine = await peekPolicy(file, target);
      const spec = settingsSchema.safeParse(raw);
      if (!spec.success) {
        // A file zod refuses is never read by hand as valid for the fields the policy holds.
        const policyFields = spec.error.issues.every((i) => ['excludes', 'maxStoreBytes', 'retention', 'freeSpaceFloor'].some((k) => i.path.includes(k)));
        if (policyFields) assert.equal(mine, null, JSON.stringify(raw));
        return;
      }
      assert.deepEqual(mine, policyOf(spec.data, target), JSON.stringify(raw));
    }), { numRuns: 400 });
  });
});
