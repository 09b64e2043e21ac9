import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startAppSocket, type AppSocket } from '../../src/api/socket-server.js';
import { run, type CliIo } from '../../src/cli/main.js';
import { SnapctlRuntime } from '../../src/core/runtime/runtime.js';
import { runCli, sandbox, type CliResult, type Sandbox } from '../helpers/helpers.js';
import { listenUdp, type StatsdListener } from '../helpers/statsd-listener.js';

/** What differs between two runs of the same commands at other moments in other folders, made alike. */
function alike(text: string, root: string): string {
  return text.split(root).join('ROOT')
    .replace(/\d{8}-\d{6}-[0-9a-f]{6}/g, 'ID')
    .replace(/\b\d{1,2}:\d{2}(:\d{2})?\b/g, 'HH:MM')
    .replace(/[\d.]+ [kMGT]?B free/g, 'N free')
    .replace(/\b[0-9a-f]{7,40}\b/g, 'SHA')
    .replace(/"(createdAt|startedAt|finishedAt|mtime)":"[^"]*"/g, '"$1":"T"')
    .replace(/"durationMs":\d+/g, '"durationMs":N')
    .replace(/process \d+/g, 'process N');
}

function git(args: string[], cwd: string, env: Record<string, string>): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/**
 * One session of a user's commands on a fresh folder: snapshots, previews, a rollback and its undo, failures
 * (used wrongly, refused by the core, refused by the API's schema), `run`, and a commit through the git hooks.
 * Returns each command's exit code and output, made alike (see alike).
 */
async function session(box: Sandbox, env: Record<string, string>): Promise<string[]> {
  const p = box.project;
  const seen: string[] = [];
  const cli = async (args: string[], cwd?: string): Promise<void> => {
    const r = await runCli(args, env, cwd ? { cwd } : {});
    seen.push(alike(`$ snapctl ${args.join(' ')}\nexit ${r.code}\n--- stdout\n${r.stdout}--- stderr\n${r.stderr}`, box.root));
  };
  const newest = async (): Promise<string> => (JSON.parse((await runCli(['list', '--json', '--path', p], env)).stdout) as { id: string }[])[0]?.id ?? '';
  await writeFile(path.join(p, 'a.txt'), 'one\n');
  await mkdir(path.join(p, 'src'));
  await writeFile(path.join(p, 'src', 'b.ts'), 'export const b = 1;\n');
  await cli(['create', '--path', p, '--tag', 'one', '--note', 'first']);
  const one = await newest();
  await writeFile(path.join(p, 'a.txt'), 'two\n');
  await writeFile(path.join(p, 'new.txt'), 'new\n');
  await cli(['create', '--tag', 'two', '--json', '--exclude', '*.log', '--trigger', 'npm-install'], p);
  await writeFile(path.join(p, 'a.txt'), 'three\n');
  await cli(['diff', 'latest', '--path', p]);
  await cli(['diff', one, '--json', '--only', 'a.txt']);
  await cli(['rollback', one, '--yes']);
  await cli(['rollback', one, '--yes']);
  await cli(['rollback', one, '--yes', '--only', 'nowhere.txt']);
  await cli(['undo', '--path', p, '--yes']);
  await cli(['undo', '--path', p, '--yes', '--json']);
  await cli(['create', '--path', p, '--provider', 'btrfs']);
  await cli(['create', '--path', p, '--tag', 'x'.repeat(201)]);
  await cli(['create', '--path', p, '--exclude', '']);
  await cli(['create', '--path', path.join(box.root, 'nowhere')]);
  await cli(['run', '--', 'sh', '-c', 'echo ran; echo more >> a.txt; exit 3'], p);
  await git(['init', '-q', p], p, env);
  await cli(['hook', 'install', '--repo', p]);
  await git(['add', 'a.txt'], p, env);
  // The installed hook takes its snapshot in the background, so git never waits: here it is run as git runs it.
  const commit = await git(['-c', 'core.hooksPath=/dev/null', 'commit', '-q', '-m', 'add a'], p, env);
  assert.equal(commit.code, 0, commit.stderr);
  await cli(['hook', 'run', 'post-commit'], p);
  await cli(['hook', 'run', 'post-commit'], box.root);
  await cli(['list', '--path', p]);
  return seen;
}

