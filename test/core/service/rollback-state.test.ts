import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { SnapctlError } from '../../../src/core/base/errors.js';
import { CloneProvider } from '../../../src/core/providers/clone/clone-provider.js';
import type { ProviderRestoreOptions, RestoreResult } from '../../../src/core/providers/provider.js';
import type { SnapshotRecord } from '../../../src/shared/model.js';
import { buildEveryKindTree, mutateEveryWay } from '../../helpers/fixtures.js';
import { describeTree, runCli, sandbox } from '../../helpers/helpers.js';
import { ServiceContext } from '../../../src/core/service/context.js';
import { createSnapshot } from '../../../src/core/service/create.js';
import { listView } from '../../../src/core/service/listing.js';
import { previewRollback } from '../../../src/core/service/preview.js';
import { listSnapshots } from '../../../src/core/service/queries.js';
import { retryRollback } from '../../../src/core/service/recovery.js';
import { rollback, undo } from '../../../src/core/service/rollback.js';
import { folderState, undoOffer, unfinished } from '../../../src/core/service/status.js';

type Box = Awaited<ReturnType<typeof sandbox>>;

/** The clone provider whose restores fail (as an immutable file makes them) while `failing` is set. */
class FailingClone extends CloneProvider {
  failing = false;
  override async restore(record: SnapshotRecord, paths: string[] | null, options: ProviderRestoreOptions): Promise<RestoreResult> {
    if (this.failing) {
      // Part of the work done (a file put back as the snapshot holds it), then the system refuses a rename,
      // as it does for an immutable file.
      await writeFile(path.join(record.target, 'a.txt'), 'one\n');
      throw Object.assign(new Error(`EPERM: operation not permitted, rename '.snapctl-restore-${options.token}-1' -> 'locked.txt'`), { code: 'EPERM', path: `.snapctl-restore-${options.token}-1`, dest: 'locked.txt' });
    }
    return super.restore(record, paths, options);
  }
}

async function folder(box: Box, name: string): Promise<string> {
  const dir = path.join(box.root, name);
  await mkdir(path.join(dir, 'src'), { recursive: true });
  await writeFile(path.join(dir, 'a.txt'), 'one\n');
  await writeFile(path.join(dir, 'src', 'main.js'), 'main\n');
  return dir;
}

const counts = (r: RestoreResult): [number, number, number] => [r.restored, r.broughtBack, r.removed];

