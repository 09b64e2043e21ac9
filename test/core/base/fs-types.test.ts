import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, rm, statfs } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { clonesOnFilesystemOf } from '../../../src/core/base/fs-types.js';
import { freesText } from '../../../src/shared/format.js';
import { tempDir } from '../../helpers/helpers.js';
import { btrfsUnavailable } from '../../helpers/provider-envs.js';

test('a store on btrfs shares blocks with the folder (deleting frees up to its cost); one on ext4 or tmpfs does not', { skip: btrfsUnavailable() ?? false }, async (t) => {
  const root = await tempDir();
  const mnt = path.join(root, 'mnt');
  await mkdir(mnt);
  execFileSync('truncate', ['-s', '128M', path.join(root, 'img')]);
  execFileSync('mkfs.btrfs', ['-q', path.join(root, 'img')]);
  execFileSync('mount', ['-o', 'loop', path.join(root, 'img'), mnt]);
  t.after(async () => { execFileSync('umount', [mnt]); await rm(root, { recursive: true, force: true }); });
  assert.equal(await clonesOnFilesystemOf(mnt), true);
  // ext4 or tmpfs (where the temp folders are here) makes real copies.
  if ([0xef53, 0x01021994].includes((await statfs(root)).type)) assert.equal(await clonesOnFilesystemOf(root), false);
});

test('the delete dialog says "up to" where the store shares blocks with the folder', () => {
  const s = { uniqueBytes: 5_000_000, size: 6_000_000 };
  assert.equal(freesText(s), 'Frees 5.0 MB.');
  assert.equal(freesText(s, true), 'Frees up to 5.0 MB (less where the folder still holds the same files).');
});
