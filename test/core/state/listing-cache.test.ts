import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { execFileSync } from 'node:child_process';
import { appendFile, copyFile, mkdir, readFile, rename, rm, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { cachedListing, keepListing, listingInputs, listingIsFixed, type ListingFs } from '../../../src/core/state/listing-cache.js';
import { HomeLayout } from '../../../src/core/state/paths.js';
import type { SnapshotRecord } from '../../../src/shared/model.js';
import { tempDir } from '../../helpers/helpers.js';

/** A listing is kept only once its inputs have settled (2 s, racy timestamps): the tests' inputs are new. */
const LATER = (): number => Date.now() + 10_000;

const record = (i: number, over: Partial<SnapshotRecord> = {}): SnapshotRecord => ({
  id: `20250101-0000${String(i).padStart(2, '0')}-${i.toString(16).padStart(6, '0')}`, provider: 'clone', target: '/p', tag: null, trigger: 'manual',
  createdAt: `2025-01-01T00:00:${String(i).padStart(2, '0')}.000Z`, size: 1, addedBytes: 1, files: 1, state: 'ready', ref: `r${i}`, note: null, ...over,
});

/** The files a reader opened or read whole, through the fs it was given. */
function recording(): { fs: ListingFs; read: string[] } {
  const read: string[] = [];
  const readFileSync = ((file: fs.PathOrFileDescriptor, ...rest: unknown[]) => {
    if (typeof file !== 'number') read.push(String(file));
    return (fs.readFileSync as (...a: unknown[]) => unknown)(file, ...rest);
  }) as typeof fs.readFileSync;
  const openSync = ((file: fs.PathLike, ...rest: unknown[]) => {
    read.push(String(file));
    return (fs.openSync as (...a: unknown[]) => unknown)(file, ...rest);
  }) as typeof fs.openSync;
  return { fs: { statSync: fs.statSync, readdirSync: fs.readdirSync, readFileSync, openSync, closeSync: fs.closeSync }, read };
}

describe('the listing cache', () => {
  let root: string;
  let layout: HomeLayout;
  const TEXT = '[{"id":"listed"}]\n';

  beforeEach(async () => {
    root = await tempDir();
    layout = new HomeLayout(path.join(root, 'home'));
    await mkdir(path.join(layout.cloneDir, 'manifests'), { recursive: true });
    await writeFile(layout.storeFile, JSON.stringify({ version: 1, snapshots: [record(1)], rollbacks: [], generation: 3 }));
    await writeFile(layout.storeGenerationFile, '3\n');
    await writeFile(path.join(layout.cloneDir, 'space.json'), '{}');
  });
  afterEach(() => rm(root, { recursive: true, force: true }));

  async function kept(): Promise<void> {
    const before = listingInputs(layout);
    assert.ok(before);
    assert.equal(await keepListing(layout, before, LATER(), TEXT), true);
  }

  test('a kept listing is printed from the cache file alone: neither the index nor a manifest nor the space index is read', async () => {
    await kept();
    const { fs: reader, read } = recording();
    assert.equal(cachedListing(layout, reader)?.toString(), TEXT);
    assert.deepEqual(read, [layout.listingCacheFile]);
  });

  test('any write of an input makes the cache unused: the index replaced by the same bytes, edited in place with its mtime put back, its generation counted, a manifest added, the space index or the settings written', async () => {
    const changes: [string, () => Promise<void>][] = [
      ['store.json replaced by a copy of itself', async () => { await copyFile(layout.storeFile, `${layout.storeFile}.new`); await rename(`${layout.storeFile}.new`, layout.storeFile); }],
      ['store.json edited in place, same size, mtime put back', async () => {
        // touch -r keeps the nanoseconds, which utimes from Node rounds: only the ctime tells.
        const reference = path.join(root, 'times');
        await writeFile(reference, '');
        execFileSync('touch', ['-r', layout.storeFile, reference]);
        const text = await readFile(layout.storeFile, 'utf8');
        await writeFile(layout.storeFile, text.replace('"generation":3', '"generation":4'));
        execFileSync('touch', ['-r', reference, layout.storeFile]);
        const [was, is] = [await stat(reference, { bigint: true }), await stat(layout.storeFile, { bigint: true })];
        assert.equal(is.mtimeNs, was.mtimeNs);
      }],
      ['store.generation counted on', () => writeFile(layout.storeGenerationFile, '4\n')],
      ['a manifest added', () => writeFile(path.join(layout.cloneDir, 'manifests', 'r2.json'), '{}')],
      ['space.json rewritten', () => writeFile(path.join(layout.cloneDir, 'space.json'), '{ }')],
      ['settings.json written', () => writeFile(layout.settingsFile, '{"version":1}')],
      ['space.json removed', () => rm(path.join(layout.cloneDir, 'space.json'))],
    ];
    for (const [what, change] of changes) {
      await kept();
      assert.equal(cachedListing(layout)?.toString(), TEXT, what);
      await change();
      assert.equal(cachedListing(layout), null, what);
    }
  });

  test('not answered while a create is pending or a rollback journal is there, nor without an index', async () => {
    await kept();
    await mkdir(path.join(layout.root, 'pending'));
    await writeFile(path.join(layout.root, 'pending', '20250101-000001-000001.json'), '{}');
    assert.equal(cachedListing(layout), null, 'pending create');
    await rm(path.join(layout.root, 'pending'), { recursive: true });
    assert.equal(cachedListing(layout)?.toString(), TEXT);
    await mkdir(layout.journalDir);
    await writeFile(path.join(layout.journalDir, 'abc.json'), '{}');
    assert.equal(cachedListing(layout), null, 'rollback journal');
    await rm(layout.journalDir, { recursive: true });
    await rm(layout.storeFile);
    assert.equal(listingInputs(layout), null, 'no index');
    assert.equal(cachedListing(layout), null, 'no index');
  });

  test('an input that cannot be looked at (a file where a folder should be) means no cache, never a failed list', async () => {
    await rm(layout.cloneDir, { recursive: true });
    await writeFile(layout.cloneDir, 'not a folder');
    assert.equal(listingInputs(layout), null);
    assert.equal(cachedListing(layout), null);
  });

  test('a listing whose inputs changed while it was computed, or just before, is not kept', async () => {
    const before = listingInputs(layout);
    assert.ok(before);
    await appendFile(layout.settingsFile, '{}');
    assert.equal(await keepListing(layout, before, LATER(), TEXT), false, 'changed meanwhile');
    const settled = listingInputs(layout);
    assert.ok(settled);
    assert.equal(await keepListing(layout, settled, Date.now(), TEXT), false, 'changed within the last 2 s');
    await assert.rejects(stat(layout.listingCacheFile), { code: 'ENOENT' });
  });

  test('what a keep killed part way left is removed by the next keep, once it is no longer being written', async () => {
    const left = `${layout.listingCacheFile}.tmp-123-abcdef01`;
    const writing = `${layout.listingCacheFile}.tmp-124-abcdef02`;
    await writeFile(left, 'half');
    await writeFile(writing, 'half');
    const old = new Date(Date.now() - 60_000);
    await utimes(left, old, old);
    await kept();
    await assert.rejects(stat(left), { code: 'ENOENT' });
    await stat(writing);
  });

  test('a cache file replaced by a link is not read through it', async () => {
    await kept();
    const elsewhere = path.join(root, 'elsewhere');
    await rename(layout.listingCacheFile, elsewhere);
    await symlink(elsewhere, layout.listingCacheFile);
    assert.equal(cachedListing(layout), null);
  });

  test('costs computed from the manifests because the space index could not be written are not kept', async () => {
    await rm(path.join(layout.cloneDir, 'space.json'));
    const before = listingInputs(layout);
    assert.ok(before);
    assert.equal(await keepListing(layout, before, LATER(), TEXT), false);
    // No manifests folder at all (no clone data): nothing unread to vouch for.
    await rm(path.join(layout.cloneDir, 'manifests'), { recursive: true });
    const bare = listingInputs(layout);
    assert.ok(bare);
    assert.equal(await keepListing(layout, bare, LATER(), TEXT), true);
  });

  test('a damaged or cut-short cache file is not printed', async () => {
    await kept();
    const whole = await readFile(layout.listingCacheFile);
    for (const damaged of [whole.subarray(0, whole.length - 3), Buffer.concat([whole, Buffer.from('x')]), Buffer.from('not json\n[]\n'), Buffer.alloc(whole.length), Buffer.from('')]) {
      await writeFile(layout.listingCacheFile, damaged);
      assert.equal(cachedListing(layout), null);
    }
  });

  test('only listings every live record of which is clone\'s are fixed by the files: btrfs and ZFS costs move, APFS snapshots vanish', () => {
    assert.equal(listingIsFixed([record(1), record(2)]), true);
    assert.equal(listingIsFixed([record(1), record(2, { provider: 'btrfs', state: 'vanished' })]), true);
    for (const provider of ['btrfs', 'zfs', 'apfs'] as const) assert.equal(listingIsFixed([record(1), record(2, { provider })]), false, provider);
  });
});
