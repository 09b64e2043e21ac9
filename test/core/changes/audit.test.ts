import assert from 'node:assert/strict';
import { appendFile, link, mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { audit } from '../../../src/core/changes/audit.js';
import { ChangeJournal, type JournalToken } from '../../../src/core/changes/journal.js';
import { walk } from '../../../src/core/tree/walk.js';
import { listingDifferences, walkChanged } from '../../../src/core/tree/walk-changed.js';
import { tempDir } from '../../helpers/helpers.js';

test('the audit finds what no event named: a second name made outside the folder, and no defect otherwise', { skip: process.platform !== 'linux' }, async (t) => {
  const dir = await tempDir('snapctl-audit-');
  const outside = `${dir}.outside`;
  await mkdir(path.join(dir, 'd'), { recursive: true });
  await mkdir(outside);
  await writeFile(path.join(dir, 'd/a'), 'a');
  await writeFile(path.join(dir, 'd/b'), 'b');
  const journal = await ChangeJournal.start(dir);
  t.after(async () => { await journal.stop(); await rm(dir, { recursive: true, force: true }); await rm(outside, { recursive: true, force: true }); });
  let token = await journal.mark() as JournalToken;
  let base = await walk(dir);
  await appendFile(path.join(dir, 'd/b'), 'more');
  assert.deepEqual(await audit(journal, token, base), { defects: [], changed: 1 });
  // inotify(7): a link made through another folder moves d/a's link count and ctime with no event here.
  token = await journal.mark() as JournalToken;
  base = await walk(dir);
  await link(path.join(dir, 'd/a'), path.join(outside, 'a2'));
  assert.deepEqual(await audit(journal, token, base), { defects: ['d/a'], changed: 0 });
  // Once a base knows it has two names, a write through the other is looked for on every narrowed walk.
  token = await journal.mark() as JournalToken;
  base = await walk(dir);
  await appendFile(path.join(outside, 'a2'), 'written outside');
  const changed = await journal.changedSince(token);
  assert.deepEqual(changed, { tracked: true, paths: [], inodes: [] });
  assert.deepEqual(listingDifferences(await walkChanged(dir, base, changed.tracked ? changed : []), await walk(dir)), []);
  assert.deepEqual(await audit(journal, token, base), { defects: [], changed: 0 });
});
