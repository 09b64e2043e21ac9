import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, test, type TestContext } from 'node:test';
import type { SnapshotRecord } from '../../../src/shared/model.js';
import { buildEveryKindTree, mutateEveryWay } from '../../helpers/fixtures.js';
import { describeTree } from '../../helpers/helpers.js';
import { apfsEnv, btrfsEnv, btrfsUnavailable, cloneEnv, zfsEnv, type ProviderEnv } from '../../helpers/provider-envs.js';
import { ServiceContext } from '../../../src/core/service/context.js';
import { createSnapshot } from '../../../src/core/service/create.js';
import { deleteSnapshot } from '../../../src/core/service/delete.js';
import { previewRollback } from '../../../src/core/service/preview.js';
import { listSnapshots } from '../../../src/core/service/queries.js';
import { rollback, undo } from '../../../src/core/service/rollback.js';

/**
 * One contract, every provider: clone for real, btrfs for real on a loop-mounted image (root only), ZFS and
 * APFS through stand-ins for zfs/tmutil/mount_apfs placed first on PATH that print the real tools' output.
 * Every case makes its own provider environment, so any one of them runs alone (--test-name-pattern) or in
 * any order.
 */
const btrfsSkip = btrfsUnavailable();
if (btrfsSkip) console.log(`# ${btrfsSkip}`);

const cases: { name: string; make: () => Promise<ProviderEnv>; skip: string | false }[] = [
  { name: 'clone', make: cloneEnv, skip: false },
  { name: 'btrfs (real, loop-mounted image)', make: () => btrfsEnv(), skip: btrfsSkip ?? false },
  { name: 'zfs (zfs stand-in on PATH)', make: zfsEnv, skip: false },
  { name: 'apfs (tmutil and mount_apfs stand-ins on PATH)', make: apfsEnv, skip: false },
];

