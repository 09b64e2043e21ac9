import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CloneProvider } from '../../../src/core/providers/clone/clone-provider.js';
import type { ProviderRestoreOptions, RestoreResult } from '../../../src/core/providers/provider.js';
import { ServiceContext } from '../../../src/core/service/context.js';
import { createSnapshot } from '../../../src/core/service/create.js';
import { deleteSnapshot } from '../../../src/core/service/delete.js';
import { previewRollback } from '../../../src/core/service/preview.js';
import { retryRollback } from '../../../src/core/service/recovery.js';
import { rollback, undo } from '../../../src/core/service/rollback.js';
import type { SnapshotRecord } from '../../../src/shared/model.js';
import { sandbox } from '../../helpers/helpers.js';

/** The clone provider whose restores stop part way (the first file put back, then a refused rename) while `failing`. */
class StoppingClone extends CloneProvider {
  failing = false;
  override async restore(record: SnapshotRecord, paths: string[] | null, options: ProviderRestoreOptions): Promise<RestoreResult> {
    if (this.failing) {
      await writeFile(path.join(record.target, 'src', 'changed.js'), 'then\n');
      throw Object.assign(new Error('EPERM: operation not permitted, rename'), { code: 'EPERM' });
    }
    return super.restore(record, paths, options);
  }
}

describe('an undo puts back what its rollback changed, and only that', () => {
  let box: Awaited<ReturnType<typeof sandbox>>;
  let clone: StoppingClone;
  let ctx: ServiceContext;
  before(async () => {
    box = await sandbox();
    clone = new StoppingClone(path.join(box.home, 'clone'));
    ctx = new ServiceContext({ home: box.home, providers: { clone } });
  });
  after(() => box.cleanup());

  /** A folder with a file the rollback changes, one it removes, and one that is the same throughout. */
  async function project(name: string): Promise<{ dir: string; then: SnapshotRecord; at: (p: string) => string }> {
    const dir = path.join(box.root, name);
    await mkdir(path.join(dir, 'src'), { recursive: true });
    await mkdir(path.join(dir, 'docs'), { recursive: true });
    await writeFile(path.join(dir, 'src', 'changed.js'), 'then\n');
    await writeFile(path.join(dir, 'docs', 'same.md'), 'the same in both\n');
    const then = await createSnapshot(ctx, { path: dir, provider: 'clone' });
    await writeFile(path.join(dir, 'src', 'changed.js'), 'now\n');
    await writeFile(path.join(dir, 'src', 'added.js'), 'added since\n');
    return { dir, then, at: (p) => path.join(dir, p) };
  }

  test('an edit made after the rollback to a path it did not change stays through the undo', async () => {
    const { dir, then, at } = await project('kept');
    await rollback(ctx, then.id);
    assert.equal(await readFile(at('src/changed.js'), 'utf8'), 'then\n');
    await writeFile(at('docs/same.md'), 'edited after the rollback\n');
    await writeFile(at('docs/new.md'), 'made after the rollback\n');
    const undone = await undo(ctx, { target: dir });
    assert.ok(undone.safety);
    assert.equal(await readFile(at('src/changed.js'), 'utf8'), 'now\n');
    assert.equal(await readFile(at('src/added.js'), 'utf8'), 'added since\n');
    assert.equal(await readFile(at('docs/same.md'), 'utf8'), 'edited after the rollback\n');
    assert.equal(await readFile(at('docs/new.md'), 'utf8'), 'made after the rollback\n');
  });

  test('an undo\'s preview shows what the undo does: not what was changed since elsewhere', async () => {
    const { dir, then, at } = await project('previewed');
    const done = await rollback(ctx, then.id);
    assert.ok(done.safety);
    await writeFile(at('docs/same.md'), 'edited after the rollback\n');
    await writeFile(at('docs/new.md'), 'made after the rollback\n');
    const view = await previewRollback(ctx, done.safety.id, null, { undoing: then.id });
    assert.deepEqual({ added: view.added, removed: view.removed, modified: view.modified }, { added: [], removed: ['src/added.js'], modified: ['src/changed.js'] });
    const whole = await previewRollback(ctx, done.safety.id, null);
    assert.deepEqual(whole.added, ['docs/new.md'], 'a rollback to the safety snapshot would remove it');
    await undo(ctx, { target: dir });
    assert.equal(await readFile(at('docs/new.md'), 'utf8'), 'made after the rollback\n');
  });

  test('without the snapshot rolled back to, an undo puts the whole folder back as its safety snapshot holds it', async () => {
    const { dir, then, at } = await project('whole');
    await rollback(ctx, then.id);
    await writeFile(at('docs/same.md'), 'edited after the rollback\n');
    await deleteSnapshot(ctx, then.id, { undoLossConfirmed: true });
    await undo(ctx, { target: dir });
    assert.equal(await readFile(at('src/changed.js'), 'utf8'), 'now\n');
    assert.equal(await readFile(at('docs/same.md'), 'utf8'), 'the same in both\n');
  });

  test('finishing an interrupted rollback changes only what the rollback could change: an edit made since elsewhere stays', async () => {
    const { dir, then, at } = await project('interrupted');
    clone.failing = true;
    await assert.rejects(rollback(ctx, then.id), /stopped part way/);
    clone.failing = false;
    await writeFile(at('docs/same.md'), 'edited while it was unfinished\n');
    const report = await retryRollback(ctx, dir);
    assert.equal(report?.outcome, 'finished');
    assert.equal(await readFile(at('src/changed.js'), 'utf8'), 'then\n');
    await assert.rejects(readFile(at('src/added.js')), { code: 'ENOENT' });
    assert.equal(await readFile(at('docs/same.md'), 'utf8'), 'edited while it was unfinished\n');
  });
});
