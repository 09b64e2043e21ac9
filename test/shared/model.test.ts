import assert from 'node:assert/strict';
import { test } from 'node:test';
import { oneLine } from '../../src/shared/model.js';

test('a name is shown on one line and as it sorts: control characters and bidirectional overrides escaped', () => {
  assert.equal(oneLine('a\nb\tc'), 'a\\nb\\tc');
  assert.equal(oneLine('evil\u202etxt.exe'), 'evil\\u202etxt.exe', 'no right-to-left override turns it into evilexe.txt');
  assert.equal(oneLine('x\u2066y\u2069\u200f\u0085'), 'x\\u2066y\\u2069\\u200f\\u0085');
  assert.equal(oneLine('café — 日本語 😀'), 'café — 日本語 😀', 'ordinary text is left as it is');
});
