import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { GitImpact } from '../../src/shared/api.js';
import { gitSentence } from '../../src/renderer/gitWords.js';

const sha = (c: string): string => c.repeat(40);
const base: GitImpact = {
  repo: '', branchNow: 'main', branchThen: 'main', headNow: sha('a'), headThen: sha('b'), headMoves: true,
  direction: 'backward', undoneCommits: [], moreUndone: 0, gainedCommits: [], moreGained: 0,
};

test("the popover's git sentence says which way HEAD goes: back (undoes), forward (undoes nothing), sideways", () => {
  assert.equal(gitSentence({ ...base, undoneCommits: [{ sha: sha('a'), subject: 'fix login' }] }), 'This undoes 1 commit on main: fix login.');
  assert.equal(gitSentence({ ...base, direction: 'forward', gainedCommits: [{ sha: sha('b'), subject: 'c5' }, { sha: sha('c'), subject: 'c4' }], moreGained: 3 }),
    'HEAD moves forward 5 commits to bbbbbbb (c5); no commit is undone.');
  assert.equal(gitSentence({ ...base, direction: 'sideways', branchThen: 'topic', undoneCommits: [{ sha: sha('a'), subject: 'main work' }], gainedCommits: [{ sha: sha('b'), subject: 'topic work' }] }),
    'This undoes 1 commit on main: main work. HEAD moves to another line of history, bbbbbbb (topic work) (branch main becomes topic), with 1 commit it does not reach now: topic work.');
  assert.equal(gitSentence({ ...base, direction: 'unknown' }), 'HEAD moves from aaaaaaa to bbbbbbb.');
});