describe('an unfinished rollback is a state of its folder until it is resolved', () => {
  let box: Box;
  let clone: FailingClone;
  let service: ServiceContext;
  before(async () => {
    box = await sandbox();
    clone = new FailingClone(path.join(box.home, 'clone'));
    service = new ServiceContext({ home: box.home, providers: { clone } });
  });
  after(() => box.cleanup());

  test('a rollback that stopped part way shows per folder with its snapshot, safety id and why, in plain words', async () => {
    const dir = await folder(box, 'stopped');
    const snap = await createSnapshot(service, { path: dir, tag: 'before upgrade' });
    await writeFile(path.join(dir, 'a.txt'), 'two\n');
    clone.failing = true;
    await assert.rejects(rollback(service, snap.id), (err: unknown) => err instanceof SnapctlError && /stopped part way/.test(err.message) && !/\.snapctl-restore-/.test(err.message));
    const u = await unfinished(service, dir);
    assert.ok(u, 'the journal makes it unfinished');
    assert.equal(u.snapshotId, snap.id);
    assert.equal(u.snapshotLabel, "'before upgrade'");
    assert.match(u.error ?? '', /did not allow a change.*locked\.txt/);
    assert.doesNotMatch(u.error ?? '', /snapctl-restore/);
    const state = await folderState(service, dir);
    assert.equal(state.unfinished?.safetyId, u.safetyId);
    assert.equal(state.undo, null, 'an unfinished rollback has its own way back');
    const preview = await previewRollback(service, snap.id);
    assert.equal(preview.unfinished?.safetyId, u.safetyId, 'a preview says so first');

    // Retried while the cause is still there: still unfinished, with the new attempt's reason.
    await assert.rejects(retryRollback(service, dir));
    assert.ok((await unfinished(service, dir))?.error);
    clone.failing = false;
    const report = await retryRollback(service, dir);
    assert.equal(report?.outcome, 'finished');
    assert.equal(await unfinished(service, dir), null, 'gone once resolved');
    assert.equal(await readFile(path.join(dir, 'a.txt'), 'utf8'), 'one\n');
    assert.equal((await folderState(service, dir)).undo?.rollback.snapshotId, snap.id, 'then the rollback can be undone');
  });

  test('undo on a folder with an unfinished rollback sets the journal aside and restores its safety snapshot', async () => {
    const dir = await folder(box, 'undone');
    const snap = await createSnapshot(service, { path: dir });
    await writeFile(path.join(dir, 'a.txt'), 'mine\n');
    await writeFile(path.join(dir, 'new.txt'), 'new\n');
    const before = await describeTree(dir);
    clone.failing = true;
    await assert.rejects(rollback(service, snap.id));
    clone.failing = false;
    assert.notDeepEqual(await describeTree(dir), before, 'half restored');
    const back = await undo(service, { target: dir });
    assert.ok(back.safety, 'the undo takes a safety snapshot of its own');
    assert.deepEqual(await describeTree(dir), before);
    assert.equal(await unfinished(service, dir), null);
    assert.match(back.safety.tag ?? '', /^before undoing the rollback to .+, \d\d:\d\d$/);
    const journal = await readdir(path.join(box.home, 'journal'));
    assert.ok(journal.some((f) => f.includes('.set-aside-')), 'the given-up journal is kept aside');
  });

  test('a killed rollback is unfinished with no error (its reason is unknown)', async () => {
    const dir = await folder(box, 'killed');
    for (let i = 0; i < 20; i++) await writeFile(path.join(dir, `f${i}.txt`), `v1 ${i}\n`);
    const env = { SNAPCTL_HOME: path.join(box.root, 'killed-home') };
    const made = await runCli(['create', '--path', dir, '--json'], env);
    const { id } = JSON.parse(made.stdout) as { id: string };
    for (let i = 0; i < 20; i++) await writeFile(path.join(dir, `f${i}.txt`), `v2 ${i}\n`);
    const killed = await runCli(['rollback', id, '--yes'], { ...env, SNAPCTL_FAULT_KILL_AT: '5' });
    assert.equal(killed.signal, 'SIGKILL');
    const fresh = new ServiceContext({ home: env.SNAPCTL_HOME });
    const u = await unfinished(fresh, dir);
    assert.ok(u);
    assert.equal(u.error, null);
    const status = await runCli(['status', '--path', dir], env);
    assert.equal(status.code, 1, 'status never finishes it: it says it is unfinished');
    assert.match(status.stdout, /finish it: {2}snapctl recover --path/);
    assert.ok(await unfinished(fresh, dir), 'still unfinished after status');
    assert.equal((await runCli(['recover', '--path', dir], env)).code, 0);
    assert.equal(await unfinished(fresh, dir), null);
  });
});

describe('undo rules', () => {
  let box: Box;
  let service: ServiceContext;
  before(async () => {
    box = await sandbox();
    service = new ServiceContext({ home: box.home });
  });
  after(() => box.cleanup());

  test('a second undo changes nothing and says the last rollback is already undone', async () => {
    const dir = await folder(box, 'twice');
    const snap = await createSnapshot(service, { path: dir, tag: 'v1' });
    await writeFile(path.join(dir, 'a.txt'), 'two\n');
    const rb = await rollback(service, snap.id);
    const offer = await undoOffer(service, dir);
    assert.equal(offer?.rollback.safetyId, rb.safety?.id);
    assert.match(offer?.label ?? '', /^rolled back to 'v1' at \d\d:\d\d$/);
    await undo(service, { target: dir });
    assert.equal(await readFile(path.join(dir, 'a.txt'), 'utf8'), 'two\n');
    assert.equal(await undoOffer(service, dir), null, 'no offer once undone');
    const listed = (await listSnapshots(service, { target: dir })).length;
    await assert.rejects(undo(service, { target: dir }), (err: unknown) =>
      err instanceof SnapctlError && err.kind === 'nothing-to-do' && err.message === `the last rollback of ${dir} (to 'v1') is already undone`);
    assert.equal(await readFile(path.join(dir, 'a.txt'), 'utf8'), 'two\n', 'the rollback is not re-applied');
    assert.equal((await listSnapshots(service, { target: dir })).length, listed, 'no snapshot taken');
  });

  test('the undo offer stays until another rollback of the folder runs', async () => {
    const dir = await folder(box, 'offer');
    const first = await createSnapshot(service, { path: dir });
    await writeFile(path.join(dir, 'a.txt'), 'two\n');
    const second = await createSnapshot(service, { path: dir });
    await rollback(service, first.id);
    assert.equal((await undoOffer(service, dir))?.rollback.snapshotId, first.id);
    await rollback(service, second.id);
    assert.equal((await undoOffer(service, dir))?.rollback.snapshotId, second.id, 'the offer is the latest rollback\'s');
  });
});

