import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import { parseJson, runCli, sandbox } from '../helpers/helpers.js';
import { listenUdp, type StatsdListener } from '../helpers/statsd-listener.js';
import { METRICS_EXIT_WAIT_MS } from '../../src/cli/metrics.js';

interface Rec { id: string; trigger: string }

const gitEnv = { GIT_AUTHOR_NAME: 'Dev', GIT_AUTHOR_EMAIL: 'dev@example.com', GIT_COMMITTER_NAME: 'Dev', GIT_COMMITTER_EMAIL: 'dev@example.com', GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' };
const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('metrics from the command line', () => {
  let box: Awaited<ReturnType<typeof sandbox>>;
  let agent: StatsdListener;
  let env: Record<string, string>;
  /** The global tags every datagram carries: host, then env/service/version from DD_ENV, DD_SERVICE, DD_VERSION. */
  const globalTags = (): string => `host:${hostname()},env:ci,service:snapctl-cli,version:9.9.9`;
  const snapctl = async (args: string[], extra: Record<string, string> = {}): Promise<string> => {
    const r = await runCli(args, { ...env, ...extra });
    assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };

  before(async () => {
    box = await sandbox();
    agent = await listenUdp();
    env = { SNAPCTL_HOME: box.home, DD_AGENT_HOST: '127.0.0.1', DD_DOGSTATSD_PORT: String(agent.port), DD_ENV: 'ci', DD_SERVICE: 'snapctl-cli', DD_VERSION: '9.9.9' };
    await writeFile(path.join(box.project, 'a.txt'), 'one\n');
  });
  beforeEach(() => agent.clear());
  after(async () => { agent.close(); await box.cleanup(); });

  test('create sends snapshot.created, snapshot.duration and an OK can_snapshot with provider, trigger, host, env, service and version', async () => {
    await snapctl(['create', '--path', box.project, '--trigger', 'schedule']);
    const tags = `${globalTags()},provider:clone,trigger:schedule`;
    assert.equal(await agent.waitFor(/^snapctl\.snapshot\.created:/), `snapctl.snapshot.created:1|c|#${tags}`);
    assert.match(await agent.waitFor(/^snapctl\.snapshot\.duration:/), new RegExp(`^snapctl\\.snapshot\\.duration:\\d+(\\.\\d+)?\\|ms\\|#${escape(tags)}$`));
    assert.equal(await agent.waitFor(/^_sc\|snapctl\.can_snapshot\|/), `_sc|snapctl.can_snapshot|0|#${globalTags()},target:${box.project}`);
    const health = parseJson<{ transport: string; destination: string; lastSentAt: string | null; lastError: string | null }>(await readFile(path.join(box.home, 'metrics-health.json'), 'utf8'));
    assert.equal(health.transport, 'udp');
    assert.equal(health.destination, `127.0.0.1:${agent.port}`);
    assert.ok(health.lastSentAt, 'the send is recorded for snapctl status');
    const status = await snapctl(['status']);
    assert.match(status, new RegExp(`^metrics: being sent to 127\\.0\\.0\\.1:${agent.port} over UDP; last sent ${health.lastSentAt.replace(/\./g, '\\.')} \\(UDP cannot tell whether an agent listens\\)$`, 'm'));
    const json = parseJson<{ metrics: { enabled: boolean; transport: string; destination: string; sendErrors: number; lastError: string | null; lastSentAt: string } }>(await snapctl(['status', '--json']));
    assert.deepEqual(json.metrics, { enabled: true, transport: 'udp', destination: `127.0.0.1:${agent.port}`, sendErrors: 0, lastError: null, lastErrorSetting: null, lastSentAt: health.lastSentAt });
    assert.deepEqual(agent.all(/^snapctl\./).length, 2, 'status itself sends nothing');
  });

  test('a failed create sends snapshot.failed, a CRITICAL can_snapshot and an error event, and exits as it would without metrics', async () => {
    // A provider the folder cannot have: the create fails once it started (an unknown folder fails before).
    const args = ['create', '--path', box.project, '--provider', 'btrfs'];
    const quiet = await runCli(args, { SNAPCTL_HOME: box.home, DD_AGENT_HOST: '127.0.0.1', DD_DOGSTATSD_PORT: '9' });
    const r = await runCli(args, env);
    assert.equal(r.code, quiet.code);
    assert.notEqual(r.code, 0);
    assert.match(await agent.waitFor(/^snapctl\.snapshot\.failed:/), new RegExp(`^snapctl\\.snapshot\\.failed:1\\|c\\|#${escape(globalTags())},provider:btrfs,trigger:manual$`));
    assert.match(await agent.waitFor(/^_sc\|snapctl\.can_snapshot\|2\|/), /\|m:.+/);
    assert.match(await agent.waitFor(/^_e\{/), /snapctl\.snapshot failed\|.*\|t:error/);
  });

  test('rollback sends rollback.completed and rollback.duration (kind rollback); undo sends kind undo', async () => {
    const [snap] = parseJson<Rec[]>(await snapctl(['list', '--json']));
    await writeFile(path.join(box.project, 'a.txt'), 'changed\n');
    agent.clear();
    await snapctl(['rollback', snap?.id ?? '', '--yes']);
    assert.equal(await agent.waitFor(/^snapctl\.rollback\.completed:/), `snapctl.rollback.completed:1|c|#${globalTags()},provider:clone,kind:rollback`);
    assert.match(await agent.waitFor(/^snapctl\.rollback\.duration:/), new RegExp(`\\|ms\\|#${escape(globalTags())},provider:clone,kind:rollback$`));
    agent.clear();
    await snapctl(['undo', '--yes']);
    assert.equal(await agent.waitFor(/^snapctl\.rollback\.completed:/), `snapctl.rollback.completed:1|c|#${globalTags()},provider:clone,kind:undo`);
    assert.match(await agent.waitFor(/^snapctl\.rollback\.duration:/), /kind:undo$/);
  });

  test('a rollback of an unknown id fails before it starts, and sends nothing', async () => {
    const r = await runCli(['rollback', '20991231-235959-abcdef', '--yes'], env);
    assert.notEqual(r.code, 0);
    // An unknown id fails before any rollback starts: nothing to report, and nothing is loaded for it.
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.deepEqual(agent.all(/^snapctl\.rollback/), []);
  });

  test('delete sends snapshot.deleted with the snapshot\'s provider and trigger', async () => {
    const id = parseJson<Rec>(await snapctl(['create', '--path', box.project, '--json'])).id;
    agent.clear();
    await snapctl(['delete', id]);
    assert.equal(await agent.waitFor(/^snapctl\.snapshot\.deleted:/), `snapctl.snapshot.deleted:1|c|#${globalTags()},provider:clone,trigger:manual`);
  });

  test('a git commit with the hooks installed sends snapshot.created with trigger git-commit', async () => {
    const repo = path.join(box.root, 'repo');
    const git = (...args: string[]): string => execFileSync('git', ['-C', repo, ...args], { env: { ...process.env, ...env, ...gitEnv }, stdio: ['ignore', 'pipe', 'pipe'] }).toString();
    execFileSync('git', ['init', '-q', '-b', 'main', repo], { env: { ...process.env, ...gitEnv } });
    await writeFile(path.join(repo, 'f.txt'), 'one\n');
    git('add', '.');
    git('commit', '-q', '-m', 'first');
    await snapctl(['hook', 'install', '--repo', repo]);
    agent.clear();
    await writeFile(path.join(repo, 'f.txt'), 'two\n');
    git('commit', '-q', '-am', 'second');
    assert.equal(await agent.waitFor(/^snapctl\.snapshot\.created:/, 10_000), `snapctl.snapshot.created:1|c|#${globalTags()},provider:clone,trigger:git-commit`);
    assert.equal(await agent.waitFor(/^_sc\|snapctl\.can_snapshot\|/), `_sc|snapctl.can_snapshot|0|#${globalTags()},target:${repo}`);
  });

  test('snapctl run sends its snapshot before the command and keeps the command\'s exit code', async () => {
    const r = await runCli(['run', '--path', box.project, '--', process.execPath, '-e', 'process.exit(3)'], env);
    assert.equal(r.code, 3, r.stderr);
    assert.equal(await agent.waitFor(/^snapctl\.snapshot\.created:/), `snapctl.snapshot.created:1|c|#${globalTags()},provider:clone,trigger:manual`);
    assert.match(await agent.waitFor(/^snapctl\.snapshot\.duration:/), /trigger:manual$/);
  });

  test('prune sends snapshot.deleted for every snapshot it removes', async () => {
    const home = path.join(box.root, 'prune-home');
    await mkdir(home, { recursive: true });
    await writeFile(path.join(home, 'settings.json'), JSON.stringify({ version: 1, targets: [{ path: box.project, retention: { hourly: 0, daily: 0, weekly: 0, monthly: 0, manual: 1, safety: 1, preOperation: 1 } }] }));
    for (let i = 0; i < 3; i++) await snapctl(['create', '--path', box.project, '--tag', `t${i}`], { SNAPCTL_HOME: home });
    agent.clear();
    await snapctl(['prune'], { SNAPCTL_HOME: home });
    await agent.waitFor(/^snapctl\.snapshot\.deleted:/);
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.deepEqual(agent.all(/^snapctl\.snapshot\.deleted:/), Array(2).fill(`snapctl.snapshot.deleted:1|c|#${globalTags()},provider:clone,trigger:manual`));
  });

  test('recover after a rollback killed part way finishes it and sends rollback.completed (kind recovery)', async () => {
    const home = path.join(box.root, 'recover-home');
    const project = path.join(box.root, 'recover-project');
    await mkdir(project, { recursive: true });
    for (let i = 0; i < 5; i++) await writeFile(path.join(project, `f${i}.txt`), `one ${i}\n`);
    const id = parseJson<Rec>(await snapctl(['create', '--path', project, '--json'], { SNAPCTL_HOME: home })).id;
    for (let i = 0; i < 5; i++) await writeFile(path.join(project, `f${i}.txt`), `two ${i}\n`);
    const killed = await runCli(['rollback', id, '--yes'], { ...env, SNAPCTL_HOME: home, SNAPCTL_FAULT_KILL_AT: '2' });
    assert.equal(killed.signal, 'SIGKILL', killed.stderr);
    agent.clear();
    const next = await runCli(['recover'], { ...env, SNAPCTL_HOME: home });
    assert.equal(next.code, 0, next.stderr);
    assert.match(next.stdout, /finished the interrupted rollback/);
    assert.equal(await agent.waitFor(/^snapctl\.rollback\.completed:/), `snapctl.rollback.completed:1|c|#${globalTags()},provider:clone,kind:recovery`);
  });

  test('list and count send nothing', async () => {
    await snapctl(['list']);
    await snapctl(['count']);
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.deepEqual(agent.received, []);
  });

  test('settings with metrics off send nothing from a command', async () => {
    const home = path.join(box.root, 'off-home');
    await mkdir(home, { recursive: true });
    await writeFile(path.join(home, 'settings.json'), JSON.stringify({ version: 1, statsd: { enabled: false } }));
    await snapctl(['create', '--path', box.project], { SNAPCTL_HOME: home });
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.deepEqual(agent.received, []);
  });
});

describe('metrics with no agent', () => {
  let box: Awaited<ReturnType<typeof sandbox>>;
  before(async () => {
    box = await sandbox();
    await writeFile(path.join(box.project, 'a.txt'), 'one\n');
  });
  after(() => box.cleanup());

  const create = async (home: string, extra: Record<string, string>): Promise<{ stdout: string; stderr: string; health: { transport: string; lastSentAt: string | null; lastError: string | null; sendErrors: number } | null }> => {
    const r = await runCli(['create', '--path', box.project], { SNAPCTL_HOME: path.join(box.root, home), ...extra });
    assert.equal(r.code, 0, r.stderr);
    const health = await readFile(path.join(box.root, home, 'metrics-health.json'), 'utf8').then((t) => parseJson<{ transport: string; lastSentAt: string | null; lastError: string | null; sendErrors: number }>(t), () => null);
    return { stdout: r.stdout, stderr: r.stderr, health };
  };

  test('nothing listening, or a host that does not resolve, neither fails nor changes a command: each datagram is handed over once, and what is left at exit is dropped; status learns why', async () => {
    const off = path.join(box.root, 'off');
    await mkdir(off, { recursive: true });
    await writeFile(path.join(off, 'settings.json'), JSON.stringify({ version: 1, statsd: { enabled: false } }));
    const without = await create('off', {});
    assert.equal(without.health, null, 'metrics off: nothing sent, nothing recorded');
    const closed = await create('closed', { DD_AGENT_HOST: '127.0.0.1', DD_DOGSTATSD_PORT: '9' }); // discard: nothing listens
    const unresolvable = await create('unresolvable', { DD_AGENT_HOST: 'no-such-host.invalid' });
    const shape = (text: string): string => text.replace(/\d{8}-\d{6}-[0-9a-f]{6}/g, 'ID');
    for (const run of [closed, unresolvable]) {
      assert.equal(shape(run.stdout), shape(without.stdout), 'the same answer as without metrics');
      assert.equal(run.stderr, '', 'and nothing said about metrics');
    }
    // UDP hands a datagram to the kernel and never waits for an answer: nothing listening is no error.
    assert.equal(closed.health?.transport, 'udp');
    assert.equal(closed.health?.sendErrors, 0);
    assert.ok(closed.health?.lastSentAt);
    // A name that does not resolve: each of the create's three datagrams fails once (no retry), or what is still
    // waiting for the lookup at exit is dropped after the bounded wait, never waited for longer.
    const health = unresolvable.health;
    assert.ok(health);
    assert.equal(health.lastSentAt, null);
    assert.ok(health.sendErrors >= 1 && health.sendErrors <= 3, `${health.sendErrors} send errors for 3 datagrams`);
    const waited = /not sent within (\d+) ms/.exec(health.lastError ?? '');
    assert.ok(waited ? Number(waited[1]) <= METRICS_EXIT_WAIT_MS : /^cannot find the host 'no-such-host\.invalid': check the name$/.test(health.lastError ?? ''), health.lastError ?? '');
    const status = await runCli(['status'], { SNAPCTL_HOME: path.join(box.root, 'unresolvable'), DD_AGENT_HOST: 'no-such-host.invalid' });
    assert.match(status.stdout, /^metrics: NOT being sent to no-such-host\.invalid:8125 over UDP: .*(cannot find the host 'no-such-host\.invalid'|not sent within)/m);
    assert.doesNotMatch(status.stdout, /getaddrinfo|ENOTFOUND/, 'in words, not the system\'s');
    assert.match(status.stdout, /^ {2}\d+ send errors? in all$/m);
  });
});
