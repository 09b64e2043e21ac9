import assert from 'node:assert/strict';
import fs from 'node:fs';
import { chmod, chown, lstat, mkdir, readdir, writeFile } from 'node:fs/promises';
import { syncBuiltinESMExports } from 'node:module';
import path from 'node:path';
import { describe, test, type TestContext } from 'node:test';
import { btrfsEnv, btrfsUnavailable, cloneEnv, type ProviderEnv } from '../../helpers/provider-envs.js';
import { ServiceContext } from '../../../src/core/service/context.js';
import { createSnapshot } from '../../../src/core/service/create.js';
import { rollback } from '../../../src/core/service/rollback.js';

/**
 * Every copy snapctl makes of a file with set-uid or set-gid bits: `restore --to` (and the popover's Save a
 * copy), a rollback's files, the clone pool's objects. A copy is made by whoever runs snapctl (root, often),
 * so a set-id bit kept on a copy whose owner is not the recorded one makes a program that runs as that user.
 */
const NOBODY = 65534;
const asRoot = process.getuid?.() === 0;
const btrfsSkip = btrfsUnavailable();

/** Clone with its store on the folder's btrfs: copies are reflink clones, made by copyFile with the file's mode. */
async function cloneWithReflinks(): Promise<ProviderEnv> {
  const pe = await btrfsEnv();
  return { ...pe, provider: 'clone', home: path.join(path.dirname(pe.target), 'home') };
}

const cases: { name: string; make: () => Promise<ProviderEnv>; skip: string | false }[] = [
  { name: 'clone', make: cloneEnv, skip: asRoot ? false : 'needs root to give files to nobody' },
  { name: 'clone with reflinks (btrfs)', make: cloneWithReflinks, skip: btrfsSkip ?? false },
  { name: 'btrfs (real, loop-mounted image)', make: () => btrfsEnv(), skip: btrfsSkip ?? false },
];

async function serviceOn(t: TestContext, make: () => Promise<ProviderEnv>): Promise<{ pe: ProviderEnv; service: ServiceContext }> {
  const pe = await make();
  t.after(() => pe.cleanup());
  return { pe, service: new ServiceContext({ home: pe.home, env: { ...process.env, ...pe.env } }) };
}

async function tool(file: string, mode: number, uid: number, gid: number): Promise<void> {
  await writeFile(file, '#!/bin/sh\nid\n');
  await chown(file, uid, gid);
  await chmod(file, mode);
}

for (const c of cases) {
  describe(`set-id bits on copies: ${c.name}`, { skip: c.skip }, () => {
    test("restore --to, as root, of another user's set-uid tool gives root's copy without set-uid; root's own keeps it", async (t) => {
      const { pe, service } = await serviceOn(t, c.make);
      await tool(path.join(pe.target, 'theirs'), 0o4755, NOBODY, NOBODY);
      await tool(path.join(pe.target, 'mine'), 0o4755, 0, 0);
      await tool(path.join(pe.target, 'group'), 0o2755, 0, NOBODY);
      await tool(path.join(pe.target, 'sticky'), 0o1755, 0, 0);
      const record = await createSnapshot(service, { path: pe.target, provider: pe.provider });
      const out = path.join(pe.root, 'copies');
      await mkdir(out);
      const modes: Record<string, [number, number, number]> = {};
      for (const name of ['theirs', 'mine', 'group', 'sticky']) {
        const done = await service.history.restoreTo(record, name, path.join(out, name), { force: false });
        const st = await lstat(done.written);
        modes[name] = [st.mode & 0o7777, st.uid, st.gid];
      }
      assert.deepEqual(modes, {
        theirs: [0o755, 0, 0],
        mine: [0o4755, 0, 0],
        group: [0o755, 0, 0],
        sticky: [0o755, 0, 0],
      });
    });

    test('a rollback as root never makes a set-id file before its owner is right', async (t) => {
      const { pe, service } = await serviceOn(t, c.make);
      const file = path.join(pe.target, 'tool');
      await tool(file, 0o4755, NOBODY, NOBODY);
      // Large enough that clone copies it with copyFile, not the reflink binding.
      await fs.promises.appendFile(file, Buffer.alloc(512 * 1024, 0x23));
      await writeFile(path.join(pe.target, 'plain.txt'), 'plain\n');
      const record = await createSnapshot(service, { path: pe.target, provider: pe.provider });
      await fs.promises.rm(file);
      // What each file is just before the restore gives it its owner: until then it is root's.
      const seen: { mode: number; uid: number; to: number }[] = [];
      const original = fs.lchownSync;
      fs.lchownSync = (p, uid, gid) => {
        const st = fs.lstatSync(p);
        seen.push({ mode: st.mode & 0o7777, uid: st.uid, to: uid });
        original(p, uid, gid);
      };
      syncBuiltinESMExports();
      try {
        await rollback(service, record.id);
      } finally {
        fs.lchownSync = original;
        syncBuiltinESMExports();
      }
      assert.ok(seen.some((s) => s.to === NOBODY), 'the tool was given back to nobody');
      assert.deepEqual(seen.filter((s) => (s.mode & 0o6000) !== 0 && s.uid !== s.to), [], 'no file was set-id for an owner it did not have');
      const st = await lstat(file);
      assert.deepEqual([st.mode & 0o7777, st.uid], [0o4755, NOBODY], 'and it comes back exactly');
    });
  });
}

describe('set-id bits in the clone pool', { skip: btrfsSkip ?? false }, () => {
  test('objects cloned on a filesystem with reflinks are private files, never set-id programs', async (t) => {
    const { pe, service } = await serviceOn(t, cloneWithReflinks);
    // Large files, and names that are not UTF-8, go through copyFile, which gives the object the file's mode.
    const home = pe.home;
    await writeFile(path.join(pe.target, 'big'), Buffer.alloc(1024 * 1024, 7));
    await chown(path.join(pe.target, 'big'), NOBODY, NOBODY);
    await chmod(path.join(pe.target, 'big'), 0o4755);
    const odd = Buffer.from(`${pe.target}/caf\xe9`, 'latin1');
    await writeFile(odd, '#!/bin/sh\n');
    await chown(odd, NOBODY, NOBODY);
    await chmod(odd, 0o6755);
    await tool(path.join(pe.target, 'small'), 0o4755, NOBODY, NOBODY);
    await createSnapshot(service, { path: pe.target, provider: 'clone' });
    const objects = path.join(home, 'clone', 'objects');
    const modes: number[] = [];
    for (const dir of await readdir(objects)) for (const name of await readdir(path.join(objects, dir))) modes.push((await lstat(path.join(objects, dir, name))).mode & 0o7777);
    assert.equal(modes.length, 3);
    assert.deepEqual(modes.filter((m) => (m & 0o7000) !== 0), [], 'no object keeps a set-id bit');
  });
});
