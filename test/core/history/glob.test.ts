import assert from 'node:assert/strict';
import { test } from 'node:test';
import { globMatcher, searchMatcher } from '../../../src/core/history/glob.js';
import { fromBytes } from '../../../src/core/tree/names.js';

const paths = ['README.md', 'sub/README.md', 'sub', '!important.txt', 'file[1].txt', fromBytes(Buffer.from('caf\xe9.txt', 'latin1')), 'src/app.ts'];
const matching = async (pattern: string): Promise<string[]> => { const m = await globMatcher(pattern); return paths.filter((p) => m(p)); };
const searching = async (query: string): Promise<string[]> => { const m = await searchMatcher(query); return paths.filter((p) => m(p)); };

test('a bare name matches in any folder; a slash, a leading one too, anchors at the top', async () => {
  assert.deepEqual(await matching('README.md'), ['README.md', 'sub/README.md']);
  assert.deepEqual(await matching('/README.md'), ['README.md']);
  assert.deepEqual(await matching('/sub'), ['sub']);
  assert.deepEqual(await matching('src/*.ts'), ['src/app.ts']);
});

test("a leading '!' is part of the name, never a negation that matches everything else", async () => {
  assert.deepEqual(await matching('!imp*'), ['!important.txt']);
});

test('a name that is not UTF-8 matches as it is shown, with its \\x escapes', async () => {
  assert.deepEqual(await matching('caf\\xe9.txt'), [paths[5]]);
  assert.deepEqual(await matching('caf\\xe9*'), [paths[5]]);
});

test('a pattern too long for the matcher is refused in plain words, as a usage error', async () => {
  await assert.rejects(globMatcher('a'.repeat(100_000)), (err: Error & { kind?: string }) => err.kind === 'usage' && /100,000 characters long/.test(err.message));
});

test("the popover's search finds a real name holding glob characters by its part", async () => {
  assert.deepEqual(await searching('file[1]'), ['file[1].txt']);
  assert.deepEqual(await searching('*.md'), ['README.md', 'sub/README.md']);
  assert.deepEqual(await searching('caf\\xe9'), [paths[5]]);
});
