import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdir, readdir, readFile, rename, rm, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { TargetStatus } from '../../src/shared/api.js';
import { cliPath, parseJson, repoRoot, runCli, sandbox } from '../helpers/helpers.js';
import { run } from '../../src/cli/main.js';
import { ServiceContext } from '../../src/core/service/context.js';
import { unfinished } from '../../src/core/service/status.js';

type Box = Awaited<ReturnType<typeof sandbox>>;

describe('the CLI a person can trust with a rollback', () => {
  let box: Box;
  let env: Record<string, string>;
  const cli = (args: string[], cwd?: string) => runCli(args, env, cwd ? { cwd } : {});
  async function project(name: string, files = 3): Promise<{ dir: string; id: string }> {
    const dir = path.join(box.root, name);
    await mkdir(dir, { recursive: true });
    for (let i = 0; i < files; i++) await writeFile(path.join(dir, `f${i}.txt`), `v1 ${i}\n`);
    const made = await cli(['create', '--path', dir, '--json', '--tag', `${name} start`]);
    assert.equal(made.code, 0, made.stderr);
    return { dir, id: parseJson<{ id: string }>(made.stdout).id };
  }
  /** A project rolled back to its first snapshot after one edit: the rollback's safety snapshot is `safety`. */
  async function rolledBack(name: string): Promise<{ dir: string; id: string; safety: string }> {
    const { dir, id } = await project(name);
    await writeFile(path.join(dir, 'f0.txt'), 'edited\n');
    const rb = await cli(['rollback', id, '--yes', '--json']);
    assert.equal(rb.code, 0, rb.stderr);
    return { dir, id, safety: parseJson<{ safety: { id: string } }>(rb.stdout).safety.id };
  }
  before(async () => {
    box = await sandbox();
    env = { SNAPCTL_HOME: box.home };
  });
  after(() => box.cleanup());

  test('status shows an unfinished rollback with what to run, exits 1, and undo is the way back', async () => {
    const shared = env;
    env = { ...env, SNAPCTL_HOME: path.join(box.root, 'unfinished-home') };
    try { await unfinishedCase(); } finally { env = shared; }
  });

  async function unfinishedCase(): Promise<void> {
    const { dir, id } = await project('unfinished', 20);
    for (let i = 0; i < 20; i++) await writeFile(path.join(dir, `f${i}.txt`), `v2 ${i}\n`);
    const killed = await cli(['rollback', id, '--yes'].concat([]), undefined);
    assert.equal(killed.code, 0, 'a first rollback works');
    for (let i = 0; i < 20; i++) await writeFile(path.join(dir, `f${i}.txt`), `v3 ${i}\n`);
    const dying = await runCli(['rollback', id, '--yes'], { ...env, SNAPCTL_FAULT_KILL_AT: '4' });
    assert.equal(dying.signal, 'SIGKILL');
    // The snapshot's stored data goes missing (not its safety snapshot's): recover cannot finish it.
    const home = env['SNAPCTL_HOME'] ?? '';
    const pending = await unfinished(new ServiceContext({ home }), dir);
    assert.ok(pending);
    const oids = async (snapshot: string): Promise<Set<string>> => new Set((JSON.parse(await readFile(path.join(home, 'clone', 'manifests', `${snapshot}.json`), 'utf8')) as { entries: { oid?: string }[] }).entries.flatMap((e) => (e.oid ? [e.oid] : [])));
    const keep = await oids(pending.safetyId);
    for (const oid of await oids(id)) if (!keep.has(oid)) await rm(path.join(home, 'clone', 'objects', oid.slice(0, 2), oid));
    assert.equal((await cli(['recover'])).code, 1, 'it cannot be finished');
    const status = await cli(['status', '--json']);
    assert.equal(status.code, 1, status.stderr);
    const { targets } = parseJson<{ targets: TargetStatus[] }>(status.stdout);
    const t = targets.find((x) => x.path === dir);
    assert.equal(t?.unfinished?.snapshotId, id);
    assert.equal(t?.unfinished?.snapshotLabel, "'unfinished start'");
    assert.ok(t?.unfinished?.error, 'the last attempt said why');
    const text = await cli(['status']);
    assert.equal(text.code, 1);
    assert.match(text.stdout, /UNFINISHED ROLLBACK to 'unfinished start'/);
    assert.match(text.stdout, new RegExp(`snapctl recover --path ${dir}`));
    assert.match(text.stdout, new RegExp(`snapctl undo --path ${dir}`));
    const preview = await cli(['diff', id]);
    assert.match(preview.stdout, /^note: an earlier rollback of .* stopped part way/);
    const undo = await cli(['undo', '--path', dir, '--yes']);
    assert.equal(undo.code, 0, undo.stderr);
    for (let i = 0; i < 20; i++) assert.equal(await readFile(path.join(dir, `f${i}.txt`), 'utf8'), `v3 ${i}\n`);
    assert.equal((await cli(['status'])).code, 0, 'resolved: the state is gone');
  }

  test('a second undo changes nothing and says the last rollback is already undone (exit 0)', async () => {
    const { dir, id } = await project('twice');
    await writeFile(path.join(dir, 'f0.txt'), 'edited\n');
    assert.equal((await cli(['rollback', id.slice(0, 17), '--yes'])).code, 0, 'a unique beginning of the id is enough');
    assert.equal((await cli(['undo', '--path', dir, '--yes'])).code, 0);
    const second = await cli(['undo', '--path', dir, '--yes']);
    assert.equal(second.code, 0, second.stderr);
    assert.equal(second.stdout, `the last rollback of ${dir} (to 'twice start') is already undone; nothing was changed\n`);
    assert.equal(await readFile(path.join(dir, 'f0.txt'), 'utf8'), 'edited\n');
  });

  test('a rollback that changes nothing says so and takes no safety snapshot; --only a path that is nowhere is exit 2', async () => {
    const { dir, id } = await project('same');
    const r = await cli(['rollback', id, '--yes']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, "nothing to change: the folder already matches 'same start' (no safety snapshot was taken)\n");
    const nope = await cli(['rollback', id, '--yes', '--only', 'nope.txt'], dir);
    assert.equal(nope.code, 2);
    assert.match(nope.stderr, /^snapctl: nope\.txt: not a path of snapshot/);
    const listed = parseJson<unknown[]>((await cli(['list', '--path', dir, '--json'])).stdout);
    assert.equal(listed.length, 1, 'no safety snapshot taken');
  });

  test("'latest' means the folder's newest ready snapshot that is not a safety one; prefixes are checked", async () => {
    const { dir } = await project('latest');
    await writeFile(path.join(dir, 'f1.txt'), 'second\n');
    const second = parseJson<{ id: string }>((await cli(['create', '--path', dir, '--json'])).stdout).id;
    await writeFile(path.join(dir, 'f1.txt'), 'third\n');
    const rb = await cli(['rollback', 'latest', '--yes', '--json'], dir);
    assert.equal(rb.code, 0, rb.stderr);
    assert.equal(parseJson<{ snapshot: { id: string } }>(rb.stdout).snapshot.id, second, 'the safety snapshot taken since is not latest');
    assert.equal((await cli(['diff', 'latest', '--path', dir, '--json'])).code, 0);
    const ambiguous = await cli(['diff', '2']);
    assert.equal(ambiguous.code, 2);
    assert.match(ambiguous.stderr, /^snapctl: 2 is the beginning of \d+ snapshot ids: \d{8}-/);
    const none = await cli(['verify', 'ffff']);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /no snapshot id starts with ffff/);
    // The last six characters of an id, the part that tells a day's snapshots apart, name it too.
    const byEnd = await cli(['diff', second.slice(-6), '--json']);
    assert.equal(byEnd.code, 0, byEnd.stderr);
    assert.match((await cli(['verify', 'abcdef'])).stderr, /no snapshot id starts with abcdef or ends with it/);
    assert.equal((await cli(['delete', 'latest', '--path', dir])).code, 0);
  });

  test('usage errors never print a literal \\n', async () => {
    const r = await cli(['lst']);
    assert.equal(r.code, 2);
    assert.doesNotMatch(r.stderr, /\\n/);
    assert.match(r.stderr, /^snapctl: unknown command 'lst' \(Did you mean list\?\)/);
    for (const args of [['rollback'], ['list', '--nope'], ['diff', 'x y'], ['status', 'extra']]) {
      const e = await cli(args);
      assert.doesNotMatch(e.stderr, /\\n/, args.join(' '));
      assert.equal(e.stderr.trimEnd().split('\n').length, 1, args.join(' '));
    }
  });

  test('run checks that its command exists before snapshotting: exit 127, nothing created', async () => {
    const dir = path.join(box.root, 'run');
    await mkdir(dir);
    const before = await readdir(box.home).catch(() => []);
    const r = await cli(['run', '--path', dir, '--', 'no-such-cmd-snapctl', '--flag']);
    assert.equal(r.code, 127);
    assert.match(r.stderr, /no-such-cmd-snapctl: command not found \(not on PATH\); nothing was snapshotted/);
    const byPath = await cli(['run', '--path', dir, '--', './missing.sh'], dir);
    assert.equal(byPath.code, 127);
    assert.equal(parseJson<unknown[]>((await cli(['list', '--path', dir, '--json'])).stdout).length, 0);
    assert.ok((await readdir(box.home)).length >= before.length);
    assert.equal((await cli(['run', '--path', dir, '--', 'true'])).code, 0);
  });

  test('run refuses a file that is not executable and a folder with exit 126, as a shell does, snapshotting nothing', async () => {
    const dir = path.join(box.root, 'run-126');
    await mkdir(path.join(dir, 'tools'), { recursive: true });
    await writeFile(path.join(dir, 'script.sh'), '#!/bin/sh\necho ran\n', { mode: 0o644 });
    const plain = await cli(['run', '--path', dir, '--', './script.sh'], dir);
    assert.equal(plain.code, 126, plain.stderr);
    assert.equal(plain.stderr, 'snapctl: ./script.sh: is not executable (chmod +x ./script.sh lets it run); nothing was snapshotted\n');
    const folder = await cli(['run', '--path', dir, '--', './tools'], dir);
    assert.equal(folder.code, 126, folder.stderr);
    assert.equal(folder.stderr, 'snapctl: ./tools: is a folder, not a command; nothing was snapshotted\n');
    const onPath = await runCli(['run', '--path', dir, '--', 'script.sh'], { ...env, PATH: `${dir}:${process.env['PATH'] ?? ''}` }, { cwd: dir });
    assert.equal(onPath.code, 126, onPath.stderr);
    assert.match(onPath.stderr, /script\.sh is not executable \(chmod \+x .*script\.sh lets it run\); nothing was snapshotted/);
    assert.equal(parseJson<unknown[]>((await cli(['list', '--path', dir, '--json'])).stdout).length, 0, 'nothing snapshotted');
    assert.equal((await cli(['run', '--path', dir, '--', './nope.sh'], dir)).code, 127, 'a missing command stays 127');
  });

  test('recover prints one coherent report on stdout', async () => {
    const { dir, id } = await project('recovered', 20);
    for (let i = 0; i < 20; i++) await writeFile(path.join(dir, `f${i}.txt`), `v2 ${i}\n`);
    const dying = await runCli(['rollback', id, '--yes'], { ...env, SNAPCTL_FAULT_KILL_AT: '4' });
    assert.equal(dying.signal, 'SIGKILL');
    const r = await cli(['recover']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    assert.match(r.stdout, new RegExp(`^finished the interrupted rollback of ${dir} to ${id}`));
    assert.doesNotMatch(r.stdout, /no interrupted rollback/);
    assert.equal((await cli(['recover'])).stdout, 'no interrupted rollback is left unfinished\n');
  });

  test("recover -p . names the folder by its absolute path, as the rest of its report does, --abandon too", async () => {
    const { dir } = await project('recover-dot');
    const here = await cli(['recover', '-p', '.'], dir);
    assert.equal(here.code, 0, here.stderr);
    assert.equal(here.stdout, `no interrupted rollback of ${dir}\n`);
    const abandon = await cli(['recover', '--abandon', '-p', '.'], dir);
    assert.equal(abandon.code, 0, abandon.stderr);
    assert.equal(abandon.stdout, `no interrupted rollback of ${dir}\n`);
  });

  test('a deleted project folder rolls back from the CLI: every path brought back', async () => {
    const { dir, id } = await project('deleted');
    await rm(dir, { recursive: true });
    const diff = await cli(['diff', id, '--json']);
    assert.equal(diff.code, 0, diff.stderr);
    const view = parseJson<{ added: string[]; removed: string[]; modified: string[] }>(diff.stdout);
    assert.deepEqual(view.removed, ['f0.txt', 'f1.txt', 'f2.txt']);
    const listed = await cli(['list', '--path', dir]);
    assert.equal(listed.code, 0, listed.stderr);
    const rb = await cli(['rollback', id, '--yes']);
    assert.equal(rb.code, 0, rb.stderr);
    assert.match(rb.stdout, /0 restored, 3 brought back, 0 removed/);
    assert.doesNotMatch(rb.stderr + rb.stdout, /ENOENT|scandir/);
    assert.equal(await readFile(path.join(dir, 'f2.txt'), 'utf8'), 'v1 2\n');
    const st = parseJson<{ targets: TargetStatus[] }>((await cli(['status', '--json', '--path', dir])).stdout);
    assert.match(st.targets[0]?.undo?.label ?? '', /^rolled back to 'deleted start' at \d\d:\d\d$/);
  });

  /** Makes a file immutable (chattr +i, as root on ext4/btrfs) or back; false where the system cannot. */
  function immutable(file: string, on: boolean): boolean {
    try { execFileSync('chattr', [on ? '+i' : '-i', file], { stdio: 'ignore' }); return true; } catch { return false; }
  }
  const restoreTemps = async (dir: string): Promise<string[]> => (await readdir(dir, { recursive: true })).filter((n) => n.includes('.snapctl-restore-'));

  test('an immutable file whose content already matches is left untouched: the rollback finishes', async (t) => {
    const { dir, id } = await project('immutable-same');
    await mkdir(path.join(dir, 'sub'));
    await writeFile(path.join(dir, 'sub', 'same.txt'), 'same\n');
    const snap = parseJson<{ id: string }>((await cli(['create', '--path', dir, '--json', '--tag', 'with sub'])).stdout).id;
    assert.ok(id);
    await writeFile(path.join(dir, 'f0.txt'), 'edited\n');
    const locked = path.join(dir, 'sub', 'same.txt');
    if (!immutable(locked, true)) { t.skip('chattr +i is not supported here'); return; }
    try {
      const before = await stat(locked);
      const rb = await cli(['rollback', snap, '--yes']);
      assert.equal(rb.code, 0, rb.stderr);
      assert.match(rb.stdout, /1 restored, 0 brought back, 0 removed/);
      assert.equal(await readFile(path.join(dir, 'f0.txt'), 'utf8'), 'v1 0\n');
      assert.equal((await stat(locked)).ctimeMs, before.ctimeMs, 'not touched at all');
    } finally {
      immutable(locked, false);
    }
  });

  test('a rollback that would have to change an immutable file is refused before anything changes, naming it and the chattr that allows it', async (t) => {
    const { dir } = await project('immutable-changed');
    await mkdir(path.join(dir, 'sub'));
    await writeFile(path.join(dir, 'sub', 'locked.txt'), 'then\n');
    const snap = parseJson<{ id: string }>((await cli(['create', '--path', dir, '--json', '--tag', 'locked then'])).stdout).id;
    await writeFile(path.join(dir, 'sub', 'locked.txt'), 'now, longer\n');
    await writeFile(path.join(dir, 'f0.txt'), 'edited\n');
    const locked = path.join(dir, 'sub', 'locked.txt');
    if (!immutable(locked, true)) { t.skip('chattr +i is not supported here'); return; }
    const snapshots = async (): Promise<number> => parseJson<unknown[]>((await cli(['list', '--path', dir, '--json'])).stdout).length;
    const before = await snapshots();
    try {
      const preview = parseJson<{ refused?: { path: string; why: string }[]; refusal?: string }>((await cli(['diff', snap, '--json'])).stdout);
      assert.deepEqual(preview.refused, [{ path: 'sub/locked.txt', why: 'immutable (chattr +i)' }]);
      assert.match((await cli(['diff', snap])).stdout, /^WARNING: the rollback will be refused: sub\/locked\.txt is immutable \(chattr \+i\)/m);
      const rb = await cli(['rollback', snap, '--yes']);
      assert.equal(rb.code, 1);
      assert.match(rb.stderr, /sub\/locked\.txt is immutable \(chattr \+i\)/);
      assert.ok(rb.stderr.includes(`'chattr -i ${locked}'`), rb.stderr);
      assert.match(rb.stderr, /nothing was changed/);
      assert.equal(await readFile(path.join(dir, 'f0.txt'), 'utf8'), 'edited\n', 'nothing changed, not even the files before it');
      assert.equal(await snapshots(), before, 'no safety snapshot was taken');
      assert.deepEqual(await restoreTemps(dir), []);
      const status = await cli(['status', '--path', dir]);
      assert.doesNotMatch(status.stdout, /stopped part way|interrupted/);
    } finally {
      immutable(locked, false);
    }
    const rb = await cli(['rollback', snap, '--yes']);
    assert.equal(rb.code, 0, rb.stderr);
    assert.equal(await readFile(locked, 'utf8'), 'then\n');
  });

  test('an append-only folder the rollback would write into is refused up front: no temporary file is left in it', async (t) => {
    const { dir, id } = await project('append-only');
    await mkdir(path.join(dir, 'log'));
    await writeFile(path.join(dir, 'log', 'a.txt'), 'then\n');
    const snap = parseJson<{ id: string }>((await cli(['create', '--path', dir, '--json'])).stdout).id;
    assert.ok(id);
    await writeFile(path.join(dir, 'log', 'a.txt'), 'now\n');
    if (!immutable(path.join(dir, 'log'), true)) { t.skip('chattr is not supported here'); return; }
    immutable(path.join(dir, 'log'), false);
    execFileSync('chattr', ['+a', path.join(dir, 'log')]);
    try {
      const rb = await cli(['rollback', snap, '--yes']);
      assert.equal(rb.code, 1);
      assert.match(rb.stderr, /log is append-only \(chattr \+a\)/);
      assert.deepEqual(await restoreTemps(dir), []);
      assert.equal(await readFile(path.join(dir, 'log', 'a.txt'), 'utf8'), 'now\n');
    } finally {
      execFileSync('chattr', ['-a', path.join(dir, 'log')]);
    }
  });

  test('an immutable file whose bytes match but whose mtime moved is named up front, never met half way', async (t) => {
    const { dir, id } = await project('immutable-touched');
    await writeFile(path.join(dir, 'f0.txt'), 'edited\n');
    const locked = path.join(dir, 'f1.txt');
    await utimes(locked, 1000, 1000);
    if (!immutable(locked, true)) { t.skip('chattr +i is not supported here'); return; }
    try {
      const rb = await cli(['rollback', id, '--yes']);
      assert.equal(rb.code, 1);
      assert.match(rb.stderr, /f1\.txt is immutable/);
      assert.equal(await readFile(path.join(dir, 'f0.txt'), 'utf8'), 'edited\n');
    } finally {
      immutable(locked, false);
    }
  });

  test("leftovers of a killed restore are removed by the next rollback too, not only by a recovery", async () => {
    const { dir, id } = await project('leftover-next', 3);
    await mkdir(path.join(dir, 'deep'));
    await writeFile(path.join(dir, 'deep', 'kept.txt'), 'kept\n');
    const snap = parseJson<{ id: string }>((await cli(['create', '--path', dir, '--json'])).stdout).id;
    assert.ok(id);
    // As a kill -9 of an undo or an abandoned rollback leaves them: no journal says to finish anything.
    await writeFile(path.join(dir, `.snapctl-restore-${snap}-0123456789ab`), 'half a copy');
    await writeFile(path.join(dir, 'deep', `.snapctl-restore-${snap}-ba9876543210`), 'half a copy');
    await writeFile(path.join(dir, 'f0.txt'), 'edited\n');
    const rb = await cli(['rollback', snap, '--yes', '--json']);
    assert.equal(rb.code, 0, rb.stderr);
    assert.deepEqual(await restoreTemps(dir), []);
    assert.equal(await readFile(path.join(dir, 'deep', 'kept.txt'), 'utf8'), 'kept\n');
  });

  test("a restore's temporary file left by a kill -9 is never listed nor kept, and recovery removes it", async () => {
    const { dir, id } = await project('leftover', 20);
    for (let i = 0; i < 20; i++) await writeFile(path.join(dir, `f${i}.txt`), `v2 ${i}\n`);
    const dying = await runCli(['rollback', id, '--yes'], { ...env, SNAPCTL_FAULT_KILL_AT: '4' });
    assert.equal(dying.signal, 'SIGKILL');
    const pending = await unfinished(new ServiceContext({ home: env['SNAPCTL_HOME'] ?? '' }), dir);
    assert.ok(pending);
    // As a kill between the copy and its rename leaves one.
    const leftover = `.snapctl-restore-${pending.safetyId}-0123456789ab`;
    await writeFile(path.join(dir, leftover), 'half a copy');
    const shown = parseJson<{ added: string[] }>((await cli(['diff', pending.safetyId, '--json'])).stdout);
    assert.ok(!shown.added.includes(leftover) && !JSON.stringify(shown).includes('.snapctl-restore-'), 'the preview does not list it');
    assert.equal((await cli(['recover', '--path', dir])).code, 0);
    assert.deepEqual(await restoreTemps(dir), [], 'recovery removed it');
    const other = `.snapctl-restore-${id}-ba9876543210`;
    await writeFile(path.join(dir, other), 'an older leftover');
    await writeFile(path.join(dir, '.snapctl-restore-notes.txt'), "a user's file with a look-alike name\n");
    const listing = parseJson<{ added: string[] }>((await cli(['diff', id, '--json'])).stdout);
    assert.deepEqual(listing.added, ['.snapctl-restore-notes.txt'], 'a preview never lists a leftover');
    const made = parseJson<{ id: string }>((await cli(['create', '--path', dir, '--json'])).stdout).id;
    await rm(path.join(dir, other));
    const kept = parseJson<{ removed: string[] }>((await cli(['diff', made, '--json'])).stdout);
    assert.deepEqual(kept.removed, [], 'a snapshot never keeps a leftover');
    await rm(path.join(dir, '.snapctl-restore-notes.txt'));
    const rb = await cli(['rollback', made, '--yes', '--json']);
    assert.equal(rb.code, 0, rb.stderr);
    const view = parseJson<{ restored: { broughtBack: number } }>(rb.stdout);
    assert.equal(view.restored.broughtBack, 1, "only the user's file comes back: the leftover was never kept");
    assert.equal(await readFile(path.join(dir, '.snapctl-restore-notes.txt'), 'utf8'), "a user's file with a look-alike name\n");
  });

  test('status keeps naming a bad settings field, and any command keeps the valid parts (keepGit)', async () => {
    const home = path.join(box.root, 'bad-settings-home');
    const dir = path.join(box.root, 'bad-settings');
    await mkdir(home, { recursive: true });
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(home, 'settings.json'), JSON.stringify({ targets: [{ path: dir, keepGit: true, schedule: '61 * * * *' }] }));
    const local = { ...env, SNAPCTL_HOME: home };
    assert.equal((await runCli(['list'], local)).code, 0);
    for (let i = 0; i < 2; i++) {
      const text = await runCli(['status'], local);
      assert.match(text.stdout, /problem: the settings file: the folder .*bad-settings: its schedule: .*the default is used instead; fix it in /);
      assert.equal(text.stderr, '');
      const json = parseJson<{ targets: TargetStatus[]; settingsProblems: string[] }>((await runCli(['status', '--json'], local)).stdout);
      assert.equal(json.targets.find((t) => t.path === dir)?.keepGit, true, 'the valid parts are kept');
      assert.equal(json.settingsProblems.length, 1);
    }
  });

  test('undo of the rollback of a deleted folder removes the folder again, as it was before', async () => {
    const { dir, id } = await project('deleted-undo');
    await rm(dir, { recursive: true });
    assert.equal((await cli(['rollback', id, '--yes'])).code, 0);
    assert.equal(await readFile(path.join(dir, 'f0.txt'), 'utf8'), 'v1 0\n');
    const undo = await cli(['undo', '--path', dir, '--yes']);
    assert.equal(undo.code, 0, undo.stderr);
    await assert.rejects(stat(dir), { code: 'ENOENT' }, 'gone again, not left empty');
    assert.equal((await cli(['rollback', id, '--yes'])).code, 0, 'and it can be rolled back once more');
    assert.equal(await readFile(path.join(dir, 'f2.txt'), 'utf8'), 'v1 2\n');
  });

  test("'latest' says what exists: run outside every folder, or a folder with only safety snapshots", async () => {
    const outside = path.join(box.root, 'nowhere');
    await mkdir(outside, { recursive: true });
    const away = await cli(['diff', 'latest'], outside);
    assert.equal(away.code, 2);
    assert.match(away.stderr, new RegExp(`^snapctl: 'latest' needs a folder: the current folder ${outside} is not inside one snapctl snapshots \\(pass --path DIR, or run it inside `));
    const { dir, id } = await project('only-safety');
    await writeFile(path.join(dir, 'f0.txt'), 'edited\n');
    assert.equal((await cli(['rollback', id, '--yes'])).code, 0);
    assert.equal((await cli(['delete', id])).code, 0);
    const safe = await cli(['diff', 'latest'], dir);
    assert.equal(safe.code, 2);
    assert.match(safe.stderr, new RegExp(`^snapctl: ${dir} has only 1 safety snapshot \\(taken before rollbacks\\), and 'latest' never means one \\(name it by its id`));
    const none = await cli(['diff', 'latest', '--path', path.join(box.root, 'never-snapshotted')]);
    assert.equal(none.code, 2);
  });

  test('--only paths are relative to the folder when run outside it, absolute ones must be inside it, and a name that is not UTF-8 is reachable', async () => {
    const { dir, id } = await project('only-where', 2);
    await mkdir(path.join(dir, 'sub'));
    await writeFile(path.join(dir, 'sub', 'x.txt'), 'x1\n');
    const latin1 = Buffer.concat([Buffer.from(`${dir}/caf`), Buffer.from([0xe9]), Buffer.from('.txt')]);
    await writeFile(latin1, 'bytes 1\n');
    const snap = parseJson<{ id: string }>((await cli(['create', '--path', dir, '--json', '--tag', 'only-where 2'])).stdout).id;
    assert.ok(id);
    await writeFile(path.join(dir, 'sub', 'x.txt'), 'x2\n');
    await writeFile(path.join(dir, 'f0.txt'), 'f0 edited\n');
    await writeFile(latin1, 'bytes 2\n');
    const outside = path.join(box.root, 'elsewhere');
    await mkdir(outside, { recursive: true });
    const rb = await cli(['rollback', snap, '--yes', '--only', 'sub/x.txt'], outside);
    assert.equal(rb.code, 0, rb.stderr);
    assert.equal(await readFile(path.join(dir, 'sub', 'x.txt'), 'utf8'), 'x1\n', 'relative to the folder, not to the current folder outside it');
    assert.equal(await readFile(path.join(dir, 'f0.txt'), 'utf8'), 'f0 edited\n');
    const far = await cli(['rollback', snap, '--yes', '--only', path.join(outside, 'f0.txt')], outside);
    assert.equal(far.code, 2);
    assert.match(far.stderr, new RegExp(`outside the snapshot's folder ${dir}`));
    // The name's byte 0xE9 passed as it is (a shell does it; Node's own spawn would encode text as UTF-8).
    const raw = spawnSync('sh', ['-c', `exec "$0" "$1" rollback "$2" --yes --only "$(printf 'caf\\351.txt')"`, process.execPath, cliPath, snap], { cwd: dir, env: { ...process.env, ...env }, encoding: 'utf8' });
    assert.equal(raw.status, 0, raw.stderr);
    assert.match(raw.stdout, /1 restored/);
    assert.equal(await readFile(latin1, 'utf8'), 'bytes 1\n');
    assert.equal(await readFile(path.join(dir, 'f0.txt'), 'utf8'), 'f0 edited\n', 'only that file');
  });

  test('undo shows what it will restore (the rollback, the safety snapshot, the counts) before it asks; "1 file", not "1 files"', async () => {
    const { dir, id } = await project('undo-shows', 1);
    await writeFile(path.join(dir, 'f0.txt'), 'edited\n');
    await writeFile(path.join(dir, 'new.txt'), 'new\n');
    assert.equal((await cli(['rollback', id, '--yes'])).code, 0);
    let out = '';
    let asked = '';
    const code = await run(['undo', '--path', dir], {
      stdout: (t) => { out += t; }, stderr: () => undefined, isInteractive: true, stdoutIsTerminal: false,
      confirm: async (q) => { asked = q; return false; }, cwd: repoRoot, env: { ...process.env, ...env }, stopSignal: () => new Promise(() => undefined),
    });
    assert.equal(code, 0);
    assert.ok(asked, 'it asked');
    assert.match(out, /^undo of the last rollback \(rolled back to 'undo-shows start' at \d\d:\d\d\) restores .*undo-shows to the safety snapshot taken before rolling back to 'undo-shows start', \d\d:\d\d \(\d{8}-/);
    assert.match(out, /undoing will change 2 paths \(1 restored, 1 brought back, 0 removed\)/);
    assert.match(out, /nothing changed\n$/);
    assert.equal(await readFile(path.join(dir, 'f0.txt'), 'utf8'), 'v1 0\n', 'nothing changed');
    const made = await cli(['create', '--path', dir]);
    assert.match(made.stdout, /: 1 file, /);
  });

  test('CLI output counts in the right number: "1 path", "2 paths", "1 version in 1 snapshot", never "(s)"', async () => {
    const { dir, id } = await project('plural', 2);
    const said: string[] = [];
    const interactive = async (args: string[]): Promise<string> => {
      let out = '';
      await run(args, {
        stdout: (t) => { out += t; }, stderr: (t) => { out += t; }, isInteractive: true, stdoutIsTerminal: false,
        confirm: async () => false, cwd: dir, env: { ...process.env, ...env }, stopSignal: () => new Promise(() => undefined),
      });
      said.push(out);
      return out;
    };
    await writeFile(path.join(dir, 'f0.txt'), 'edited\n');
    assert.match(await interactive(['rollback', id]), /^rolling back will change 1 path \(1 restored, 0 brought back, 0 removed\):\nrestore {4}f0\.txt\n/m);
    await writeFile(path.join(dir, 'f1.txt'), 'edited\n');
    assert.match(await interactive(['rollback', id]), /^rolling back will change 2 paths \(2 restored, 0 brought back, 0 removed\):/m);
    const history = await cli(['history', 'f1.txt'], dir);
    assert.equal(history.code, 0, history.stderr);
    assert.match(history.stdout, /: 1 version, changed since the newest snapshot\n/);
    assert.match(history.stdout, /in 1 snapshot:/);
    const found = await cli(['find', 'f1*', '--path', dir]);
    assert.equal(found.code, 0, found.stderr);
    assert.match(found.stdout, /f1\.txt {2}1 version in 1 snapshot, /);
    for (const text of [...said, history.stdout, found.stdout]) assert.doesNotMatch(text, /\(s\)/, text);
  });

  test("a safety snapshot is read by its label, never its tag quoted inside quotes: status, the rollback's question, the undo offer", async () => {
    const { dir, safety } = await rolledBack('nested');
    const label = /the safety snapshot taken before rolling back to 'nested start', \d\d:\d\d/;
    const status = await cli(['status', '--path', dir]);
    assert.match(status.stdout, new RegExp(`newest snapshot: ${safety} ${label.source}, `));
    let asked = '';
    await run(['rollback', safety], {
      stdout: () => undefined, stderr: () => undefined, isInteractive: true, stdoutIsTerminal: false,
      confirm: async (q) => { asked = q; return false; }, cwd: dir, env: { ...process.env, ...env }, stopSignal: () => new Promise(() => undefined),
    });
    assert.match(asked, new RegExp(`^roll back ${dir} to ${label.source} \\(${safety}\\)\\?$`));
    const back = await cli(['rollback', safety, '--yes']);
    assert.equal(back.code, 0, back.stderr);
    assert.match(back.stdout, new RegExp(`^rolled back ${dir} to ${label.source} \\(${safety}\\)`));
    const offered = await cli(['status', '--path', dir]);
    assert.match(offered.stdout, /rolled back to the safety snapshot of \d{1,2} [A-Z][a-z]{2} \d\d:\d\d \('nested start'\) at \d\d:\d\d: 'snapctl undo/);
    for (const text of [status.stdout, asked, back.stdout, offered.stdout]) assert.doesNotMatch(text, /'before /, text);
  });

  test('deleting the safety snapshot an undo needs asks first (--yes to skip); then status and undo say plainly the undo is no longer possible', async () => {
    const { dir, safety } = await rolledBack('lost-undo');
    const offer = "rolled back to 'lost-undo start' at \\d\\d:\\d\\d";
    const refused = await cli(['delete', safety]);
    assert.equal(refused.code, 2, refused.stderr);
    assert.match(refused.stderr, new RegExp(`^snapctl: deleting ${safety} takes away the undo of the last rollback of ${dir} \\(${offer}\\): it is the safety snapshot that undo restores \\(pass --yes to delete it anyway\\)\n$`));
    let asked = '';
    let out = '';
    const io = (answer: boolean) => ({
      stdout: (t: string) => { out += t; }, stderr: (t: string) => { out += t; }, isInteractive: true, stdoutIsTerminal: false,
      confirm: async (q: string) => { asked = q; return answer; }, cwd: dir, env: { ...process.env, ...env }, stopSignal: () => new Promise<string>(() => undefined),
    });
    assert.equal(await run(['delete', safety], io(false)), 0);
    assert.match(asked, /takes away the undo of the last rollback .*; delete it anyway\?$/);
    assert.equal(out, 'nothing was deleted\n');
    const listed = (): Promise<string[]> => cli(['list', '--path', dir, '--json']).then((r) => parseJson<{ id: string }[]>(r.stdout).map((x) => x.id));
    assert.ok((await listed()).includes(safety), 'still there after two refusals');
    assert.equal((await cli(['delete', safety, '--yes'])).code, 0);
    assert.ok(!(await listed()).includes(safety));
    const lost = new RegExp(`the last rollback \\(${offer}\\) can no longer be undone: its safety snapshot ${safety} was deleted`);
    const status = await cli(['status', '--path', dir]);
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, lost);
    assert.doesNotMatch(status.stdout, /snapctl undo/, 'no undo offered');
    const t = parseJson<{ targets: TargetStatus[] }>((await cli(['status', '--json', '--path', dir])).stdout).targets[0];
    assert.equal(t?.undo, null);
    assert.match(t?.undoLost ?? '', lost);
    const undo = await cli(['undo', '--path', dir, '--yes']);
    assert.equal(undo.code, 1);
    assert.match(undo.stderr, new RegExp(`^snapctl: the last rollback of ${dir} \\(${offer}\\) can no longer be undone: its safety snapshot ${safety} was deleted \\(nothing was changed\\)\n$`));
    asked = '';
    out = '';
    assert.equal(await run(['undo', '--path', dir], io(true)), 1);
    assert.equal(asked, '', 'nothing to confirm');
    assert.match(out, /can no longer be undone/);
    assert.equal(await readFile(path.join(dir, 'f0.txt'), 'utf8'), 'v1 0\n', 'the rollback stays');
  });

  test('diff refuses a folder that is now a symbolic link, as rollback does', async () => {
    const { dir, id } = await project('linked');
    const elsewhere = path.join(box.root, 'linked-elsewhere');
    await rename(dir, elsewhere);
    await symlink(elsewhere, dir);
    const d = await cli(['diff', id]);
    assert.equal(d.code, 1);
    assert.match(d.stderr, new RegExp(`^snapctl: ${dir} is now a symbolic link to ${elsewhere}`));
    assert.equal(d.stdout, '');
  });
});
