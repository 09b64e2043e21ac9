import assert from 'node:assert/strict';
import { appendFile, link, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CloneProvider } from '../../../src/core/providers/clone/clone-provider.js';
import type { ProviderRestoreOptions, RestoreResult } from '../../../src/core/providers/provider.js';
import { ChangeTracker } from '../../../src/core/runtime/change-tracker.js';
import { ServiceContext } from '../../../src/core/service/context.js';
import { createSnapshot } from '../../../src/core/service/create.js';
import { deleteSnapshot } from '../../../src/core/service/delete.js';
import { listSnapshots } from '../../../src/core/service/queries.js';
import { retryRollback } from '../../../src/core/service/recovery.js';
import { rollback, undo } from '../../../src/core/service/rollback.js';
import type { SnapshotRecord } from '../../../src/shared/model.js';
import { sandbox, writeThroughMmap } from '../../helpers/helpers.js';

/** Whether any snapshot of `dir` holds `rel` with exactly `text`: a write the folder lost is still kept there. */
async function keptInASnapshot(ctx: ServiceContext, dir: string, rel: string, text: string): Promise<boolean> {
  for (const s of await listSnapshots(ctx, { target: dir })) {
    const f = await ctx.provider(s.provider).readFile(s, rel, 1 << 20).catch(() => null);
    if (f?.kind === 'file' && f.bytes.toString('utf8') === text) return true;
  }
  return false;
}

/** The clone provider whose restores stop before they change anything while `failing` (a kill, a full disk). */
class StoppingClone extends CloneProvider {
  failing = false;
  override async restore(record: SnapshotRecord, paths: string[] | null, options: ProviderRestoreOptions): Promise<RestoreResult> {
    if (this.failing) throw Object.assign(new Error('EIO: i/o error, write'), { code: 'EIO' });
    return super.restore(record, paths, options);
  }
}

const big = (text: string): string => text.padEnd(8192, '.');

/**
 * A rollback whose safety snapshot the change journal narrowed, with a write no event named (through mmap) to
 * a path the rollback leaves alone: the safety snapshot holds that path as the newest snapshot did, older than
 * the folder is. Whatever the undo does next (with or without the journal, with or without the snapshot rolled
 * back to), it must not put that older copy over the write.
 */
