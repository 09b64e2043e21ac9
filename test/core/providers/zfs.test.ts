import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parseZfsFilesystems, parseZfsSnapshots } from '../../../src/core/providers/zfs.js';
import { zfsEnv, type ProviderEnv } from '../../helpers/provider-envs.js';
import { ServiceContext } from '../../../src/core/service/context.js';
import { createSnapshot } from '../../../src/core/service/create.js';
import { listWithSpace } from '../../../src/core/service/listing.js';
import { previewRollback } from '../../../src/core/service/preview.js';
import { providerChoice } from '../../../src/core/service/queries.js';
import { rollback } from '../../../src/core/service/rollback.js';

describe('ZFS', () => {
  test('zfs list -H -p output is parsed exactly; anything else is an error quoting it', () => {
    assert.deepEqual(parseZfsFilesystems('tank\t/tank\ntank/home\t/home\ntank/legacy\tlegacy\n'), [
      { name: 'tank', mountpoint: '/tank' }, { name: 'tank/home', mountpoint: '/home' }, { name: 'tank/legacy', mountpoint: 'legacy' },
    ]);
    const [snap] = parseZfsSnapshots('tank/home@snapctl-20261125-101010-abcdef\t0\t98816\t1764065410\n');
    assert.equal(snap?.referenced, 98816);
    assert.equal(snap?.creation.toISOString(), '2025-11-25T10:10:10.000Z');
    assert.throws(() => parseZfsSnapshots('NAME USED AVAIL REFER MOUNTPOINT\ntank/home@x 0B - 96.5K -\n'), /could not read the output of zfs list -t snapshot: "NAME USED/);
    assert.throws(() => parseZfsFilesystems('no datasets available\n'), /zfs list/);
  });

  describe('provider through a zfs stand-in', () => {
    let pe: ProviderEnv;
    let service: ServiceContext;
    before(async () => {
      pe = await zfsEnv();
      service = new ServiceContext({ home: pe.home, env: { ...process.env, ...pe.env } });
    });
    after(() => pe.cleanup());

    test('auto-detection picks ZFS for a folder inside a mounted dataset, and says why', async () => {
      const choice = await providerChoice(service, pe.target);
      assert.equal(choice.chosen, 'zfs');
      assert.match(choice.reports.find((r) => r.name === 'zfs')?.reason ?? '', /dataset tank\/home/);
      const record = await createSnapshot(service, { path: pe.target });
      assert.equal(record.provider, 'zfs');
      assert.equal(record.ref, `tank/home@snapctl-${record.id}`);
      assert.equal(record.size, 98816, 'size is the referenced bytes zfs reports');
    });

    test('uniqueBytes is what zfs get used says of each snapshot (what destroying it frees)', async () => {
      const listed = await listWithSpace(service, pe.target);
      assert.ok(listed.snapshots.length > 0);
      for (const s of listed.snapshots) assert.equal(s.uniqueBytes, 4096, `${s.id}: zfs get used`);
      assert.ok((await pe.calls()).some((c) => c[0] === 'zfs' && c[1] === 'get' && c.includes('used')));
    });

    test('a ZFS snapshot holds everything, yet a rollback leaves the folder\'s excludes and cache folders alone, and the preview says so', async () => {
      const { DEFAULT_POLICY } = await import('../../../src/core/service/context.js');
      const { CACHEDIR_SIGNATURE } = await import('../../../src/core/tree/excludes.js');
      const withExcludes = new ServiceContext({ home: pe.home, env: { ...process.env, ...pe.env }, policy: async () => ({ ...DEFAULT_POLICY, excludes: ['node_modules/'] }) });
      await mkdir(path.join(pe.target, 'node_modules'), { recursive: true });
      await mkdir(path.join(pe.target, 'cache'), { recursive: true });
      await writeFile(path.join(pe.target, 'node_modules', 'dep.js'), 'v1');
      await writeFile(path.join(pe.target, 'cache', 'CACHEDIR.TAG'), `${CACHEDIR_SIGNATURE}\n`);
      await writeFile(path.join(pe.target, 'cache', 'blob'), 'c1');
      await writeFile(path.join(pe.target, 'src.txt'), 'v1');
      const snap = await createSnapshot(withExcludes, { path: pe.target, provider: 'zfs' });
      assert.deepEqual(snap.excluded, { patterns: ['node_modules/'], cacheDirs: [] });
      await writeFile(path.join(pe.target, 'node_modules', 'dep.js'), 'v2');
      await writeFile(path.join(pe.target, 'node_modules', 'new.js'), 'new');
      await writeFile(path.join(pe.target, 'cache', 'blob'), 'c2');
      await writeFile(path.join(pe.target, 'src.txt'), 'v2');
      const preview = await previewRollback(withExcludes, snap.id);
      assert.deepEqual(preview.modified, ['src.txt']);
      assert.ok(preview.leftAlone.count >= 2, JSON.stringify(preview.leftAlone));
      await rollback(withExcludes, snap.id);
      assert.equal(await readFile(path.join(pe.target, 'src.txt'), 'utf8'), 'v1');
      assert.equal(await readFile(path.join(pe.target, 'node_modules', 'dep.js'), 'utf8'), 'v2', 'excluded: left as it is');
      assert.equal(await readFile(path.join(pe.target, 'node_modules', 'new.js'), 'utf8'), 'new', 'excluded: not removed as added since');
      assert.equal(await readFile(path.join(pe.target, 'cache', 'blob'), 'utf8'), 'c2', 'a cache folder is left alone');
    });

    test('a dataset mounted inside the folder: auto picks clone and says why; an explicit ZFS snapshot is refused', async () => {
      const child = path.join(pe.target, 'db');
      await mkdir(child, { recursive: true });
      const env = { ...process.env, ...pe.env, FAKE_ZFS_CHILD_MOUNT: child };
      const own = new ServiceContext({ home: pe.home, env });
      const choice = await providerChoice(own, pe.target);
      assert.equal(choice.chosen, 'clone');
      assert.match(choice.reports.find((r) => r.name === 'zfs')?.reason ?? '', /tank\/home\/db at .*db.*leaves out/);
      await assert.rejects(createSnapshot(own, { path: pe.target, provider: 'zfs' }), /mounted inside the folder/);
    });

    test('rolling back to an older snapshot keeps every newer one: zfs rollback is never used', async () => {
      const f = path.join(pe.target, 'f.txt');
      await writeFile(f, 'old\n');
      const older = await createSnapshot(service, { path: pe.target });
      await writeFile(f, 'new\n');
      const newer = await createSnapshot(service, { path: pe.target });
      await rollback(service, older.id);
      assert.equal(await readFile(f, 'utf8'), 'old\n');
      assert.ok(await pe.snapshotExists(newer.ref), 'the newer snapshot survives');
      await rollback(service, newer.id);
      assert.equal(await readFile(f, 'utf8'), 'new\n');
      const calls = await pe.calls();
      assert.equal(calls.some((c) => c[1] === 'rollback'), false);
      assert.equal(calls.some((c) => c[1] === 'destroy' && (c.includes('-r') || c.includes('-R'))), false);
      for (const c of calls) assert.ok(c.every((a) => typeof a === 'string' && !a.includes('\n')), 'argument arrays, no shell');
    });
  });
});
