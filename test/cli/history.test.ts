import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { cliPath, parseJson, runCli, sandbox } from '../helpers/helpers.js';

const BINARY = Buffer.from([0, 255, 10, 13, 0x80, 0xfe, 0, 1, 2]);

async function project(): Promise<{ home: string; dir: string; env: Record<string, string>; ids: string[]; cleanup: () => Promise<void> }> {
  const box = await sandbox();
  const env = { SNAPCTL_HOME: box.home };
  const ids: string[] = [];
  const snap = async (): Promise<void> => {
    const r = await runCli(['create', '--path', box.project, '--json'], env);
    assert.equal(r.code, 0, r.stderr);
    ids.push(parseJson<{ id: string }>(r.stdout).id);
  };
  await mkdir(path.join(box.project, 'src'));
  await writeFile(path.join(box.project, 'src', 'app.ts'), 'v1\n');
  await writeFile(path.join(box.project, 'blob.bin'), BINARY);
  await writeFile(path.join(box.project, 'gone later.txt'), 'bye\n');
  await snap();
  await writeFile(path.join(box.project, 'src', 'app.ts'), 'v2\n');
  await rm(path.join(box.project, 'gone later.txt'));
  await snap();
  return { home: box.home, dir: box.project, env, ids, cleanup: box.cleanup };
}

test('history lists versions newest first from inside the folder, for a file that no longer exists too', async (t) => {
  const p = await project();
  t.after(p.cleanup);
  const r = await runCli(['history', 'src/app.ts', '--json'], p.env, { cwd: p.dir });
  assert.equal(r.code, 0, r.stderr);
  const view = parseJson<{ versions: { size: number; snapshots: { id: string }[] }[] }>(r.stdout);
  assert.deepEqual(view.versions.map((v) => v.snapshots.map((s) => s.id)), [[p.ids[1]], [p.ids[0]]]);
  const gone = await runCli(['history', path.join(p.dir, 'gone later.txt')], p.env);
  assert.equal(gone.code, 0, gone.stderr);
  assert.match(gone.stdout, /not in the folder now/);
  assert.match(gone.stdout, /deleted +by/);
  const none = await runCli(['history', 'never-was.txt'], p.env, { cwd: p.dir });
  assert.equal(none.code, 1);
  assert.match(none.stderr, /is in none of the 2 snapshot/);
});

test('find matches a bare glob in any folder and marks deleted paths', async (t) => {
  const p = await project();
  t.after(p.cleanup);
  const r = await runCli(['find', '*.txt', '--path', p.dir], p.env);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^deleted gone later\.txt/m);
  const ts = await runCli(['find', 'src/**/*.ts', '--json'], p.env, { cwd: p.dir });
  assert.deepEqual(parseJson<{ matches: { path: string; versions: number }[] }>(ts.stdout).matches.map((m) => [m.path, m.versions]), [['src/app.ts', 2]]);
});

test('cat writes the raw bytes to a pipe, takes an id prefix, and refuses a folder in plain words', async (t) => {
  const p = await project();
  t.after(p.cleanup);
  const out = spawnSync(process.execPath, [cliPath, 'cat', (p.ids[0] ?? '').slice(0, 18), 'blob.bin'], { cwd: p.dir, env: { ...process.env, ...p.env } });
  assert.equal(out.status, 0, out.stderr.toString());
  assert.deepEqual(out.stdout, BINARY);
  const dir = await runCli(['cat', 'latest', 'src'], p.env, { cwd: p.dir });
  assert.equal(dir.code, 2);
  assert.match(dir.stderr, /src is a folder in snapshot/);
  const missing = await runCli(['cat', p.ids[1] ?? '', 'gone later.txt'], p.env, { cwd: p.dir });
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /is not there in snapshot/);
});

