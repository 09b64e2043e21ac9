import assert from 'node:assert/strict';
import { stat, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { nsToSeconds } from '../../../src/core/tree/manifest.js';
import { sandbox } from '../../helpers/helpers.js';

test('a recorded mtime set back reads as itself to the microsecond, also a hair below a millisecond boundary', async (t) => {
  const box = await sandbox();
  t.after(box.cleanup);
  const file = path.join(box.project, 'f');
  await writeFile(file, 'x');
  const base = 1_796_230_785_613_000_000n;
  for (let i = 0; i < 2000; i++) {
    // Half of them within 300 ns below the next millisecond, where a double's rounding carried it over.
    const random = base + BigInt(Math.floor(Math.random() * 1e12));
    const want = i % 2 === 0 ? random : random - (random % 1_000_000n) + 999_999n - BigInt(i % 300);
    await utimes(file, nsToSeconds(want), nsToSeconds(want));
    const got = (await stat(file, { bigint: true })).mtimeNs;
    assert.equal(got / 1000n, want / 1000n, `${want} set back as ${got}`);
  }
});