describe('a rollback that changes nothing', () => {
  let box: Box;
  let service: ServiceContext;
  before(async () => {
    box = await sandbox();
    service = new ServiceContext({ home: box.home });
  });
  after(() => box.cleanup());

  test('takes no safety snapshot and says so', async () => {
    const dir = await folder(box, 'same');
    const snap = await createSnapshot(service, { path: dir });
    const result = await rollback(service, snap.id);
    assert.equal(result.nothingToChange, true);
    assert.equal(result.safety, null);
    assert.deepEqual(counts(result.restored), [0, 0, 0]);
    assert.equal((await listSnapshots(service, { target: dir })).length, 1, 'no safety snapshot');
    assert.equal((await listView(service, dir)).rollbacks.length, 0, 'nothing to undo');
    const manifests = await readdir(path.join(box.home, 'clone', 'manifests'));
    assert.equal(manifests.length, 1, 'nothing of a safety snapshot was stored');
  });

  test('--only a path in neither the snapshot nor the folder is a usage error naming it, with no safety snapshot', async () => {
    const dir = await folder(box, 'nope');
    const snap = await createSnapshot(service, { path: dir });
    await writeFile(path.join(dir, 'a.txt'), 'changed\n');
    await assert.rejects(rollback(service, snap.id, { paths: ['nope.txt'] }), (err: unknown) => err instanceof SnapctlError && err.kind === 'usage' && err.message.startsWith('nope.txt'));
    await assert.rejects(previewRollback(service, snap.id, ['nope.txt']), (err: unknown) => err instanceof SnapctlError && err.kind === 'usage');
    assert.equal((await listSnapshots(service, { target: dir })).length, 1);
    assert.equal(await readFile(path.join(dir, 'a.txt'), 'utf8'), 'changed\n');
  });

  test("safety snapshots are labelled by what they protect, never by a truncated id", async () => {
    const dir = await folder(box, 'labels');
    const tagged = await createSnapshot(service, { path: dir, tag: 'before upgrade' });
    const untagged = await createSnapshot(service, { path: dir });
    await writeFile(path.join(dir, 'a.txt'), 'x\n');
    const a = await rollback(service, tagged.id);
    assert.match(a.safety?.tag ?? '', /^before rolling back to 'before upgrade', \d\d:\d\d$/);
    await writeFile(path.join(dir, 'a.txt'), 'y\n');
    const b = await rollback(service, untagged.id);
    assert.match(b.safety?.tag ?? '', /^before rolling back to the snapshot of \d{1,2} [A-Z][a-z]{2} \d\d:\d\d, \d\d:\d\d$/);
    const view = await listView(service, dir);
    assert.deepEqual(view.rollbacks.map((r) => r.safetyId), [a.safety?.id, b.safety?.id], 'a safety snapshot is found under its rollback');
    // Back to a safety snapshot, then back to that one's: named by what a person sees, never nested.
    assert.ok(a.safety && b.safety);
    const c = await rollback(service, b.safety.id);
    assert.match(c.safety?.tag ?? '', /^before rolling back to the safety snapshot of \d{1,2} [A-Z][a-z]{2} \d\d:\d\d \(the snapshot of \d{1,2} [A-Z][a-z]{2} \d\d:\d\d\), \d\d:\d\d$/);
    assert.ok(c.safety);
    const d = await rollback(service, c.safety.id);
    assert.doesNotMatch(d.safety?.tag ?? '', /before rolling back to 'before|before rolling back to .*before rolling back/);
    const e = await undo(service, { target: dir });
    assert.match(e.safety?.tag ?? '', /^before undoing the rollback to the safety snapshot of /);
  });
});

describe('labels of safety snapshots never nest, however long the chain of rollbacks and undos', () => {
  let box: Box;
  let service: ServiceContext;
  before(async () => {
    box = await sandbox();
    service = new ServiceContext({ home: box.home });
  });
  after(() => box.cleanup());

  test("every safety snapshot of a chain names the snapshot at its root once: 'before refactor', never a tag inside a tag", async () => {
    const dir = await folder(box, 'chain');
    const root = await createSnapshot(service, { path: dir, tag: 'before refactor' });
    const edit = (text: string): Promise<void> => writeFile(path.join(dir, 'a.txt'), text);
    const tags: string[] = [];
    const took = (r: { safety: SnapshotRecord | null }): SnapshotRecord => {
      assert.ok(r.safety, 'a safety snapshot was taken');
      tags.push(r.safety.tag ?? '');
      return r.safety;
    };
    await edit('refactored\n');
    const s1 = took(await rollback(service, root.id));
    const s2 = took(await undo(service, { target: dir })); // before undoing the rollback to 'before refactor'
    const s3 = took(await rollback(service, s2.id)); // redone: back to the state the undo left
    took(await undo(service, { target: dir }));
    await edit('more\n');
    const s5 = took(await rollback(service, s3.id));
    await edit('again\n');
    took(await rollback(service, s1.id, { paths: ['a.txt'] }));
    took(await undo(service, { target: dir }));
    assert.ok(s5);
    const safetyName = String.raw`the safety snapshot of \d{1,2} [A-Z][a-z]{2} \d\d:\d\d \('before refactor'\)`;
    const one = new RegExp(String.raw`^before (?:rolling back to|undoing the rollback to|restoring a\.txt from|undoing the restore of a\.txt from) (?:'before refactor'|${safetyName}), \d\d:\d\d$`);
    for (const tag of tags) {
      assert.match(tag, one);
      assert.equal(tag.split("'before refactor'").length, 2, `named once: ${tag}`);
    }
    assert.match(tags[1] ?? '', /^before undoing the rollback to 'before refactor', \d\d:\d\d$/);
    assert.match(tags[3] ?? '', new RegExp(`^before undoing the rollback to ${safetyName}, `), 'an undo of the rollback to a safety snapshot names it and its root');
    assert.match(tags[6] ?? '', new RegExp(`^before undoing the restore of a\\.txt from ${safetyName}, `), 'the undo of a one-file restore is said of the restore');
  });
});

describe('a rollback counts its result in the preview\'s words', () => {
  let box: Box;
  let service: ServiceContext;
  before(async () => {
    box = await sandbox();
    service = new ServiceContext({ home: box.home });
  });
  after(() => box.cleanup());

  const scenarios: [string, (dir: string) => Promise<void>, string[] | null][] = [
    ['every kind of change (files, folders, links, modes)', mutateEveryWay, null],
    ['a deleted project folder', (dir) => rm(dir, { recursive: true, force: true }), null],
    ['--only some paths', mutateEveryWay, ['src', 'run.sh']],
    ['a folder replaced by a file, a link retargeted', async (dir) => {
      await rm(path.join(dir, 'src'), { recursive: true });
      await writeFile(path.join(dir, 'src'), 'now a file\n');
      await symlink('elsewhere', path.join(dir, 'extra-link'));
    }, null],
  ];
  for (const [name, change, paths] of scenarios) {
    test(`preview counts equal result counts: ${name}`, async () => {
      const dir = path.join(box.root, name.replace(/\W+/g, '-'));
      await mkdir(dir);
      await buildEveryKindTree(dir);
      const snap = await createSnapshot(service, { path: dir });
      const original = await describeTree(dir);
      await change(dir);
      const preview = await previewRollback(service, snap.id, paths);
      assert.ok(preview.added.length + preview.removed.length + preview.modified.length > 0, 'the scenario changes something');
      const result = await rollback(service, snap.id, { paths });
      assert.deepEqual(counts(result.restored), [preview.modified.length, preview.removed.length, preview.added.length]);
      if (paths === null) assert.deepEqual(await describeTree(dir), original);
      // The undo too: its result equals the preview of restoring the safety snapshot, taken just before.
      assert.ok(result.safety);
      const undoPreview = await previewRollback(service, result.safety.id, paths);
      const undone = await undo(service, { target: dir });
      assert.deepEqual(counts(undone.restored), [undoPreview.modified.length, undoPreview.removed.length, undoPreview.added.length]);
    });
  }
});
