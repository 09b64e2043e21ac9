import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, test } from 'node:test';
import { serviceSandbox } from '../../../helpers/helpers.js';
import { createSnapshot } from '../../../../src/core/service/create.js';
import { deleteSnapshot } from '../../../../src/core/service/delete.js';
import { rollback } from '../../../../src/core/service/rollback.js';

/** Takes a snapshot of `target` with no base, straight from the provider; returns how many files it read. */
async function filesRead(ctx: ReturnType<typeof serviceSandbox>, target: string, id: string): Promise<number> {
  const lines: string[] = [];
  const provider = ctx.service.provider('clone');
  await provider.create({ id, target, tag: null, bases: [], trace: (phase) => { lines.push(phase); } });
  await provider.settle(id);
  const copied = lines.map((l) => /new or changed files: (\d+)/.exec(l)).find((m) => m !== null);
  assert.ok(copied, `the trace names the files copied: ${lines.join('; ')}`);
  return Number(copied[1]);
}

describe('files a rollback wrote', () => {
  const ctx = serviceSandbox();

  test('are shared by the next snapshot without being read, while the snapshot they came from is kept', async () => {
    const dir = path.join(ctx.box.root, 'written');
    await mkdir(dir);
    await writeFile(path.join(dir, 'a.txt'), 'one');
    await writeFile(path.join(dir, 'b.txt'), 'two');
    const snap = await createSnapshot(ctx.service, { path: dir });
    await writeFile(path.join(dir, 'a.txt'), 'one, changed');
    await writeFile(path.join(dir, 'b.txt'), 'two, changed');
    await rollback(ctx.service, snap.id);
    assert.equal(await filesRead(ctx, dir, 'probe-1'), 0, 'both files were known from the rollback');

    // A file changed after the rollback is read again.
    await writeFile(path.join(dir, 'b.txt'), 'two, changed again');
    assert.equal(await filesRead(ctx, dir, 'probe-2'), 1);

    // Once that snapshot is gone its objects may be collected: nothing is shared from it any more.
    await deleteSnapshot(ctx.service, snap.id);
    assert.equal(await filesRead(ctx, dir, 'probe-3'), 2);
  });
});
