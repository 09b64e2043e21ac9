import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { lstat, mkdir, readdir, readFile, readlink, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { writeFileAtomic } from '../../../src/core/state/atomic-write.js';
import { sandbox } from '../../helpers/helpers.js';

describe('a state file is written whole or not at all', () => {
  let box: Awaited<ReturnType<typeof sandbox>>;
  before(async () => { box = await sandbox(); });
  after(() => box.cleanup());

  test('a link put in its place is replaced, never written through, and the file is 0600 whatever the umask', async () => {
    const outside = path.join(box.root, 'outside.json');
    await writeFile(outside, 'outside\n');
    const file = path.join(box.root, 'store.json');
    await symlink(outside, file);
    const old = process.umask(0o000);
    try {
      await writeFileAtomic(file, '{"new":true}\n');
    } finally {
      process.umask(old);
    }
    assert.equal(await readFile(outside, 'utf8'), 'outside\n');
    const st = await lstat(file);
    assert.ok(st.isFile());
    assert.equal(st.mode & 0o777, 0o600);
    assert.equal(await readFile(file, 'utf8'), '{"new":true}\n');
  });

  test('on a disk that has room for part of it, it fails with ENOSPC and leaves the old file whole and no temporary file',
    { skip: process.getuid?.() === 0 ? false : 'needs root to mount a tmpfs' }, async () => {
      const disk = path.join(box.root, 'disk');
      await mkdir(disk);
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', disk]);
      try {
        const file = path.join(disk, 'store.json');
        await writeFile(file, 'old and whole\n');
        // Everything but two pages taken: a 40 KB write gets a short write from the kernel, not an error.
        await writeFile(path.join(disk, 'filler'), Buffer.alloc(52 * 1024));
        await assert.rejects(writeFileAtomic(file, 'x'.repeat(40 * 1024)), /ENOSPC/);
        assert.equal(await readFile(file, 'utf8'), 'old and whole\n');
        assert.deepEqual((await readdir(disk)).sort(), ['filler', 'store.json']);
        assert.equal(await readlink(file).catch(() => 'not a link'), 'not a link');
      } finally {
        execFileSync('umount', [disk]);
      }
    });
});
