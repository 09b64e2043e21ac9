import assert from 'node:assert/strict';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { targetKey } from '../../../src/core/state/journal.js';
import { parseJson, runCli, sandbox } from '../../helpers/helpers.js';

describe('a damaged rollback journal blocks only its own folder, and names the way out', () => {
  let box: Awaited<ReturnType<typeof sandbox>>;
  before(async () => { box = await sandbox(); });
  after(() => box.cleanup());

  test('other folders work; the damaged one is named; recover --abandon --path sets it aside', async () => {
    const env = { SNAPCTL_HOME: box.home };
    const a = path.join(box.root, 'a');
    const b = path.join(box.root, 'b');
    for (const dir of [a, b]) {
      await mkdir(dir, { recursive: true });
      await writeFile(path.join(dir, 'f.txt'), 'x\n');
      assert.equal((await runCli(['create', '--path', dir], env)).code, 0);
    }
    const journal = path.join(box.home, 'journal');
    await mkdir(journal, { recursive: true });
    // A journal cut short by a disk error: its folder is still readable at the start.
    await writeFile(path.join(journal, `${targetKey(a)}.json`), `{"version":1,"target":${JSON.stringify(a)},"snapshotId":"2026`);

    const other = await runCli(['create', '--path', b, '--json'], env);
    assert.equal(other.code, 0, other.stderr);
    assert.match(other.stderr, new RegExp(`journal (.* )?of ${a.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is damaged`));
    assert.match(other.stderr, new RegExp(`snapctl recover --abandon --path ${a.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));

    const blocked = await runCli(['create', '--path', a], env);
    assert.equal(blocked.code, 1);
    assert.match(blocked.stderr, /recover --abandon --path/);

    const out = await runCli(['recover', '--abandon', '--path', a], env);
    assert.equal(out.code, 0, out.stderr);
    assert.match(out.stdout, /set the damaged rollback journal .* aside/);
    assert.equal((await readdir(journal)).filter((n) => n.endsWith('.json')).length, 0);
    const again = await runCli(['create', '--path', a, '--json'], env);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(parseJson<{ target: string }>(again.stdout).target, a);
  });
});
