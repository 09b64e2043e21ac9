import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { appendFile, chmod, link, lstat, mkdir, rm, symlink, unlink, utimes, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import path from 'node:path';
import { test } from 'node:test';
import { fileEntry, treeEntry, type ManifestEntry } from '../../../src/core/tree/manifest.js';
import { walk, type WalkOptions } from '../../../src/core/tree/walk.js';
import { listingDifferences, listingFromManifest, sideOf, walkChanged, type NarrowedParts } from '../../../src/core/tree/walk-changed.js';
import { syncCookieName } from '../../../src/core/tree/temp-names.js';
import { CACHEDIR_SIGNATURE, excludeMatcher } from '../../../src/core/tree/excludes.js';
import { tempDir } from '../../helpers/helpers.js';

async function tree(): Promise<string> {
  const root = await tempDir('snapctl-walk-changed-');
  await mkdir(path.join(root, 'src/deep/er'), { recursive: true });
  await mkdir(path.join(root, 'docs'));
  await writeFile(path.join(root, 'src/a.ts'), 'a');
  await writeFile(path.join(root, 'src/deep/b.ts'), 'b');
  await writeFile(path.join(root, 'src/deep/er/c.ts'), 'c');
  await writeFile(path.join(root, 'docs/readme'), 'r');
  await writeFile(path.join(root, 'top'), 't');
  return root;
}

/** Narrowed by `changed` from the walk before `change`, it must be the walk after it, field for field. */
async function same(root: string, change: () => Promise<void>, changed: string[], options: WalkOptions = {}): Promise<void> {
  const base = await walk(root, options);
  // A folder's mtime is only as fine as the filesystem's clock tick: a change in the same tick may leave it.
  await new Promise((r) => setTimeout(r, 5));
  await change();
  const narrowed = await walkChanged(root, base, changed, options);
  const full = await walk(root, options);
  assert.deepEqual(listingDifferences(narrowed, full), []);
  assert.deepEqual(narrowed, full);
}

test('a file made deep inside moves its folder\'s mtime: the folders on its way are described again', async (t) => {
  const root = await tree();
  t.after(() => rm(root, { recursive: true, force: true }));
  // A wide folder on the way: only the name on the way is described again, its siblings stay as in the base.
  for (let i = 0; i < 50; i++) await mkdir(path.join(root, `src/pkg-${i}`));
  await same(root, () => writeFile(path.join(root, 'src/pkg-7/new.js'), 'n'), ['src/pkg-7/new.js']);
  await same(root, () => writeFile(path.join(root, 'src/deep/er/new.ts'), 'n'), ['src/deep/er/new.ts']);
  await same(root, () => unlink(path.join(root, 'src/deep/b.ts')), ['src/deep/b.ts']);
  await same(root, () => appendFile(path.join(root, 'src/a.ts'), 'more'), ['src/a.ts']);
});

test('a folder holding a changed name describes only the names that changed, were made or are gone: the rest are the base\'s very entries', async (t) => {
  const root = await tree();
  t.after(() => rm(root, { recursive: true, force: true }));
  await mkdir(path.join(root, 'wide'));
  for (let i = 0; i < 40; i++) await writeFile(path.join(root, `wide/f${i}`), `${i}`);
  const base = await walk(root);
  await new Promise((r) => setTimeout(r, 5));
  await appendFile(path.join(root, 'wide/f7'), 'more');
  // Made and removed with no event naming them: the folder's one readdir still finds both.
  await writeFile(path.join(root, 'wide/unreported'), 'u');
  await unlink(path.join(root, 'wide/f9'));
  const parts: NarrowedParts = { whole: false, fresh: [], dropped: [] };
  const narrowed = await walkChanged(root, base, ['wide/f7'], {}, parts);
  assert.deepEqual(narrowed, await walk(root));
  assert.deepEqual(parts.fresh.map((e) => e.path), ['wide', 'wide/f7', 'wide/unreported']);
  assert.deepEqual(parts.dropped.map((e) => e.path), ['wide', 'wide/f7', 'wide/f9']);
  const before = new Map(base.entries.map((e) => [e.path, e]));
  for (const e of narrowed.entries.filter((x) => x.path.startsWith('wide/f') && x.path !== 'wide/f7')) assert.equal(before.get(e.path), e, e.path);
});

test('an excluded name in the top folder removed or made: what the base said of it goes, what a walk says now comes', async (t) => {
  const root = await tree();
  t.after(() => rm(root, { recursive: true, force: true }));
  const skip = await excludeMatcher(['*.log']);
  const options: WalkOptions = skip ? { skip } : {};
  await writeFile(path.join(root, 'debug.log'), 'x');
  await writeFile(path.join(root, 'keep.log'), 'x');
  await same(root, () => unlink(path.join(root, 'debug.log')), ['debug.log'], options);
  await same(root, () => writeFile(path.join(root, 'new.log'), 'x'), ['new.log'], options);
  // Removed with no event naming it, beside a reported change: the top folder's readdir finds it gone.
  await same(root, async () => { await unlink(path.join(root, 'keep.log')); await appendFile(path.join(root, 'top'), 'more'); }, ['top'], options);
});

test('a changed folder is walked whole, and what the base held where a folder is no more is dropped', async (t) => {
  const root = await tree();
  t.after(() => rm(root, { recursive: true, force: true }));
  await same(root, async () => {
    await rm(path.join(root, 'src/deep'), { recursive: true });
    await writeFile(path.join(root, 'src/deep'), 'now a file');
  }, ['src/deep']);
  await same(root, async () => {
    await mkdir(path.join(root, 'made/x/y'), { recursive: true });
    await writeFile(path.join(root, 'made/x/y/z'), 'z');
  }, ['made']);
  await same(root, () => chmod(path.join(root, 'docs'), 0o700), ['docs']);
});

test('a link made or removed moves the other names\' link count and ctime: they are described again', async (t) => {
  const root = await tree();
  t.after(() => rm(root, { recursive: true, force: true }));
  // Only the new name is reported; docs/readme's nlink and ctime change all the same.
  await same(root, () => link(path.join(root, 'docs/readme'), path.join(root, 'src/deep/er/again')), ['src/deep/er/again']);
  await same(root, () => unlink(path.join(root, 'src/deep/er/again')), ['src/deep/er/again']);
  await same(root, () => symlink('../top', path.join(root, 'docs/link')), ['docs/link']);
});

test('marks and side lists come out as a whole walk makes them: sockets, excludes, cache folders, leftovers', async (t) => {
  const root = await tree();
  t.after(() => rm(root, { recursive: true, force: true }));
  const skip = await excludeMatcher(['*.log']);
  const options: WalkOptions = { cacheDirs: true, ...(skip ? { skip } : {}) };
  await same(root, () => writeFile(path.join(root, 'src/deep/x.log'), 'l'), ['src/deep/x.log'], options);
  await same(root, () => writeFile(path.join(root, 'docs/x.log'), 'l'), ['docs/x.log'], options);
  await same(root, () => writeFile(path.join(root, 'src/deep/er/CACHEDIR.TAG'), `${CACHEDIR_SIGNATURE}\n`), ['src/deep/er/CACHEDIR.TAG'], options);
  await same(root, () => writeFile(path.join(root, 'docs/.snapctl-restore-20260101-000000-abcdef-0123456789ab'), 'left'), ['docs/.snapctl-restore-20260101-000000-abcdef-0123456789ab'], options);
  const server = createServer();
  await same(root, () => new Promise((resolve) => server.listen(path.join(root, 'docs/sock'), () => resolve())), ['docs/sock'], options);
  server.close();
  // Unchanged folders keep the base's marks: a later change elsewhere leaves them as they were.
  await same(root, () => writeFile(path.join(root, 'top'), 'changed'), ['top'], options);
  // Folders passed on the way to a change deep inside keep their marks and their other names' notes.
  await writeFile(path.join(root, 'src/skipped.log'), 'l');
  await same(root, () => appendFile(path.join(root, 'src/deep/er/CACHEDIR.TAG'), 'x'), ['src/deep/er/CACHEDIR.TAG'], options);
  await same(root, () => writeFile(path.join(root, 'src/deep/er/again.ts'), 'again'), ['src/deep/er/again.ts'], options);
});

test('a mounted filesystem inside is left out as a whole walk leaves it out', { skip: process.getuid?.() !== 0 }, async (t) => {
  const root = await tree();
  await mkdir(path.join(root, 'src/mnt'));
  t.after(async () => { spawnSync('umount', [path.join(root, 'src/mnt')]); await rm(root, { recursive: true, force: true }); });
  await same(root, async () => { assert.equal(spawnSync('mount', ['-t', 'tmpfs', 'tmpfs', path.join(root, 'src/mnt')]).status, 0); }, ['src/mnt']);
});

test('a sync cookie is never listed; a name merely like one is', async (t) => {
  const root = await tree();
  t.after(() => rm(root, { recursive: true, force: true }));
  await writeFile(path.join(root, syncCookieName(123, 4, 5)), '');
  await writeFile(path.join(root, '.snapctl-sync-mine'), '');
  await writeFile(path.join(root, 'docs', syncCookieName(123, 4, 5)), '');
  const paths = (await walk(root)).entries.map((e) => e.path);
  assert.ok(!paths.includes(syncCookieName(123, 4, 5)));
  assert.ok(paths.includes('.snapctl-sync-mine'));
  assert.ok(paths.includes(`docs/${syncCookieName(123, 4, 5)}`));
});

test('a snapshot\'s manifest and the walk\'s side lists give back the walk it was made from', async (t) => {
  const root = await tree();
  t.after(() => rm(root, { recursive: true, force: true }));
  await link(path.join(root, 'top'), path.join(root, 'docs/top2'));
  await symlink('top', path.join(root, 'docs/l'));
  await writeFile(path.join(root, 'docs/.snapctl-restore-20260101-000000-abcdef-0123456789ab'), 'left');
  await utimes(path.join(root, 'src/a.ts'), 1, 1);
  const walked = await walk(root);
  const entries: ManifestEntry[] = walked.entries.map((e) => (e.type === 'file' ? fileEntry(e, { oid: 'a'.repeat(64), hash: 'a'.repeat(64) }) : treeEntry(e)));
  const base = listingFromManifest({ entries, problems: [] }, sideOf(walked));
  assert.ok(base);
  assert.deepEqual(listingDifferences(await walkChanged(root, base, []), walked), []);
  await appendFile(path.join(root, 'top'), 'x');
  assert.deepEqual(listingDifferences(await walkChanged(root, base, ['top']), await walk(root)), []);
  // A manifest from before owners and inodes were kept cannot be a base.
  assert.equal(listingFromManifest({ entries: [{ path: 'x', type: 'dir', mode: 0o755, mtimeNs: '1' }], problems: [] }, sideOf(walked)), null);
});

test('a cache folder that is one no more is walked whole: the base holds nothing below it', async (t) => {
  const root = await tree();
  t.after(() => rm(root, { recursive: true, force: true }));
  const options: WalkOptions = { cacheDirs: true };
  await writeFile(path.join(root, 'src/deep/CACHEDIR.TAG'), `${CACHEDIR_SIGNATURE}\n`);
  await same(root, () => writeFile(path.join(root, 'src/deep/CACHEDIR.TAG'), 'no longer a tag'), ['src/deep/CACHEDIR.TAG'], options);
});

test('a link made where no listing shows it (a cache folder) still moves the listed name\'s link count', async (t) => {
  const root = await tree();
  t.after(() => rm(root, { recursive: true, force: true }));
  const options: WalkOptions = { cacheDirs: true };
  await mkdir(path.join(root, 'cache'));
  await writeFile(path.join(root, 'cache/CACHEDIR.TAG'), `${CACHEDIR_SIGNATURE}\n`);
  await same(root, () => link(path.join(root, 'src/a.ts'), path.join(root, 'cache/a-again')), ['cache/a-again'], options);
});

test('a cache folder\'s tag written through another name of it: the folder is listed again, and is one no more', async (t) => {
  const root = await tree();
  t.after(() => rm(root, { recursive: true, force: true }));
  const options: WalkOptions = { cacheDirs: true };
  await mkdir(path.join(root, 'cache/inner'), { recursive: true });
  await writeFile(path.join(root, 'cache/CACHEDIR.TAG'), `${CACHEDIR_SIGNATURE}\n`);
  await writeFile(path.join(root, 'cache/inner/kept'), 'k');
  // The tag is not listed (a cache folder's contents are left out), so no listed name shares its inode.
  await link(path.join(root, 'cache/CACHEDIR.TAG'), path.join(root, 'docs/tag-again'));
  await same(root, () => writeFile(path.join(root, 'docs/tag-again'), 'no longer a tag'), ['docs/tag-again'], options);
  // And back: written a tag again through the other name, the folder is a cache folder again.
  await same(root, () => writeFile(path.join(root, 'docs/tag-again'), `${CACHEDIR_SIGNATURE}\n`), ['docs/tag-again'], options);
});

test('a cache folder\'s tag linked, written through the link and unlinked since the base: the journal\'s inode leads to it', async (t) => {
  const root = await tree();
  t.after(() => rm(root, { recursive: true, force: true }));
  const options: WalkOptions = { cacheDirs: true };
  await mkdir(path.join(root, 'cache'));
  await writeFile(path.join(root, 'cache/CACHEDIR.TAG'), `${CACHEDIR_SIGNATURE}\n`);
  const base = await walk(root, options);
  await link(path.join(root, 'cache/CACHEDIR.TAG'), path.join(root, 'docs/tag-again'));
  // The journal notes the inode of a file with several names when it reads the link's event.
  const ino = String((await lstat(path.join(root, 'docs/tag-again'))).ino);
  await writeFile(path.join(root, 'docs/tag-again'), 'no longer a tag');
  await unlink(path.join(root, 'docs/tag-again'));
  const narrowed = await walkChanged(root, base, { paths: ['docs/tag-again'], inodes: [ino] }, options);
  assert.deepEqual(listingDifferences(narrowed, await walk(root, options)), []);
});

test('a folder replaced by a file or a link while names inside it changed: the narrowed walk lists what is there', async (t) => {
  const root = await tree();
  t.after(() => rm(root, { recursive: true, force: true }));
  // The journal names the old paths inside too; below a file the system answers ENOTDIR, below a loop ELOOP.
  await same(root, async () => {
    await rm(path.join(root, 'src/deep'), { recursive: true });
    await writeFile(path.join(root, 'src/deep'), 'now a file');
  }, ['src/deep', 'src/deep/b.ts', 'src/deep/er', 'src/deep/er/c.ts']);
  await same(root, async () => {
    await rm(path.join(root, 'docs'), { recursive: true });
    await symlink('docs', path.join(root, 'docs'));
  }, ['docs', 'docs/readme']);
});

test('a CACHEDIR.TAG the excludes leave out, made a tag through another name: its folder becomes a cache folder', async (t) => {
  const root = await tree();
  t.after(() => rm(root, { recursive: true, force: true }));
  const skip = await excludeMatcher(['*.TAG']);
  const options: WalkOptions = { cacheDirs: true, ...(skip ? { skip } : {}) };
  await writeFile(path.join(root, 'src/deep/CACHEDIR.TAG'), 'not a tag yet');
  await link(path.join(root, 'src/deep/CACHEDIR.TAG'), path.join(root, 'docs/tag-again'));
  await same(root, () => writeFile(path.join(root, 'docs/tag-again'), `${CACHEDIR_SIGNATURE}\n`), ['docs/tag-again'], options);
});

test('a CACHEDIR.TAG mounted over from elsewhere is read again: writes there make no event here', { skip: process.getuid?.() !== 0 }, async (t) => {
  const root = await tree();
  const elsewhere = `${root}.tag`;
  await writeFile(elsewhere, 'not a tag yet');
  await writeFile(path.join(root, 'src/deep/CACHEDIR.TAG'), '');
  assert.equal(spawnSync('mount', ['--bind', elsewhere, path.join(root, 'src/deep/CACHEDIR.TAG')]).status, 0);
  t.after(async () => { spawnSync('umount', [path.join(root, 'src/deep/CACHEDIR.TAG')]); await rm(root, { recursive: true, force: true }); await rm(elsewhere, { force: true }); });
  await same(root, () => writeFile(elsewhere, `${CACHEDIR_SIGNATURE}\n`), [], { cacheDirs: true });
});
