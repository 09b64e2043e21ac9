import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, test } from 'node:test';
import { mapLimit } from '../../../src/core/base/concurrency.js';

describe('mapLimit', () => {
  test('keeps at most `limit` calls in flight and returns results in order', async () => {
    let inFlight = 0;
    let most = 0;
    const out = await mapLimit([5, 1, 4, 2, 3], 2, async (n) => {
      inFlight++;
      most = Math.max(most, inFlight);
      await sleep(n);
      inFlight--;
      return n * 10;
    });
    assert.deepEqual(out, [50, 10, 40, 20, 30]);
    assert.equal(most, 2);
  });

  test('after the first failure it starts nothing new, and rejects only once the calls in flight have finished', async () => {
    const started: number[] = [];
    const finished: number[] = [];
    const items = Array.from({ length: 50 }, (_, i) => i);
    const err = await mapLimit(items, 4, async (i) => {
      started.push(i);
      if (i === 2) throw new Error('ENOSPC');
      await sleep(20);
      finished.push(i);
    }).then(() => null, (e: unknown) => e);
    assert.match(String(err), /ENOSPC/);
    // The four started at once, and nothing after the failure of item 2 (the others were still sleeping).
    assert.deepEqual(started.sort((a, b) => a - b), [0, 1, 2, 3]);
    assert.deepEqual(finished.sort((a, b) => a - b), [0, 1, 3], 'the calls in flight finished before the rejection');
  });
});
