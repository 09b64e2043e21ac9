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

test('many stars against long names: each name costs at most its length times the pattern, never a backtrack over every star', async () => {
  // A regular expression made from this glob backtracks over every star: minutes for one name.
  const pattern = `${'*a'.repeat(30)}*b`;
  const m = await globMatcher(pattern);
  const names = ['a'.repeat(255), `${'a'.repeat(254)}c`, `dir/${'a'.repeat(4000)}`];
  for (const name of names) assert.equal(m(name), false);
  const longest = 4000;
  assert.ok(m.steps <= names.length * (longest + 2) * (pattern.length + 2), `${m.steps} comparisons`);
  const nested = await globMatcher(`${'**/'.repeat(20)}x*y*z`);
  assert.equal(nested(`${'d/'.repeat(200)}xyz`), true);
  assert.equal(nested(`${'d/'.repeat(200)}xy`), false);
  assert.ok(nested.steps <= 2 * 201 * 21 * 60, `${nested.steps} comparisons`);
});

test('stars, question marks, sets, braces and ** match as gitignore and picomatch do', async () => {
  const { default: picomatch } = await import('picomatch');
  const cases: [string, string[]][] = [
    ['src/**', ['src', 'src/a', 'src/a/b', 'srcx', 'x/src']],
    ['**/x', ['x', 'a/x', 'a/b/x', 'a/xx']],
    ['a/**/b', ['a/b', 'a/x/b', 'a/x/y/b', 'a/bb', 'b']],
    ['a**', ['abc', 'a', 'a/bc']],
    ['a/**b', ['a/xb', 'a/b', 'a/x/b']],
    ['a?c', ['abc', 'a/c', 'ac', 'abbc']],
    ['*.{ts,tsx}', ['x.ts', 'x.tsx', 'x.js', 'a/x.ts']],
    ['{a,b}/{c,d}.md', ['a/c.md', 'b/d.md', 'c/c.md']],
    ['{a}.ts', ['{a}.ts', 'a.ts']],
    ['[a-c]*', ['b', 'bx', 'd', '.b']],
    ['[[:digit:]]x', ['5x', 'ax']],
    ['\\*', ['*', 'a']],
    ['.*', ['.git', 'a.b', 'a']],
    ['src/*.ts', ['src/.x.ts', 'src/a.ts', 'src/a/b.ts']],
    ['*a*b*c*', ['abc', 'xaxbxcx', 'acb', 'cba']],
  ];
  for (const [pattern, candidates] of cases) {
    const ours = await globMatcher(pattern);
    const theirs = picomatch(pattern, { dot: true, basename: !pattern.includes('/') });
    for (const p of candidates) assert.equal(ours(p), theirs(p), `${pattern} against ${p}`);
  }
  assert.deepEqual(await matching('[!R]*'), ['sub', '!important.txt', 'file[1].txt', paths[5], 'src/app.ts'], "'[!R]' is a negated set, as in gitignore");
  assert.deepEqual(await matching('file\\[1\\].txt'), ['file[1].txt']);
});

test('braces that would make too many patterns are refused in plain words', async () => {
  await assert.rejects(globMatcher('{a,b}'.repeat(12)), (err: Error & { kind?: string }) => err.kind === 'usage' && /more than 256 patterns/.test(err.message));
});