describe('the CLI through the running app', () => {
  let withApp: Sandbox;
  let alone: Sandbox;
  let runtime: SnapctlRuntime;
  let socket: AppSocket;
  before(async () => {
    [withApp, alone] = await Promise.all([sandbox(), sandbox()]);
    // Both folders in their settings (schedule paused), so the app watches its own: its snapshots use its change journal.
    for (const box of [withApp, alone]) {
      await mkdir(box.home, { recursive: true });
      await writeFile(path.join(box.home, 'settings.json'), JSON.stringify({ version: 1, schedulePaused: true, targets: [{ path: box.project, provider: 'clone' }] }));
    }
    runtime = await SnapctlRuntime.start({ home: withApp.home, env: process.env });
    const started = await startAppSocket({ context: { runtime, host: 'headless' }, env: process.env });
    assert.ok(started, 'the app serves its socket');
    socket = started;
  });
  after(async () => {
    await socket.close();
    await runtime.stop();
    await Promise.all([withApp.cleanup(), alone.cleanup()]);
  });

  test('gives the same output, errors and exit codes as the command doing the work itself', async () => {
    const through = await session(withApp, { SNAPCTL_HOME: withApp.home });
    const served = socket.served;
    const itself = await session(alone, { SNAPCTL_HOME: alone.home });
    // Both sessions really went their own way: the app ran the first one's work, none of the second's.
    assert.ok(served >= 10, `the app ran ${served} calls`);
    assert.equal(socket.served, served);
    for (let i = 0; i < Math.max(through.length, itself.length); i++) assert.equal(through[i], itself[i]);
  });

  test('SNAPCTL_NO_APP=1, or a SNAPCTL_ setting of the command\'s own, makes the command do the work itself', async () => {
    const before = socket.served;
    for (const extra of [{ SNAPCTL_NO_APP: '1' }, { SNAPCTL_TRACE: '1' }] as Record<string, string>[]) {
      await writeFile(path.join(withApp.project, 'c.txt'), JSON.stringify(extra));
      const r = await runCli(['create', '--path', withApp.project], { SNAPCTL_HOME: withApp.home, ...extra });
      assert.equal(r.code, 0, r.stderr);
    }
    assert.equal(socket.served, before);
    const status = await runCli(['status', '--json'], { SNAPCTL_HOME: withApp.home, SNAPCTL_NO_APP: '1' });
    assert.deepEqual((JSON.parse(status.stdout) as { app: unknown }).app, { answering: false, why: 'SNAPCTL_NO_APP is set' });
  });

  test('status says the app answers for this state folder, and no other', async () => {
    const here = JSON.parse((await runCli(['status', '--json'], { SNAPCTL_HOME: withApp.home })).stdout) as { app: { answering: boolean; pid?: number; folders?: { path: string }[] } };
    assert.equal(here.app.answering, true);
    assert.equal(here.app.pid, process.pid);
    assert.deepEqual(here.app.folders?.map((f) => f.path), [withApp.project]);
    const text = (await runCli(['status'], { SNAPCTL_HOME: withApp.home })).stdout;
    assert.match(text, new RegExp(`^app: answering for this state folder \\(process ${process.pid}\\)`, 'm'));
    const elsewhere = (await runCli(['status'], { SNAPCTL_HOME: alone.home })).stdout;
    assert.match(elsewhere, /^app: not answering \(no app is running for this state folder\): commands do their work in their own process$/m);
    // Per folder: the app's word on its changes (tracked, or walked and why); without an app, walked.
    assert.match(text, /^ {2}changes: (tracked by the app \(\d+ since the newest snapshot\)|walked: .+)$/m);
    assert.match(elsewhere, /^ {2}changes: walked: no app is running for this state folder: each snapshot looks at every file$/m);
  });

  test('a snapshot taken through the app shows its progress on the terminal line as one taken here does', async () => {
    const big = path.join(withApp.root, 'big');
    await mkdir(big);
    for (let i = 0; i < 300; i++) await writeFile(path.join(big, `f${i}.txt`), `${i}\n`);
    const lines = async (env: NodeJS.ProcessEnv): Promise<{ code: number; stderr: string }> => {
      let stderr = '';
      const io: CliIo = {
        stdout: () => undefined, stderr: (t) => { stderr += t; }, isInteractive: false, stdoutIsTerminal: false, stderrIsTerminal: true,
        confirm: async () => false, cwd: big, env, stopSignal: () => new Promise(() => undefined),
      };
      const code = await run(['create', '--path', big], io);
      return { code, stderr };
    };
    const before = socket.served;
    const through = await lines({ ...process.env, SNAPCTL_HOME: withApp.home });
    assert.equal(socket.served, before + 1);
    await writeFile(path.join(big, 'f0.txt'), 'changed\n');
    const itself = await lines({ ...process.env, SNAPCTL_HOME: withApp.home, SNAPCTL_NO_APP: '1' });
    assert.equal(socket.served, before + 1);
    for (const r of [through, itself]) {
      assert.equal(r.code, 0, r.stderr);
      // Rewritten in place, ending on the last file, and cleared before the result is printed.
      assert.ok(r.stderr.startsWith('\r\x1b[2Ksnapctl: '), JSON.stringify(r.stderr.slice(0, 80)));
      assert.match(r.stderr, /300 files/);
      assert.ok(r.stderr.endsWith('\r\x1b[2K'), JSON.stringify(r.stderr.slice(-80)));
    }
    assert.equal((await readFile(path.join(big, 'f0.txt'), 'utf8')), 'changed\n');
  });
});

describe('metrics of a command run through the app', () => {
  let box: Sandbox;
  let agent: StatsdListener;
  let runtime: SnapctlRuntime;
  let socket: AppSocket;
  let dd: Record<string, string>;
  before(async () => {
    box = await sandbox();
    agent = await listenUdp();
    dd = { DD_AGENT_HOST: '127.0.0.1', DD_DOGSTATSD_PORT: String(agent.port) };
    await writeFile(path.join(box.project, 'a.txt'), 'one\n');
    runtime = await SnapctlRuntime.start({ home: box.home, env: { ...process.env, ...dd }, gaugeIntervalMs: 3_600_000 });
    const started = await startAppSocket({ context: { runtime, host: 'headless' }, env: process.env });
    assert.ok(started);
    socket = started;
  });
  after(async () => {
    await socket.close();
    await runtime.stop();
    agent.close();
    await box.cleanup();
  });

  test('are sent once, by the app: the command that handed it the snapshot sends none', async () => {
    const r = await runCli(['create', '--path', box.project], { SNAPCTL_HOME: box.home, ...dd });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(socket.served, 1);
    await agent.waitFor(/^snapctl\.snapshot\.created:/);
    await writeFile(path.join(box.project, 'a.txt'), 'two\n');
    // The same command doing it itself sends its own: the listener hears both ways, so one count above is one.
    const alone = await runCli(['create', '--path', box.project], { SNAPCTL_HOME: box.home, SNAPCTL_NO_APP: '1', ...dd });
    assert.equal(alone.code, 0, alone.stderr);
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(agent.all(/^snapctl\.snapshot\.created:/).length, 2);
  });
});
