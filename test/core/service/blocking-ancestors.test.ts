import assert from 'node:assert/strict';
import { mkdir, readFile, readlink, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, test } from 'node:test';
import { serviceSandbox } from '../../helpers/helpers.js';
import { createSnapshot } from '../../../src/core/service/create.js';
import { previewRollback } from '../../../src/core/service/preview.js';
import { rollback, undo } from '../../../src/core/service/rollback.js';
import { undoOffer } from '../../../src/core/service/status.js';

/** Restoring one path whose folder is now a file or a link: the thing in the way is a change of its own. */
describe('a path restored under a folder that is now something else', () => {
  const s = serviceSandbox();

  test('a file standing where the folder was is replaced as a change the preview names, and undo brings it back', async () => {
    const dir = path.join(s.box.project, 'file-in-the-way');
    await mkdir(path.join(dir, 'd'), { recursive: true });
    await writeFile(path.join(dir, 'd', 'x.txt'), 'x\n');
    const { id } = await createSnapshot(s.service, { path: dir });
    await rm(path.join(dir, 'd'), { recursive: true });
    await writeFile(path.join(dir, 'd'), 'IMPORTANT\n');
    const preview = await previewRollback(s.service, id, ['d/x.txt']);
    assert.ok(preview.modified.includes('d'), `the preview names d: ${JSON.stringify(preview)}`);
    const done = await rollback(s.service, id, { paths: ['d/x.txt'] });
    assert.equal(done.restored.restored, 1, 'd is replaced, and counted');
    assert.equal(await readFile(path.join(dir, 'd', 'x.txt'), 'utf8'), 'x\n');
    assert.match(done.safety?.tag ?? '', /^before restoring d from /, 'one path brought back is said as a restore');
    assert.match((await undoOffer(s.service, dir))?.label ?? '', /^restored d from .* at \d\d:\d\d$/);
    await undo(s.service, { target: dir });
    assert.equal(await readFile(path.join(dir, 'd'), 'utf8'), 'IMPORTANT\n', 'the file is back, not an empty folder');
  });

  test('a link standing where the folder was is replaced, never written through, and undo puts the link back', async () => {
    const dir = path.join(s.box.project, 'link-in-the-way');
    const outside = path.join(s.box.root, 'outside');
    await mkdir(path.join(dir, 'out'), { recursive: true });
    await mkdir(outside);
    await writeFile(path.join(dir, 'out', 'o.txt'), 'o\n');
    const { id } = await createSnapshot(s.service, { path: dir });
    await rm(path.join(dir, 'out'), { recursive: true });
    await symlink('../../outside', path.join(dir, 'out'));
    await rollback(s.service, id, { paths: ['out/o.txt'] });
    assert.equal(await readFile(path.join(dir, 'out', 'o.txt'), 'utf8'), 'o\n');
    assert.deepEqual(await readdir(outside), [], 'nothing written through the link');
    await undo(s.service, { target: dir });
    assert.equal(await readlink(path.join(dir, 'out')), '../../outside');
  });

  test('a link the snapshot holds below the folder in the way is refused as it is when that folder stands', async () => {
    const dir = path.join(s.box.project, 'link-below');
    await mkdir(path.join(dir, 'a', 'b'), { recursive: true });
    await writeFile(path.join(dir, 'a', 'b', 'y.txt'), 'y\n');
    await symlink('../../../outside-below', path.join(dir, 'a', 'b', 'c'));
    const { id } = await createSnapshot(s.service, { path: dir });
    await rm(path.join(dir, 'a', 'b'), { recursive: true });
    await writeFile(path.join(dir, 'a', 'b'), 'now a file\n');
    await assert.rejects(rollback(s.service, id, { paths: ['a/b/c/x.txt'] }), /a\/b\/c is a symbolic link in snapshot/);
    assert.equal(await readFile(path.join(dir, 'a', 'b'), 'utf8'), 'now a file\n', 'nothing was changed');
  });
});
