import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { run } from '../../src/cli/main.js';
import { cliSandbox, parseJson, repoRoot, runCli, sandbox } from '../helpers/helpers.js';

describe('snapctl CLI', () => {
  let box: Awaited<ReturnType<typeof sandbox>>;
  let env: Record<string, string>;
  let id: string;
  before(async () => {
    box = await sandbox();
    env = { SNAPCTL_HOME: box.home };
    await writeFile(path.join(box.project, 'a.txt'), 'one\n');
    const created = await runCli(['create', '--path', box.project, '--tag', 'first', '--json'], env);
    assert.equal(created.code, 0, created.stderr);
    id = parseJson<{ id: string }>(created.stdout).id;
  });
  after(() => box.cleanup());

  test('--help works for the program and every command', async () => {
    for (const args of [['--help'], ...['create', 'list', 'count', 'delete', 'rollback', 'undo', 'diff'].map((c) => [c, '--help'])]) {
      const r = await runCli(args, env);
      assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stdout, /Usage: snapctl/);
    }
  });

  test('state lives under SNAPCTL_HOME', async () => {
    const store = parseJson<{ snapshots: unknown[] }>(await readFile(path.join(box.home, 'store.json'), 'utf8'));
    assert.equal(store.snapshots.length, 1);
  });

  test('--json is one line for a pipe and indented for a terminal', async () => {
    const print = async (stdoutIsTerminal: boolean): Promise<string> => {
      let out = '';
      const code = await run(['list', '--json'], {
        stdout: (t) => { out += t; }, stderr: () => undefined, isInteractive: false, stdoutIsTerminal, confirm: async () => false,
        cwd: repoRoot, env: { ...process.env, ...env }, stopSignal: () => new Promise(() => undefined),
      });
      assert.equal(code, 0);
      return out;
    };
    const piped = await print(false);
    const shown = await print(true);
    assert.equal(piped.split('\n').length, 2, piped);
    assert.match(shown, /^\[\n {2}\{\n {4}"id"/);
    assert.deepEqual(JSON.parse(piped), JSON.parse(shown));
  });

  test('SNAPCTL_TRACE=1 times each phase of a snapshot and a rollback on stderr; unset, nothing is printed', async () => {
    const folder = path.join(box.root, 'traced');
    await mkdir(folder, { recursive: true });
    await writeFile(path.join(folder, 'a.txt'), 'a\n');
    const tracedEnv = { SNAPCTL_HOME: path.join(box.root, 'traced-home'), SNAPCTL_TRACE: '1' };
    const made = await runCli(['create', '--path', folder, '--json'], tracedEnv);
    assert.equal(made.code, 0, made.stderr);
    assert.match(made.stderr, /^snapctl trace: create: lock \d+\.\d ms$/m);
    const created = [...made.stderr.matchAll(/^snapctl trace: create: (.+) \d+\.\d ms$/gm)].map((m) => m[1]);
    assert.deepEqual(created, ['lock', 'read base manifests: 0', 'walk, paths: 1', 'copy and hash, new or changed files: 1, bytes read: 2', 'write the manifest', 'clone snapshot: the rest', 'record it in the store', 'add it to the path index']);
    const { id } = parseJson<{ id: string }>(made.stdout);
    await writeFile(path.join(folder, 'a.txt'), 'changed\n');
    const rolled = await runCli(['rollback', id, '--yes'], tracedEnv);
    assert.equal(rolled.code, 0, rolled.stderr);
    const phases = [...rolled.stderr.matchAll(/^snapctl trace: rollback: (.+) \d+\.\d ms$/gm)].map((m) => m[1]);
    assert.deepEqual(phases.map((p) => p?.replace(/ \(.*\)$/, '').replace(id, 'ID')),
      ['lock', 'read and check ID', 'read base manifests: 1', 'walk, paths: 1', 'copy and hash, new or changed files: 1, bytes read: 8', 'write the manifest', 'clone snapshot: the rest', 'record it in the store', 'add it to the path index', 'check what will be restored', 'journal', 'restore', 'record it and clear the journal']);
    await writeFile(path.join(folder, 'a.txt'), 'changed again\n');
    const quiet = await runCli(['rollback', id, '--yes'], { SNAPCTL_HOME: tracedEnv.SNAPCTL_HOME });
    assert.doesNotMatch(quiet.stderr, /trace/);
  });

  test('the record has every field, with an ISO 8601 time', async () => {
    const [record] = parseJson<Record<string, unknown>[]>((await runCli(['list', '--json'], env)).stdout);
    assert.ok(record);
    for (const key of ['id', 'provider', 'target', 'tag', 'trigger', 'createdAt', 'size', 'state']) assert.ok(key in record, key);
    assert.equal(record['trigger'], 'manual');
    assert.equal(record['size'], 4);
    assert.ok(!Number.isNaN(Date.parse(String(record['createdAt']))));
  });

  test('create without --path snapshots the known folder holding the current one, and refuses anywhere else', async () => {
    const known = path.join(box.root, 'known');
    const sub = path.join(known, 'deep', 'er');
    await mkdir(sub, { recursive: true });
    assert.equal((await runCli(['create', '--path', known], env)).code, 0);
    const here = await runCli(['create', '--tag', 'from inside', '--json'], env, { cwd: sub });
    assert.equal(here.code, 0, here.stderr);
    assert.equal(parseJson<{ target: string }>(here.stdout).target, known, 'the folder with snapshots, not the subfolder');
    const elsewhere = await runCli(['create'], env, { cwd: box.root });
    assert.equal(elsewhere.code, 2);
    assert.match(elsewhere.stderr, /^snapctl: no folder named, and the current folder is not inside one snapctl has snapshots of or watches \(pass --path DIR to snapshot a folder, e\.g\. --path \.\)\n$/);
  });

  test('usage errors exit 2 with a one-line message', async () => {
    const cases: string[][] = [
      ['bogus'],
      ['create'],
      ['create', '--path', box.project, '--trigger', 'whenever'],
      ['create', '--path', box.project, '--tag', 'two\nlines'],
      ['create', '--path', path.join(box.root, 'missing')],
      ['delete', '../../etc/passwd'],
      ['delete', 'x'.repeat(10_000)],
      ['rollback', id],
      ['diff', id, '--only', '/etc'],
      ['diff', id, '--only', '../outside'],
      ['list', '--frobnicate'],
    ];
    for (const args of cases) {
      const r = await runCli(args, env);
      assert.equal(r.code, 2, `${JSON.stringify(args)} exited ${r.code}: ${r.stderr}`);
      assert.equal(r.stderr.trim().split('\n').length, 1, `${JSON.stringify(args)}: ${r.stderr}`);
      assert.match(r.stderr, /^snapctl: /);
    }
  });

  test('a valid but unknown id is a failure (exit 1) that says what to do', async () => {
    const r = await runCli(['delete', '20200101-000000-abcdef'], env);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /no snapshot 20200101-000000-abcdef.*snapctl list/);
  });

  test('a tag holding shell syntax is stored as plain text and runs nothing', async () => {
    const tag = '$(touch pwned) `touch pwned2`; rm -rf / && echo "x" | cat > pwned3';
    const r = await runCli(['create', '--path', box.project, '--tag', tag, '--json'], { ...env });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(parseJson<{ tag: string }>(r.stdout).tag, tag);
    for (const f of ['pwned', 'pwned2', 'pwned3']) {
      await assert.rejects(readFile(path.join(box.project, f)));
      await assert.rejects(readFile(path.join(process.cwd(), f)));
    }
  });

  test('rollback --json names the safety snapshot; diff --json gives paths relative to the folder; undo reverts', async () => {
    await writeFile(path.join(box.project, 'a.txt'), 'two\n');
    await mkdir(path.join(box.project, 'sub'));
    await writeFile(path.join(box.project, 'sub', 'b.txt'), 'b\n');
    const diff = parseJson<{ added: string[]; removed: string[]; modified: string[] }>((await runCli(['diff', id, '--json'], env)).stdout);
    assert.deepEqual(diff, { added: ['sub', 'sub/b.txt'], removed: [], modified: ['a.txt'], unfinished: null, git: [], keepGit: false, leftAlone: { count: 0, examples: [] } });

    const rb = await runCli(['rollback', id, '--yes', '--json'], env);
    assert.equal(rb.code, 0, rb.stderr);
    const result = parseJson<{ safety: { id: string; trigger: string } }>(rb.stdout);
    assert.equal(result.safety.trigger, 'safety');
    assert.equal(await readFile(path.join(box.project, 'a.txt'), 'utf8'), 'one\n');

    const undo = await runCli(['undo', '--yes'], env);
    assert.equal(undo.code, 0, undo.stderr);
    assert.equal(await readFile(path.join(box.project, 'sub', 'b.txt'), 'utf8'), 'b\n');
    assert.equal(await readFile(path.join(box.project, 'a.txt'), 'utf8'), 'two\n');
  });

  test('--only restores one path given relative to the working directory', async () => {
    await writeFile(path.join(box.project, 'a.txt'), 'three\n');
    await writeFile(path.join(box.project, 'sub', 'b.txt'), 'changed\n');
    const r = await runCli(['rollback', id, '--yes', '--only', 'a.txt'], env, { cwd: box.project });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(await readFile(path.join(box.project, 'a.txt'), 'utf8'), 'one\n');
    assert.equal(await readFile(path.join(box.project, 'sub', 'b.txt'), 'utf8'), 'changed\n');
  });

  test('a corrupt store is kept aside, never overwritten, and the index is rebuilt from the snapshots', async () => {
    const home = path.join(box.root, 'corrupt-home');
    await mkdir(home);
    await writeFile(path.join(home, 'store.json'), '{"version":1,"snapshots":[{"id":');
    const r = await runCli(['create', '--path', box.project], { SNAPCTL_HOME: home });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /snapshot index .* was damaged .* kept as .*store\.json\.corrupt-/);
    const aside = (await readdir(home)).filter((n) => n.startsWith('store.json.corrupt-'));
    assert.equal(await readFile(path.join(home, aside[0] ?? 'missing'), 'utf8'), '{"version":1,"snapshots":[{"id":');
  });

  test('count and list agree, newest first', async () => {
    const list = parseJson<{ createdAt: string }[]>((await runCli(['list', '--json'], env)).stdout);
    assert.equal(String(list.length), (await runCli(['count'], env)).stdout.trim());
    const times = list.map((r) => r.createdAt);
    assert.deepEqual(times, [...times].sort().reverse());
  });
});

describe('snapctl delete', () => {
  const ctx = cliSandbox();

  test('says what deleting freed: nothing for a snapshot whose files others hold, the bytes only it held otherwise', async () => {
    const { box, env } = ctx;
    await writeFile(path.join(box.project, 'a.bin'), Buffer.alloc(300_000, 1));
    assert.equal((await runCli(['create', '--path', box.project], env)).code, 0);
    await writeFile(path.join(box.project, 'b.bin'), Buffer.alloc(200_000, 2));
    assert.equal((await runCli(['create', '--path', box.project], env)).code, 0);
    const [newest, older] = parseJson<{ id: string }[]>((await runCli(['list', '--json'], env)).stdout);
    assert.match((await runCli(['delete', older?.id ?? '', '--yes'], env)).stdout, /^deleted \S+ \(it freed nothing: its files are all in other snapshots too\)\n$/);
    assert.match((await runCli(['delete', newest?.id ?? '', '--yes'], env)).stdout, /^deleted \S+ \(freed 500 kB\)\n$/);
  });
});
