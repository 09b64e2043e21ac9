import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CloneProvider } from '../../../src/core/providers/clone/clone-provider.js';
import type { ProviderRestoreOptions, RestoreResult } from '../../../src/core/providers/provider.js';
import { ServiceContext } from '../../../src/core/service/context.js';
import { createSnapshot } from '../../../src/core/service/create.js';
import { pruneSnapshots } from '../../../src/core/service/prune.js';
import { retryRollback } from '../../../src/core/service/recovery.js';
import { rollback, undo } from '../../../src/core/service/rollback.js';
import type { RetentionPolicy } from '../../../src/core/service/retention.js';
import type { SnapshotRecord } from '../../../src/shared/model.js';
import { sandbox } from '../../helpers/helpers.js';

/** The clone provider whose restores stop before they change anything while `failing`. */
class StoppingClone extends CloneProvider {
  failing = false;
  override async restore(record: SnapshotRecord, paths: string[] | null, options: ProviderRestoreOptions): Promise<RestoreResult> {
    if (this.failing) throw Object.assign(new Error('EIO: i/o error, write'), { code: 'EIO' });
    return super.restore(record, paths, options);
  }
}

/** Keeps one manual snapshot: the one a rollback went to, older than the newest, is what it would delete. */
const keepOne: RetentionPolicy = { hourly: 1, daily: 1, weekly: 1, monthly: 1, manual: 1, safety: 20, preOperation: 1 };

/**
 * An undo puts back only the paths where its safety snapshot and the snapshot its rollback went to differ
 * (rollback-bound.ts): without that snapshot it compares the whole folder, and a safety snapshot the change
 * journal narrowed holds some paths older than the folder had them. Pruning keeps it while it bounds an undo.
 */
describe('pruning keeps the snapshot a rollback went to while its undo (or unfinished undo) needs it', () => {
  let box: Awaited<ReturnType<typeof sandbox>>;
  let clone: StoppingClone;
  let ctx: ServiceContext;
  before(async () => {
    box = await sandbox();
    clone = new StoppingClone(path.join(box.home, 'clone'));
    ctx = new ServiceContext({ home: box.home, providers: { clone } });
  });
  after(() => box.cleanup());

  async function rolledBack(name: string): Promise<{ dir: string; then: SnapshotRecord; at: (p: string) => string }> {
    const dir = path.join(box.root, name);
    const at = (p: string): string => path.join(dir, p);
    await mkdir(at('src'), { recursive: true });
    await mkdir(at('docs'), { recursive: true });
    await writeFile(at('src/app.js'), 'version one\n');
    await writeFile(at('docs/notes.md'), 'the same in both\n');
    const then = await createSnapshot(ctx, { path: dir, provider: 'clone', tag: 'then' });
    await writeFile(at('src/app.js'), 'version two\n');
    await createSnapshot(ctx, { path: dir, provider: 'clone', tag: 'now' });
    return { dir, then, at };
  }

  test('the snapshot the last rollback went to is kept by pruning; the undo then leaves an edit made since elsewhere', async () => {
    const { dir, then, at } = await rolledBack('offered');
    await rollback(ctx, then.id);
    await writeFile(at('docs/notes.md'), 'edited after the rollback\n');
    const [pruned] = await pruneSnapshots(ctx, () => keepOne, { target: dir });
    assert.ok(pruned);
    assert.ok(!pruned.drop.includes(then.id), 'the snapshot the undo is bounded by is kept');
    await undo(ctx, { target: dir });
    assert.equal(await readFile(at('src/app.js'), 'utf8'), 'version two\n');
    assert.equal(await readFile(at('docs/notes.md'), 'utf8'), 'edited after the rollback\n');
  });

  test('the snapshot an unfinished undo is bounded by is kept by pruning; finishing it leaves an edit made since elsewhere', async () => {
    const { dir, then, at } = await rolledBack('unfinished');
    await rollback(ctx, then.id);
    await writeFile(at('docs/notes.md'), 'edited after the rollback\n');
    clone.failing = true;
    await assert.rejects(undo(ctx, { target: dir }), /stopped part way/);
    clone.failing = false;
    const [pruned] = await pruneSnapshots(ctx, () => keepOne, { target: dir });
    assert.ok(pruned);
    assert.ok(!pruned.drop.includes(then.id), 'the snapshot the unfinished undo is bounded by is kept');
    const report = await retryRollback(ctx, dir);
    assert.equal(report?.outcome, 'finished');
    assert.equal(await readFile(at('src/app.js'), 'utf8'), 'version two\n');
    assert.equal(await readFile(at('docs/notes.md'), 'utf8'), 'edited after the rollback\n');
  });
});
