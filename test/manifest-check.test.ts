import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { checkManifest } from '../src/core/clone/entries.js';
import { manifestSchema } from './manifest-schema.js';

const entry = fc.oneof(
  fc.record({ path: fc.string(), type: fc.constant('dir'), mode: fc.integer({ min: 0, max: 0o7777 }), mtimeNs: fc.bigInt({ min: 0n, max: 10n ** 19n }).map(String) }),
  fc.record({ path: fc.string(), type: fc.constant('file'), mode: fc.integer({ min: 0, max: 0o7777 }), mtimeNs: fc.bigInt({ min: 0n, max: 10n ** 19n }).map(String), size: fc.nat(), oid: fc.stringMatching(/^[0-9a-f]{32}$/) }),
  fc.record({ path: fc.string(), type: fc.constant('symlink'), mtimeNs: fc.bigInt({ min: 0n, max: 10n ** 19n }).map(String), link: fc.string() }),
);
const junk = fc.oneof(fc.constant(undefined), fc.constant(null), fc.constant(-1), fc.constant(1.5), fc.constant('x'), fc.constant('A'.repeat(32)), fc.constant({}), fc.constant([]), fc.constant('fifo'), fc.integer(), fc.boolean());
const broken = fc.tuple(entry, fc.constantFrom('path', 'type', 'mode', 'mtimeNs', 'size', 'oid', 'link', 'extra'), junk).map(([e, key, value]) => {
  const copy: Record<string, unknown> = { ...e };
  if (value === undefined) delete copy[key]; else copy[key] = value;
  return copy;
});
const manifest = fc.record({
  version: fc.constantFrom<unknown>(1, 1, 1, 2, '1'),
  id: fc.oneof(fc.string(), junk), target: fc.string(), createdAt: fc.string(),
  entries: fc.array(fc.oneof(entry, entry, broken), { maxLength: 5 }),
  problems: fc.array(fc.oneof(fc.record({ path: fc.string(), reason: fc.string() }), junk), { maxLength: 2 }),
});

describe('manifest checker', () => {
  test('accepts and rejects exactly what the zod schema does, and returns the same data', () => {
    fc.assert(fc.property(manifest, (m) => {
      const spec = manifestSchema.safeParse(structuredClone(m));
      const mine = checkManifest(structuredClone(m));
      assert.equal(mine !== null, spec.success, `zod ${spec.success ? 'accepts' : 'rejects'} ${JSON.stringify(m).slice(0, 300)}`);
      if (mine && spec.success) assert.deepEqual(mine, spec.data);
    }), { numRuns: 3000 });
  });
});
