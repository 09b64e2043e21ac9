import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parseJson, runCli, sandbox } from '../../helpers/helpers.js';

describe('concurrent snapctl processes share one locked store', () => {
  let box: Awaited<ReturnType<typeof sandbox>>;
  before(async () => { box = await sandbox(); });
  after(() => box.cleanup());

  test('ten creates run at once give ten records and a readable store', async () => {
    const env = { SNAPCTL_HOME: box.home };
    for (let i = 0; i < 50; i++) await writeFile(path.join(box.project, `file${i}.txt`), `content ${i}\n`);
    const runs = await Promise.all(Array.from({ length: 10 }, (_, i) => runCli(['create', '--path', box.project, '--tag', `run ${i}`], env)));
    for (const r of runs) assert.equal(r.code, 0, r.stderr);
    const count = await runCli(['count'], env);
    assert.equal(count.stdout.trim(), '10');
    const records = parseJson<{ id: string; tag: string }[]>((await runCli(['list', '--json'], env)).stdout);
    assert.equal(new Set(records.map((r) => r.id)).size, 10, 'every id is distinct');
    assert.deepEqual(records.map((r) => r.tag).sort(), Array.from({ length: 10 }, (_, i) => `run ${i}`).sort());
  });
});
