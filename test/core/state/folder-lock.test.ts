import assert from 'node:assert/strict';
import { chmod, mkdir, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { SnapctlError } from '../../../src/core/base/errors.js';
import { folderLockPath, runtimeDir } from '../../../src/core/state/folder-lock.js';
import { withLock } from '../../../src/core/state/locks.js';
import { sandbox } from '../../helpers/helpers.js';
import { ServiceContext } from '../../../src/core/service/context.js';
import { createSnapshot } from '../../../src/core/service/create.js';
import { rollback } from '../../../src/core/service/rollback.js';

describe('one rollback at a time on a folder, whichever state folder asks', () => {
  let box: Awaited<ReturnType<typeof sandbox>>;
  before(async () => { box = await sandbox(); });
  after(() => box.cleanup());

  test('the lock is the folder itself: its path through a symlink names the same lock', async () => {
    const env = { XDG_RUNTIME_DIR: box.root };
    const link = path.join(box.root, 'link');
    await symlink(box.project, link);
    const dir = await runtimeDir(env);
    assert.equal(await folderLockPath(dir, link), await folderLockPath(dir, box.project));
  });

  test('a rollback from a second SNAPCTL_HOME waits for the first and, past its wait, refuses', async () => {
    const env = { ...process.env, XDG_RUNTIME_DIR: box.root };
    await mkdir(path.join(box.project, 'src'), { recursive: true });
    await writeFile(path.join(box.project, 'src', 'a.js'), 'one\n');
    const second = new ServiceContext({ home: path.join(box.root, 'home-b'), env, lockWaitMs: 300 });
    const snap = await createSnapshot(second, { path: box.project });
    await writeFile(path.join(box.project, 'src', 'a.js'), 'two\n');
    const lock = await folderLockPath(await runtimeDir(env), box.project);
    assert.ok(lock);
    // The first state folder's rollback holds the folder (as its service would, from another process).
    await withLock(lock, { waitMs: 1_000, what: 'the folder' }, async () => {
      await assert.rejects(rollback(second, snap.id), (err: unknown) => err instanceof SnapctlError && err.kind === 'busy' && err.message.includes(box.project));
    });
    await rollback(second, snap.id);
  });

  test('a runtime folder another user could have made (not private) is refused clearly', async () => {
    const xdg = path.join(box.root, 'shared-runtime');
    await mkdir(path.join(xdg, 'snapctl'), { recursive: true, mode: 0o777 });
    await chmod(path.join(xdg, 'snapctl'), 0o777);
    await assert.rejects(runtimeDir({ XDG_RUNTIME_DIR: xdg }), /is not a private folder of this user/);
  });
});
