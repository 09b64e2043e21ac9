import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { checkStatsdSettings, peekStatsdSettings } from '../../../src/core/state/statsd-settings-check.js';
import { HomeLayout } from '../../../src/core/state/paths.js';
import { statsdSettingsSchema } from '../../../src/core/state/statsd-settings.js';

/** Values near each rule's edges, and of the wrong kinds, for every field (or none at all). */
const field = <T>(good: fc.Arbitrary<T>): fc.Arbitrary<unknown> => fc.oneof(good, fc.constant(undefined), fc.constant(null), fc.string(), fc.integer(), fc.boolean(), fc.double(), fc.constant([]), fc.constant({}));
const statsdLike = fc.record({
  enabled: field(fc.boolean()),
  host: field(fc.oneof(fc.constantFrom('127.0.0.1', 'dd-agent', '::1', '[::1]', 'a b', '', 'x'.repeat(253), 'x'.repeat(254), 'host\n', 'h\u00e9'), fc.stringMatching(/^[A-Za-z0-9.:\-[\]]{0,8}$/))),
  port: field(fc.oneof(fc.constantFrom(0, 1, 8125, 65_535, 65_536, -1, 1.5, Number.NaN), fc.integer({ min: -10, max: 70_000 }))),
  socket: field(fc.oneof(fc.constantFrom('', '/var/run/datadog/dsd.socket', 'unix:///s', 'x'.repeat(4096), 'x'.repeat(4097)))),
  extra: field(fc.string()),
}, { requiredKeys: [] });

describe('the metrics settings checked without zod', () => {
  test('accept and refuse exactly what the settings schema does, with the same defaults', () => {
    fc.assert(fc.property(fc.oneof(statsdLike, fc.constant(undefined), fc.constant(null), fc.constant([]), fc.string()), (raw) => {
      const zod = statsdSettingsSchema.safeParse(raw === undefined ? {} : raw);
      const hand = checkStatsdSettings(raw);
      assert.equal(hand.ok, zod.success, JSON.stringify(raw));
      if (hand.ok && zod.success) assert.deepEqual(hand.value, zod.data);
    }), { numRuns: 2_000 });
  });

  test('one bad field takes its default and is named with what is used; metrics switched off stay off', async () => {
    const home = await mkdtemp(path.join(tmpdir(), 'snapctl-statsd-'));
    try {
      await writeFile(path.join(home, 'settings.json'), JSON.stringify({ version: 1, statsd: { enabled: false, host: 'dd-agent', port: 'abc' } }));
      const { statsd, problem } = await peekStatsdSettings(new HomeLayout(home));
      assert.deepEqual(statsd, { enabled: false, host: 'dd-agent', port: 8125, socket: null });
      assert.equal(problem, "the settings file's statsd.port is invalid (8125 is used instead); the other metrics settings are kept");
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  });
});
