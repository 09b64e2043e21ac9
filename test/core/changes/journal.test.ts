import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { appendFile, link, mkdir, readdir, readFile, rename, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { appendFileSync, linkSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { ChangeJournal, type JournalToken } from '../../../src/core/changes/journal.js';
import { InotifySource } from '../../../src/core/changes/inotify-source.js';
import { parcelAvailable, ParcelSource } from '../../../src/core/changes/parcel-source.js';
import type { EventSink } from '../../../src/core/changes/source.js';
import { CACHEDIR_SIGNATURE } from '../../../src/core/tree/excludes.js';
import { walk } from '../../../src/core/tree/walk.js';
import { listingDifferences, walkChanged } from '../../../src/core/tree/walk-changed.js';
import { repoRoot, tempDir } from '../../helpers/helpers.js';

const linux = process.platform === 'linux';
const root = process.getuid?.() === 0;

async function folder(): Promise<string> {
  const dir = await tempDir('snapctl-journal-');
  await mkdir(path.join(dir, 'a/sub'), { recursive: true });
  await writeFile(path.join(dir, 'a/sub/f'), 'f');
  return dir;
}

async function marked(journal: ChangeJournal): Promise<JournalToken> {
  const token = await journal.mark();
  assert.equal(typeof token, 'string', JSON.stringify(token));
  return token as JournalToken;
}

test('an answer waits for the sync cookie: events still on their way are in it', { skip: !linux }, async (t) => {
  const dir = await folder();
  // Events delivered 30 ms late, in order, as a busy watcher thread would: only the cookie says they are all in.
  const late = (sink: EventSink): EventSink => ({
    changed: (rel) => { setTimeout(() => sink.changed(rel), 30); },
    linked: (ino) => { setTimeout(() => sink.linked(ino), 30); },
    cookie: (name) => { setTimeout(() => sink.cookie(name), 30); },
    fault: (f) => sink.fault(f),
  });
  const journal = await ChangeJournal.start(dir, { source: (r, sink) => new InotifySource(r, late(sink)) });
  t.after(async () => { await journal.stop(); await rm(dir, { recursive: true, force: true }); });
  const token = await marked(journal);
  await writeFile(path.join(dir, 'a/sub/g'), 'g');
  assert.deepEqual(await journal.changedSince(token), { tracked: true, paths: ['a/sub/g'], inodes: [] });
  // The cookies are gone from the folder.
  assert.deepEqual((await readdir(dir)).sort(), ['a']);
});

test('a cookie that never comes means the journal cannot vouch', { skip: !linux }, async (t) => {
  const dir = await folder();
  const deaf = (sink: EventSink): EventSink => ({ changed: (rel) => sink.changed(rel), linked: (ino) => sink.linked(ino), cookie: () => undefined, fault: (f) => sink.fault(f) });
  const journal = await ChangeJournal.start(dir, { syncTimeoutMs: 200, source: (r, sink) => new InotifySource(r, deaf(sink)) });
  t.after(async () => { await journal.stop(); await rm(dir, { recursive: true, force: true }); });
  const answer = await journal.mark();
  assert.equal(typeof answer, 'object');
  assert.deepEqual(answer, { tracked: false, kind: 'sync-timeout', reason: "the folder's watch did not answer within 0.2 s: its next snapshot looks at every file" });
  assert.deepEqual((await readdir(dir)).sort(), ['a']);
});

test('a restart is never taken for "nothing changed", nor a mark of another journal', { skip: !linux }, async (t) => {
  const dir = await folder();
  const journal = await ChangeJournal.start(dir);
  const other = await ChangeJournal.start(dir);
  t.after(async () => { await journal.stop(); await other.stop(); await rm(dir, { recursive: true, force: true }); });
  const token = await marked(journal);
  assert.deepEqual(await journal.changedSince(token), { tracked: true, paths: [], inodes: [] });
  assert.equal((await other.changedSince(token)).tracked, false);
  assert.match(JSON.stringify(await other.changedSince(token)), /"kind":"unknown-token"/);
  await journal.restart();
  const after = await journal.changedSince(token);
  assert.equal(after.tracked, false);
  assert.equal(!after.tracked && after.kind, 'restarted');
  assert.deepEqual(await journal.changedSince(await marked(journal)), { tracked: true, paths: [], inodes: [] });
});

test('folders renamed, moved in and made later are watched at their new paths', { skip: !linux }, async (t) => {
  const dir = await folder();
  const outside = await tempDir('snapctl-journal-outside-');
  await mkdir(path.join(outside, 'pkg/lib/deep'), { recursive: true });
  const journal = await ChangeJournal.start(dir);
  t.after(async () => { await journal.stop(); await rm(dir, { recursive: true, force: true }); await rm(outside, { recursive: true, force: true }); });
  await rename(path.join(dir, 'a'), path.join(dir, 'b'));
  await rename(path.join(outside, 'pkg'), path.join(dir, 'pkg'));
  await mkdir(path.join(dir, 'new/x/y'), { recursive: true });
  let token = await marked(journal);
  // After the mark, a change deep in each is named by its path now, not the old one (parcel names a/sub/f2).
  await writeFile(path.join(dir, 'b/sub/f2'), '2');
  await writeFile(path.join(dir, 'pkg/lib/deep/g'), 'g');
  await writeFile(path.join(dir, 'new/x/y/z'), 'z');
  assert.deepEqual(await journal.changedSince(token), { tracked: true, paths: ['b/sub/f2', 'new/x/y/z', 'pkg/lib/deep/g'], inodes: [] });
  // Moved out: its events no longer come, under any name.
  await rename(path.join(dir, 'pkg'), path.join(outside, 'gone'));
  token = await marked(journal);
  await writeFile(path.join(outside, 'gone/lib/deep/h'), 'h');
  assert.deepEqual(await journal.changedSince(token), { tracked: true, paths: [], inodes: [] });
});

test('the folder moved, deleted or replaced: the journal cannot vouch', { skip: !linux }, async (t) => {
  for (const change of ['moved', 'replaced'] as const) {
    const dir = await folder();
    const journal = await ChangeJournal.start(dir);
    t.after(async () => { await journal.stop(); await rm(dir, { recursive: true, force: true }); await rm(`${dir}.moved`, { recursive: true, force: true }); });
    const token = await marked(journal);
    if (change === 'moved') await rename(dir, `${dir}.moved`);
    else { await rm(dir, { recursive: true }); await mkdir(dir); }
    const answer = await journal.changedSince(token);
    assert.equal(!answer.tracked && answer.kind, 'moved', change);
    assert.match(!answer.tracked ? answer.reason : '', /moved|deleted|replaced/);
  }
});

test('a filesystem mounted inside: the journal cannot vouch', { skip: !linux || !root }, async (t) => {
  const dir = await folder();
  const journal = await ChangeJournal.start(dir);
  t.after(async () => { await journal.stop(); spawnSync('umount', [path.join(dir, 'a/sub')]); await rm(dir, { recursive: true, force: true }); });
  const token = await marked(journal);
  assert.equal(spawnSync('mount', ['-t', 'tmpfs', 'tmpfs', path.join(dir, 'a/sub')]).status, 0);
  const answer = await journal.changedSince(token);
  assert.equal(!answer.tracked && answer.kind, 'mount');
  assert.match(!answer.tracked ? answer.reason : '', /mounted/);
});

test('events lost to a full inotify queue (IN_Q_OVERFLOW) mean the journal cannot vouch', { skip: !linux || !root }, async (t) => {
  const dir = await folder();
  const setting = '/proc/sys/fs/inotify/max_queued_events';
  const was = (await readFile(setting, 'utf8')).trim();
  let journal: ChangeJournal | null = null;
  t.after(async () => { await journal?.stop(); await rm(dir, { recursive: true, force: true }); });
  try {
    // The queue's size is taken when the watch starts: lowered for that instant only.
    await writeFile(setting, '16');
    journal = await ChangeJournal.start(dir);
  } finally {
    await writeFile(setting, was);
  }
  assert.equal(await readFile(setting, 'utf8').then((s) => s.trim()), was);
  const token = await marked(journal);
  // A burst with no turn of the event loop in it: nothing reads the queue while it fills.
  for (let i = 0; i < 200; i++) writeFileSync(path.join(dir, `burst-${i}`), 'x');
  const answer = await journal.changedSince(token);
  assert.equal(!answer.tracked && answer.kind, 'overflow', JSON.stringify(answer).slice(0, 200));
  assert.match(!answer.tracked ? answer.reason : '', /fs\.inotify\.max_queued_events/);
  // It stays so until the watch starts again.
  assert.equal((await journal.mark() as { tracked?: boolean }).tracked, false);
  await journal.restart();
  assert.equal(typeof await journal.mark(), 'string');
});

/**
 * The watch limit, lowered in a user namespace of our own (user.max_inotify_watches, which the kernel checks
 * like fs.inotify.max_user_watches, with the same ENOSPC), so other processes on the machine keep theirs.
 */
function inNamespace(limit: number, script: string): { status: number | null; stdout: string; stderr: string } {
  const journalJs = path.join(repoRoot, 'dist/src/core/changes/journal.js');
  const code = `import { ChangeJournal } from ${JSON.stringify(journalJs)};\n${script}`;
  const r = spawnSync('unshare', ['--user', '--map-root-user', 'sh', '-c', `echo ${limit} > /proc/sys/user/max_inotify_watches && exec "$0" --input-type=module -e "$1"`, process.execPath, code], { encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('too many folders to watch: the reason names fs.inotify.max_user_watches and a value to raise it to', { skip: !linux || spawnSync('unshare', ['--user', '--map-root-user', 'true']).status !== 0 }, async (t) => {
  const dir = await folder();
  t.after(() => rm(dir, { recursive: true, force: true }));
  for (let i = 0; i < 12; i++) await mkdir(path.join(dir, `d${i}`));
  // At the start: 14 folders, 8 watches allowed.
  const atStart = inNamespace(8, `const j = await ChangeJournal.start(${JSON.stringify(dir)}); console.log(JSON.stringify(await j.mark())); await j.stop();`);
  assert.equal(atStart.status, 0, atStart.stderr);
  const first = JSON.parse(atStart.stdout) as { tracked: boolean; kind: string; reason: string };
  assert.equal(first.kind, 'watch-limit');
  assert.match(first.reason, /raise fs\.inotify\.max_user_watches .*to \d+ \(sysctl -w fs\.inotify\.max_user_watches=\d+/);
  // Later: watched whole with room to spare, then folders made past the limit.
  const later = inNamespace(20, `const j = await ChangeJournal.start(${JSON.stringify(dir)});
    const t = await j.mark(); const fs = await import('node:fs');
    for (let i = 0; i < 10; i++) fs.mkdirSync(${JSON.stringify(dir)} + '/more' + i);
    console.log(JSON.stringify(await j.changedSince(t))); await j.stop();`);
  assert.equal(later.status, 0, later.stderr);
  const second = JSON.parse(later.stdout) as { tracked: boolean; kind: string; reason: string };
  assert.equal(second.kind, 'watch-limit');
  assert.match(second.reason, /fs\.inotify\.max_user_watches/);
});

test('a file written through a second name that is gone by the answer: the journal names its inode', { skip: !linux }, async (t) => {
  const dir = await folder();
  const journal = await ChangeJournal.start(dir);
  t.after(async () => { await journal.stop(); await rm(dir, { recursive: true, force: true }); });
  const token = await marked(journal);
  const base = await walk(dir);
  await link(path.join(dir, 'a/sub/f'), path.join(dir, 'tmp'));
  await appendFile(path.join(dir, 'tmp'), 'written through the other name');
  // Read by the journal while the name is there (it reads every 50 ms), then the name goes.
  assert.equal(await journal.sync(), null);
  await unlink(path.join(dir, 'tmp'));
  const changed = await journal.changedSince(token);
  assert.ok(changed.tracked);
  assert.deepEqual(changed.paths, ['tmp']);
  assert.deepEqual(changed.inodes, [String((await stat(path.join(dir, 'a/sub/f'), { bigint: true })).ino)]);
  assert.deepEqual(listingDifferences(await walkChanged(dir, base, changed), await walk(dir)), []);
});

test('a second name made in a folder before its watch, inside a cache folder: the journal names the file\'s inode', { skip: !linux }, async (t) => {
  const dir = await folder();
  await mkdir(path.join(dir, 'cache'));
  await writeFile(path.join(dir, 'cache/CACHEDIR.TAG'), `${CACHEDIR_SIGNATURE}\n`);
  const journal = await ChangeJournal.start(dir);
  t.after(async () => { await journal.stop(); await rm(dir, { recursive: true, force: true }); });
  const options = { cacheDirs: true };
  const token = await marked(journal);
  const base = await walk(dir, options);
  // In one turn of the event loop, so the journal reads the folder's event after the link is made: no event
  // names the link, and no walk lists it (the cache folder's contents are left out), yet a/sub/f has two names.
  mkdirSync(path.join(dir, 'cache/new/x'), { recursive: true });
  linkSync(path.join(dir, 'a/sub/f'), path.join(dir, 'cache/new/x/again'));
  const changed = await journal.changedSince(token);
  assert.ok(changed.tracked);
  assert.deepEqual(changed.paths, ['cache/new']);
  assert.deepEqual(changed.inodes, [String((await stat(path.join(dir, 'a/sub/f'), { bigint: true })).ino)]);
  assert.deepEqual(listingDifferences(await walkChanged(dir, base, changed, options), await walk(dir, options)), []);
});

test('a folder replaced by a file while events inside it wait to be read: the journal still answers', { skip: !linux }, async (t) => {
  const dir = await folder();
  const journal = await ChangeJournal.start(dir);
  t.after(async () => { await journal.stop(); await rm(dir, { recursive: true, force: true }); });
  const token = await marked(journal);
  // In one turn of the event loop: the write's event is read after a/sub is a file (its path: ENOTDIR).
  appendFileSync(path.join(dir, 'a/sub/f'), 'more');
  rmSync(path.join(dir, 'a/sub'), { recursive: true });
  writeFileSync(path.join(dir, 'a/sub'), 'a file now');
  const changed = await journal.changedSince(token);
  assert.ok(changed.tracked, JSON.stringify(changed));
  assert.deepEqual(changed.paths, ['a/sub', 'a/sub/f']);
});

test('the @parcel/watcher source (macOS) names the inode of a file written through a second name too', { skip: !parcelAvailable() }, async (t) => {
  // Run here through parcel's Linux backend: the source's own handling is the same on every system.
  const dir = await folder();
  const linked: string[] = [];
  const changed: string[] = [];
  const sink: EventSink = { changed: (rel) => changed.push(rel), linked: (ino) => linked.push(ino), cookie: () => undefined, fault: () => undefined };
  const source = new ParcelSource(dir, sink);
  await source.start();
  t.after(async () => { await source.stop(); await rm(dir, { recursive: true, force: true }); });
  await link(path.join(dir, 'a/sub/f'), path.join(dir, 'again'));
  await appendFile(path.join(dir, 'again'), 'through the other name');
  for (let i = 0; i < 200 && !changed.includes('again'); i++) await new Promise((r) => setTimeout(r, 25));
  assert.ok(changed.includes('again'), JSON.stringify(changed));
  assert.ok(linked.includes(String((await stat(path.join(dir, 'a/sub/f'), { bigint: true })).ino)), JSON.stringify(linked));
});