test('restore puts one version back in place, undoably, or beside it with --to without overwriting', async (t) => {
  const p = await project();
  t.after(p.cleanup);
  const r = await runCli(['restore', p.ids[0] ?? '', 'src/app.ts'], p.env, { cwd: p.dir });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(await readFile(path.join(p.dir, 'src', 'app.ts'), 'utf8'), 'v1\n');
  const undo = await runCli(['undo', '--path', p.dir, '--yes'], p.env);
  assert.equal(undo.code, 0, undo.stderr);
  assert.equal(await readFile(path.join(p.dir, 'src', 'app.ts'), 'utf8'), 'v2\n');
  assert.match(undo.stdout, /: src\/app\.ts is as it was before the restore \(1 restored/, 'the undo of a restore is said of the restore, not of the folder');
  const to = await runCli(['restore', p.ids[0] ?? '', 'gone later.txt', '--to', 'back.txt'], p.env, { cwd: p.dir });
  assert.equal(to.code, 0, to.stderr);
  assert.equal(await readFile(path.join(p.dir, 'back.txt'), 'utf8'), 'bye\n');
  const again = await runCli(['restore', p.ids[0] ?? '', 'gone later.txt', '--to', 'back.txt'], p.env, { cwd: p.dir });
  assert.equal(again.code, 2);
  assert.match(again.stderr, /already exists: nothing was written/);
});

test('the folder itself is not a file, and a path through a link inside the folder finds the file it leads to', async (t) => {
  const p = await project();
  t.after(p.cleanup);
  const self = await runCli(['history', '.'], p.env, { cwd: p.dir });
  assert.equal(self.code, 2);
  assert.match(self.stderr, /is the watched folder itself/);
  await symlink('src', path.join(p.dir, 'lib'));
  const through = await runCli(['history', 'lib/app.ts', '--json'], p.env, { cwd: p.dir });
  assert.equal(through.code, 0, through.stderr);
  assert.equal(parseJson<{ path: string }>(through.stdout).path, 'src/app.ts');
  const slash = await runCli(['find', '/', '--path', p.dir], p.env);
  assert.equal(slash.code, 2);
  assert.match(slash.stderr, /names no path/);
});

test('a path typed through a link made since is the path the snapshots hold under that name, not where the link leads', async (t) => {
  const p = await project();
  t.after(p.cleanup);
  await mkdir(path.join(p.dir, 'lib'));
  await writeFile(path.join(p.dir, 'lib', 'app.ts'), 'lib version\n');
  assert.equal((await runCli(['create', '--path', p.dir], p.env)).code, 0);
  await rm(path.join(p.dir, 'lib'), { recursive: true });
  await symlink('src', path.join(p.dir, 'lib'));
  const cat = await runCli(['cat', 'latest', 'lib/app.ts'], p.env, { cwd: p.dir });
  assert.equal(cat.stdout, 'lib version\n', cat.stderr);
  const h = parseJson<{ path: string }>((await runCli(['history', 'lib/app.ts', '--json'], p.env, { cwd: p.dir })).stdout);
  assert.equal(h.path, 'lib/app.ts');
  // A path the snapshots hold only where the link leads is still found there.
  await writeFile(path.join(p.dir, 'src', 'only-in-src.ts'), 'x\n');
  assert.equal((await runCli(['create', '--path', p.dir], p.env)).code, 0);
  assert.equal(parseJson<{ path: string }>((await runCli(['history', 'lib/only-in-src.ts', '--json'], p.env, { cwd: p.dir })).stdout).path, 'src/only-in-src.ts');
});

test('find --path of a folder without snapshots says so, even one holding the state folder', async (t) => {
  const p = await project();
  t.after(p.cleanup);
  const r = await runCli(['find', 'x', '--path', path.dirname(p.home)], p.env);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^snapctl: snapctl has no snapshots of /);
});

test('with --path DIR run outside DIR, a relative FILE is the folder\'s, for history, cat and restore alike', async (t) => {
  const p = await project();
  t.after(p.cleanup);
  const elsewhere = path.dirname(p.home);
  const cat = await runCli(['cat', p.ids[0] ?? '', 'src/app.ts', '--path', p.dir], p.env, { cwd: elsewhere });
  assert.equal(cat.code, 0, cat.stderr);
  assert.equal(cat.stdout, 'v1\n');
  const history = await runCli(['history', 'src/app.ts', '--path', p.dir, '--json'], p.env, { cwd: elsewhere });
  assert.equal(history.code, 0, history.stderr);
  assert.equal(parseJson<{ path: string }>(history.stdout).path, 'src/app.ts');
  const copy = path.join(elsewhere, 'copy.ts');
  const restore = await runCli(['restore', p.ids[0] ?? '', 'src/app.ts', '--path', p.dir, '--to', copy], p.env, { cwd: elsewhere });
  assert.equal(restore.code, 0, restore.stderr);
  assert.equal(await readFile(copy, 'utf8'), 'v1\n');
  // From the folder above, the path may be read either way: the one the snapshots hold is taken.
  const above = await runCli(['cat', p.ids[0] ?? '', `${path.basename(p.dir)}/src/app.ts`, '--path', p.dir], p.env, { cwd: path.dirname(p.dir) });
  assert.equal(above.stdout, 'v1\n', above.stderr);
  // Inside the folder, a relative path is still the current folder's.
  const inside = await runCli(['cat', p.ids[0] ?? '', 'app.ts', '--path', p.dir], p.env, { cwd: path.join(p.dir, 'src') });
  assert.equal(inside.stdout, 'v1\n', inside.stderr);
  const outside = await runCli(['cat', p.ids[0] ?? '', '/etc/hostname', '--path', p.dir], p.env, { cwd: elsewhere });
  assert.equal(outside.code, 2);
  assert.match(outside.stderr, /is not inside .* \(give a path inside that folder/);
  assert.doesNotMatch(outside.stderr, /pass --path/);
});
