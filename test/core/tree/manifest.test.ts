import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { checkManifest, isSafeRelativePath } from '../../../src/core/tree/manifest.js';
import { manifestSchema } from '../../helpers/manifest-schema.js';

// Mostly plausible relative paths, sometimes anything at all (absolute, `..`, empty segments, NUL).
const entryPath = fc.oneof(
  fc.array(fc.constantFrom('node_modules', 'a', 'b.js', '.bin', '..', '.', '', 'x\\y', 'é'), { minLength: 1, maxLength: 4 }).map((parts) => parts.join('/')),
  fc.constantFrom('src/index.js', 'a', '.hidden/file'),
  fc.string(),
);
const entry = fc.oneof(
  fc.record({ path: entryPath, type: fc.constant('dir'), mode: fc.integer({ min: 0, max: 0o7777 }), mtimeNs: fc.bigInt({ min: 0n, max: 10n ** 19n }).map(String) }),
  fc.record({ path: entryPath, type: fc.constant('file'), mode: fc.integer({ min: 0, max: 0o7777 }), mtimeNs: fc.bigInt({ min: 0n, max: 10n ** 19n }).map(String), size: fc.nat(), oid: fc.stringMatching(/^[0-9a-f]{32}$/) }),
  fc.record({ path: entryPath, type: fc.constant('symlink'), mtimeNs: fc.bigInt({ min: 0n, max: 10n ** 19n }).map(String), link: fc.string() }),
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

describe('manifest path safety', () => {
  // The specification, written the obvious way; the checker avoids splitting every path for speed.
  const reference = (p: string): boolean => {
    if (p === '' || p.includes('\0') || p.startsWith('/')) return false;
    return p.split('/').every((seg) => seg !== '' && seg !== '.' && seg !== '..');
  };
  const piece = fc.constantFrom('a', 'b.c', '.', '..', '...', '.hidden', '', 'x..', '..y', '\\', '\0', 'é');

  test('a path is safe exactly when no segment is empty, . or .., and it is relative without NUL (a backslash is an ordinary character)', () => {
    fc.assert(fc.property(fc.array(piece, { minLength: 1, maxLength: 6 }), fc.string(), (parts, free) => {
      const joined = parts.join('/');
      assert.equal(isSafeRelativePath(joined), reference(joined), JSON.stringify(joined));
      assert.equal(isSafeRelativePath(free), reference(free), JSON.stringify(free));
    }), { numRuns: 5000 });
    for (const bad of ['../x', 'a/..', 'a/./b', '/etc', 'a//b', 'a/', '.', '..']) assert.equal(isSafeRelativePath(bad), false, bad);
    for (const good of ['a', 'a/b', '.a/..b/c.', 'node_modules/.bin/tool', 'dev-disk-by\\x2duuid', 'a\\..\\b']) assert.equal(isSafeRelativePath(good), true, good);
  });
});