describe('an undo after a narrowed rollback never puts an older copy over a write no event named', () => {
  let box: Awaited<ReturnType<typeof sandbox>>;
  let tracker: ChangeTracker;
  let clone: StoppingClone;
  let ctx: ServiceContext;
  /** The same state folder without a change journal: the CLI without the app, or the app started again. */
  let plain: ServiceContext;
  before(async () => {
    box = await sandbox();
    tracker = new ChangeTracker();
    clone = new StoppingClone(path.join(box.home, 'clone'));
    ctx = new ServiceContext({ home: box.home, providers: { clone }, changes: tracker });
    plain = new ServiceContext({ home: box.home });
  });
  after(async () => {
    await tracker.stop();
    await box.cleanup();
  });

  /** A watched folder with `src/app.js` ("version one") and `data/table.bin` (`quietText`, 8 KiB). */
  async function watched(name: string, quietText: string): Promise<{ dir: string; changing: string; quiet: string }> {
    const dir = path.join(box.root, name);
    await mkdir(path.join(dir, 'src'), { recursive: true });
    await mkdir(path.join(dir, 'data'), { recursive: true });
    const changing = path.join(dir, 'src', 'app.js');
    const quiet = path.join(dir, 'data', 'table.bin');
    await writeFile(changing, 'version one\n');
    await writeFile(quiet, big(quietText));
    await tracker.watch([dir]);
    return { dir, changing, quiet };
  }

  /** A folder rolled back to `then` (narrowed), `quiet` written through mmap after the newest snapshot. */
  async function rolledBack(name: string): Promise<{ dir: string; then: SnapshotRecord; quiet: string; changing: string; written: string; before: string }> {
    const dir = path.join(box.root, name);
    await mkdir(path.join(dir, 'src'), { recursive: true });
    await mkdir(path.join(dir, 'data'), { recursive: true });
    const changing = path.join(dir, 'src', 'app.js');
    const quiet = path.join(dir, 'data', 'table.bin');
    await writeFile(changing, 'version one\n');
    await writeFile(quiet, big('the same in every snapshot'));
    await tracker.watch([dir]);
    const then = await createSnapshot(ctx, { path: dir, provider: 'clone' });
    await writeFile(changing, 'version two\n');
    await createSnapshot(ctx, { path: dir, provider: 'clone' });
    await tracker.mark(dir);
    writeThroughMmap(quiet);
    const written = await readFile(quiet, 'utf8');
    assert.match(written, /^MMAP/);
    const done = await rollback(ctx, then.id);
    assert.ok(done.safety);
    assert.equal(await readFile(changing, 'utf8'), 'version one\n');
    assert.equal(await readFile(quiet, 'utf8'), written, 'the rollback leaves the path alone');
    return { dir, then, quiet, changing, written, before: 'version two\n' };
  }

  test('undo without the change journal, the snapshot rolled back to still there: the write stays', async () => {
    const r = await rolledBack('plain-undo');
    await undo(plain, { target: r.dir });
    assert.equal(await readFile(r.changing, 'utf8'), r.before);
    assert.equal(await readFile(r.quiet, 'utf8'), r.written);
  });

  test('undo with the change journal after the snapshot rolled back to was deleted: the write is kept in the undo\'s safety snapshot', async () => {
    const r = await rolledBack('journal-undo-deleted');
    await deleteSnapshot(ctx, r.then.id);
    await undo(ctx, { target: r.dir });
    assert.equal(await readFile(r.changing, 'utf8'), r.before);
    assert.ok(await readFile(r.quiet, 'utf8') === r.written || await keptInASnapshot(ctx, r.dir, 'data/table.bin', r.written), 'the undo walks for its safety snapshot, which holds the write');
  });

  test('undo without the change journal after the snapshot rolled back to was deleted by hand: the write is kept in the undo\'s safety snapshot', async () => {
    const r = await rolledBack('plain-undo-deleted');
    await deleteSnapshot(ctx, r.then.id);
    await undo(plain, { target: r.dir });
    assert.equal(await readFile(r.changing, 'utf8'), r.before);
    assert.ok(await keptInASnapshot(plain, r.dir, 'data/table.bin', r.written), 'the undo\'s own safety snapshot (a whole walk) holds the write');
  });

  test('undo after the snapshot rolled back to was deleted leaves a path its rollback never changed as it is', {
    todo: 'with the rolled-back-to snapshot gone the undo has no bound and puts the whole safety snapshot back, whose copy of this path is the newest snapshot\'s: the bound would have to be kept beside the safety snapshot',
  }, async () => {
    const r = await rolledBack('plain-undo-deleted-exact');
    await deleteSnapshot(ctx, r.then.id);
    await undo(plain, { target: r.dir });
    assert.equal(await readFile(r.quiet, 'utf8'), r.written);
  });

  test('an undo stopped part way after the snapshot rolled back to was deleted, finished without the change journal: the write is not lost', async () => {
    const r = await rolledBack('recovered-undo');
    await deleteSnapshot(ctx, r.then.id);
    clone.failing = true;
    await assert.rejects(undo(ctx, { target: r.dir }), /stopped part way/);
    clone.failing = false;
    const report = await retryRollback(plain, r.dir);
    assert.equal(report?.outcome, 'finished');
    assert.equal(await readFile(r.changing, 'utf8'), r.before);
    const kept = await readFile(r.quiet, 'utf8') === r.written || await keptInASnapshot(plain, r.dir, 'data/table.bin', r.written);
    assert.ok(kept, 'the write no event named is neither in the folder nor in any snapshot: lost');
  });

  test('an undo stopped part way, finished without the change journal: only what the rollback changed is put back', async () => {
    const r = await rolledBack('recovered-undo-bounded');
    clone.failing = true;
    await assert.rejects(undo(ctx, { target: r.dir }), /stopped part way/);
    clone.failing = false;
    const report = await retryRollback(plain, r.dir);
    assert.equal(report?.outcome, 'finished');
    assert.equal(await readFile(r.changing, 'utf8'), r.before);
    assert.equal(await readFile(r.quiet, 'utf8'), r.written);
  });

  test('a narrowed rollback stopped part way, finished without the change journal: the write stays', async () => {
    const { dir, changing, quiet } = await watched('recovered-rollback', 'the same in every snapshot');
    const then = await createSnapshot(ctx, { path: dir, provider: 'clone' });
    await writeFile(changing, 'version two\n');
    await createSnapshot(ctx, { path: dir, provider: 'clone' });
    await tracker.mark(dir);
    writeThroughMmap(quiet);
    const written = await readFile(quiet, 'utf8');
    clone.failing = true;
    await assert.rejects(rollback(ctx, then.id), /stopped part way/);
    clone.failing = false;
    const report = await retryRollback(plain, dir);
    assert.equal(report?.outcome, 'finished');
    assert.equal(await readFile(changing, 'utf8'), 'version one\n');
    assert.equal(await readFile(quiet, 'utf8'), written);
    await undo(plain, { target: dir });
    assert.equal(await readFile(changing, 'utf8'), 'version two\n');
    assert.equal(await readFile(quiet, 'utf8'), written);
  });

  test('a narrowed rollback of some paths (--only): a write no event named elsewhere stays, and the undo is exact', async () => {
    const { dir, changing, quiet } = await watched('only', 'version one');
    const then = await createSnapshot(ctx, { path: dir, provider: 'clone' });
    await writeFile(changing, 'version two\n');
    await writeFile(quiet, big('version two'));
    await createSnapshot(ctx, { path: dir, provider: 'clone' });
    await tracker.mark(dir);
    writeThroughMmap(quiet);
    const written = await readFile(quiet, 'utf8');
    await rollback(ctx, then.id, { paths: ['src'] });
    assert.equal(await readFile(changing, 'utf8'), 'version one\n');
    assert.equal(await readFile(quiet, 'utf8'), written, 'outside --only');
    await undo(plain, { target: dir });
    assert.equal(await readFile(changing, 'utf8'), 'version two\n');
    assert.equal(await readFile(quiet, 'utf8'), written);
  });

  test('a file written through a hard link from outside the folder (no event), the same in both snapshots: the rollback and the undo leave the write', async () => {
    const dir = path.join(box.root, 'outside-link');
    await mkdir(path.join(dir, 'src'), { recursive: true });
    const changing = path.join(dir, 'src', 'app.js');
    const linked = path.join(dir, 'src', 'shared.txt');
    const outside = path.join(box.root, 'outside-name.txt');
    await writeFile(changing, 'version one\n');
    await writeFile(linked, 'shared, as in both snapshots\n');
    await link(linked, outside);
    await tracker.watch([dir]);
    const then = await createSnapshot(ctx, { path: dir, provider: 'clone' });
    await writeFile(changing, 'version two\n');
    await createSnapshot(ctx, { path: dir, provider: 'clone' });
    await tracker.mark(dir);
    await appendFile(outside, 'written through the name outside\n');
    const written = await readFile(linked, 'utf8');
    const done = await rollback(ctx, then.id);
    assert.ok(done.safety);
    assert.equal(await readFile(changing, 'utf8'), 'version one\n');
    // The rollback either leaves it or puts back the snapshot's bytes; the undo must then bring the write back.
    await undo(ctx, { target: dir });
    assert.equal(await readFile(changing, 'utf8'), 'version two\n');
    assert.equal(await readFile(linked, 'utf8'), written);
  });

  test('two narrowed rollbacks in a row, then undo: the folder is as before the second, the write no event named kept', async () => {
    const { dir, changing, quiet } = await watched('twice', 'the same in every snapshot');
    const one = await createSnapshot(ctx, { path: dir, provider: 'clone' });
    await writeFile(changing, 'version two\n');
    const two = await createSnapshot(ctx, { path: dir, provider: 'clone' });
    await writeFile(changing, 'version three\n');
    await createSnapshot(ctx, { path: dir, provider: 'clone' });
    await tracker.mark(dir);
    writeThroughMmap(quiet);
    const written = await readFile(quiet, 'utf8');
    await rollback(ctx, one.id);
    await rollback(ctx, two.id);
    assert.equal(await readFile(changing, 'utf8'), 'version two\n');
    await undo(plain, { target: dir });
    assert.equal(await readFile(changing, 'utf8'), 'version one\n');
    assert.equal(await readFile(quiet, 'utf8'), written);
  });

  test('a write no event named beside an edit the journal saw (its folder listed again): the rollback puts the snapshot back there, and the undo brings the write back', async () => {
    const dir = path.join(box.root, 'relisted');
    await mkdir(path.join(dir, 'data'), { recursive: true });
    const quiet = path.join(dir, 'data', 'table.bin');
    const seen = path.join(dir, 'data', 'seen.txt');
    await writeFile(quiet, big('the same in every snapshot'));
    await writeFile(seen, 'version one\n');
    await tracker.watch([dir]);
    const then = await createSnapshot(ctx, { path: dir, provider: 'clone' });
    await writeFile(seen, 'version two\n');
    await createSnapshot(ctx, { path: dir, provider: 'clone' });
    await tracker.mark(dir);
    writeThroughMmap(quiet);
    await writeFile(path.join(dir, 'data', 'new.txt'), 'made since, beside it\n');
    const written = await readFile(quiet, 'utf8');
    const done = await rollback(ctx, then.id);
    assert.ok(done.safety);
    assert.equal(await readFile(seen, 'utf8'), 'version one\n');
    const after = await readFile(quiet, 'utf8');
    assert.ok(after === written || after === big('the same in every snapshot'), 'either left alone or the snapshot\'s bytes');
    await undo(plain, { target: dir });
    assert.equal(await readFile(seen, 'utf8'), 'version two\n');
    assert.equal(await readFile(quiet, 'utf8'), written);
    assert.equal(await readFile(path.join(dir, 'data', 'new.txt'), 'utf8'), 'made since, beside it\n');
  });
});