for (const c of cases) {
  describe(`provider contract: ${c.name}`, { skip: c.skip }, () => {
    /** A place of its own for this provider, with a service over it, removed when the test ends. */
    const fresh = async (t: TestContext): Promise<{ pe: ProviderEnv; service: ServiceContext }> => {
      const pe = await c.make();
      t.after(() => pe.cleanup());
      return { pe, service: new ServiceContext({ home: pe.home, env: { ...process.env, ...pe.env } }) };
    };
    /** The same, with the every-kind fixture in the folder and one snapshot of it. */
    const snapshotted = async (t: TestContext): Promise<{ pe: ProviderEnv; service: ServiceContext; snap: SnapshotRecord }> => {
      const { pe, service } = await fresh(t);
      await buildEveryKindTree(pe.target);
      const snap = await createSnapshot(service, { path: pe.target, provider: pe.provider, tag: 'contract' });
      return { pe, service, snap };
    };

    test('create records a ready snapshot made by this provider', async (t) => {
      const { pe, service } = await fresh(t);
      await buildEveryKindTree(pe.target);
      const record = await createSnapshot(service, { path: pe.target, provider: pe.provider, tag: 'contract' });
      assert.equal(record.provider, pe.provider);
      assert.equal(record.state, 'ready');
      assert.ok(await pe.snapshotExists(record.ref), `the ${pe.provider} snapshot ${record.ref} exists`);
      assert.deepEqual((await listSnapshots(service)).map((r) => r.id), [record.id]);
    });

    test('a snapshotted git repository stays clean: nothing of snapctl\'s appears in git status', async (t) => {
      const { pe, service } = await fresh(t);
      const git = (...args: string[]): string => execFileSync('git', ['-C', pe.target, '-c', 'user.email=t@example.com', '-c', 'user.name=t', ...args]).toString();
      git('init', '-q');
      await writeFile(path.join(pe.target, 'README.md'), '# repo\n');
      git('add', '.');
      git('commit', '-qm', 'first');
      const snap = await createSnapshot(service, { path: pe.target, provider: pe.provider });
      await writeFile(path.join(pe.target, 'README.md'), '# changed\n');
      await rollback(service, snap.id);
      assert.equal(git('status', '--porcelain', '--ignored'), '');
    });

    test('diff lists what was added, removed and modified since', async (t) => {
      const { pe, service, snap } = await snapshotted(t);
      await writeFile(path.join(pe.target, 'src', 'index.ts'), 'export const answer = 43;\n');
      await writeFile(path.join(pe.target, 'added.txt'), 'new\n');
      await rm(path.join(pe.target, 'run.sh'));
      const { added, removed, modified } = await previewRollback(service, snap.id);
      assert.deepEqual({ added, removed, modified }, { added: ['added.txt'], removed: ['run.sh'], modified: ['src/index.ts'] });
      const scoped = await previewRollback(service, snap.id, ['src']);
      assert.deepEqual({ added: scoped.added, removed: scoped.removed, modified: scoped.modified }, { added: [], removed: [], modified: ['src/index.ts'] });
    });

    test('rollback restores every kind of entry exactly after a safety snapshot; undo brings the changes back', async (t) => {
      const { pe, service, snap } = await snapshotted(t);
      const original = await describeTree(pe.target);
      await mutateEveryWay(pe.target);
      const mutated = await describeTree(pe.target);
      const result = await rollback(service, snap.id);
      assert.deepEqual(await describeTree(pe.target), original);
      assert.equal(result.safety?.provider, pe.provider);
      assert.equal(result.safety?.trigger, 'safety');
      await undo(service);
      assert.deepEqual(await describeTree(pe.target), mutated);
    });

    test('a partial rollback restores only the chosen path', async (t) => {
      const { pe, service } = await fresh(t);
      await mkdir(path.join(pe.target, 'part', 'a'), { recursive: true });
      await mkdir(path.join(pe.target, 'part', 'b'), { recursive: true });
      await writeFile(path.join(pe.target, 'part', 'a', 'f'), 'a1');
      await writeFile(path.join(pe.target, 'part', 'b', 'f'), 'b1');
      const snap = await createSnapshot(service, { path: pe.target, provider: pe.provider });
      await writeFile(path.join(pe.target, 'part', 'a', 'f'), 'a2');
      await writeFile(path.join(pe.target, 'part', 'a', 'extra'), 'x');
      await writeFile(path.join(pe.target, 'part', 'b', 'f'), 'b2');
      await rollback(service, snap.id, { paths: ['part/a'] });
      assert.equal(await readFile(path.join(pe.target, 'part', 'a', 'f'), 'utf8'), 'a1');
      assert.deepEqual(await readdir(path.join(pe.target, 'part', 'a')), ['f']);
      assert.equal(await readFile(path.join(pe.target, 'part', 'b', 'f'), 'utf8'), 'b2');
    });

    test('delete removes the record and the snapshot itself', async (t) => {
      const { pe, service, snap } = await snapshotted(t);
      assert.ok(await pe.snapshotExists(snap.ref));
      await deleteSnapshot(service, snap.id);
      assert.equal(await pe.snapshotExists(snap.ref), false);
      assert.equal((await listSnapshots(service)).some((r) => r.id === snap.id), false);
    });

    test('bad ids are refused, and a record whose ref was tampered with is refused without touching anything', async (t) => {
      const { pe, service, snap } = await snapshotted(t);
      for (const bad of ['../../etc', '20261124-215500-a1b2c3/../x', '', 'x'.repeat(5000), '20261124-215500-A1B2C3']) {
        await assert.rejects(rollback(service, bad), /not a snapshot id/);
        await assert.rejects(deleteSnapshot(service, bad), /not a snapshot id/);
      }
      await assert.rejects(rollback(service, '20991231-235959-abcdef'), /no snapshot/);
      if (pe.provider === 'clone') return; // clone refs are manifest ids inside its own store
      await service.store.update((s) => { const r = s.snapshots.find((x) => x.id === snap.id); if (r) r.ref = '/'; });
      const before = await describeTree(pe.target);
      await assert.rejects(rollback(service, snap.id), /unexpected/);
      await assert.rejects(deleteSnapshot(service, snap.id), /unexpected/);
      assert.deepEqual(await describeTree(pe.target), before);
      assert.ok((await pe.calls()).every((call) => !call.includes('/') || call[0] !== 'zfs' || call[1] !== 'destroy'));
    });
  });
}
