import assert from 'node:assert/strict';
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { targetKey } from '../../src/core/state/journal.js';
import { withLock } from '../../src/core/state/locks.js';
import { SnapctlRuntime } from '../../src/core/runtime/runtime.js';
import { parseJson, runCli, sandbox, type Sandbox } from '../helpers/helpers.js';
import { unfinished } from '../../src/core/service/status.js';

/**
 * One folder with a rollback that cannot be finished (killed part way, then its snapshot's data removed), and
 * another folder beside it: the stuck one must cost nothing to a read-only command or to the other folder.
 */
describe('a rollback that cannot be finished stays its own folder\'s business', () => {
  let box: Sandbox;
  let env: Record<string, string>;
  let stuck: string;
  let other: string;
  let start: string;
  const ids: Record<string, string> = {};
  const cli = (args: string[], options: { killAfterMs?: number } = {}) => runCli(args, env, options);
  const lastError = () => path.join(box.home, 'journal', `${targetKey(stuck)}.last-error`);
  /** The last attempt's record, by identity: each attempt clears it and writes it anew. */
  const attemptMark = async (): Promise<string> => {
    const st = await stat(lastError(), { bigint: true });
    return `${st.ino}:${st.mtimeNs}`;
  };
  const create = async (dir: string, tag: string): Promise<string> => {
    const made = await cli(['create', '--path', dir, '--tag', tag, '--json']);
    assert.equal(made.code, 0, made.stderr);
    return parseJson<{ id: string }>(made.stdout).id;
  };

  before(async () => {
    box = await sandbox();
    env = { SNAPCTL_HOME: box.home };
    stuck = path.join(box.root, 'stuck');
    other = path.join(box.root, 'other');
    for (const dir of [stuck, other]) {
      await mkdir(dir);
      for (let i = 0; i < 20; i++) await writeFile(path.join(dir, `f${i}.txt`), `v1 ${i}\n`);
    }
    start = await create(stuck, 'start');
    for (let i = 0; i < 20; i++) await writeFile(path.join(stuck, `f${i}.txt`), `v2 ${i}\n`);
    ids['later'] = await create(stuck, 'later');
    for (let i = 0; i < 3; i++) ids[`other${i}`] = await create(other, `other ${i}`);
    // Retention keeps one manual snapshot per folder: 'start' is one the unfinished rollback needs.
    const retention = { hourly: 0, daily: 0, weekly: 0, monthly: 0, manual: 1, safety: 1, preOperation: 1 };
    await writeFile(path.join(box.home, 'settings.json'), JSON.stringify({ version: 1, targets: [{ path: stuck, retention }, { path: other, retention }] }));
    for (let i = 0; i < 20; i++) await writeFile(path.join(stuck, `f${i}.txt`), `v3 ${i}\n`);
    const killed = await runCli(['rollback', start, '--yes'], { ...env, SNAPCTL_FAULT_KILL_AT: '4' });
    assert.equal(killed.signal, 'SIGKILL');
    // The snapshot's stored data goes: the rollback can never be finished.
    await rm(path.join(box.home, 'clone', 'objects'), { recursive: true });
    const tried = await cli(['recover']);
    assert.equal(tried.code, 1, 'recover tries it and cannot finish it');
    await stat(lastError());
  });
  after(() => box.cleanup());

  test('read-only commands neither try it again nor wait for its folder, and each says what finishes it', async () => {
    const before = await attemptMark();
    for (const args of [['count'], ['list', '--json'], ['info', '--path', other], ['history', path.join(other, 'f1.txt')]]) {
      const r = await cli(args);
      assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, new RegExp(`the rollback of ${stuck} to 'start' is unfinished .*'snapctl recover --path ${stuck}' finishes it`), args.join(' '));
    }
    const status = await cli(['status']);
    assert.equal(status.code, 1, 'status exits 1 while a folder has an unfinished rollback');
    assert.match(status.stdout, /UNFINISHED ROLLBACK to 'start'/);
    assert.doesNotMatch(status.stdout, /finished the interrupted rollback/);
    assert.equal(await attemptMark(), before, 'no command above tried the rollback again');
    // The folder's lock held by another process the whole time (as while a rollback runs): they never wait.
    const lock = path.join(box.home, 'locks', `target-${targetKey(stuck)}.lock`);
    await withLock(lock, { waitMs: 1_000, what: 'the stuck folder' }, async () => {
      // The bound only keeps a regression from hanging the suite: a command that waits for the lock waits 120 s.
      for (const args of [['count'], ['status'], ['list']]) {
        const r = await cli(args, { killAfterMs: 60_000 });
        assert.equal(r.signal, null, `${args.join(' ')} waited for the stuck folder's lock`);
      }
    });
  });

  test('the tray app starts without trying again a rollback whose last attempt failed (Retry does)', async () => {
    const before = await attemptMark();
    const runtime = await SnapctlRuntime.start({ home: box.home, env: {} });
    try {
      assert.equal(await attemptMark(), before);
      assert.ok(await unfinished(runtime.service, stuck), 'still unfinished, shown as the folder\'s state');
    } finally {
      await runtime.stop();
    }
  });

  test('a snapshot of another folder neither tries it nor fails for it', async () => {
    const before = await attemptMark();
    const made = await cli(['create', '--path', other, '--tag', 'meanwhile']);
    assert.equal(made.code, 0, made.stderr);
    assert.equal(await attemptMark(), before);
  });

  test('prune never plans nor deletes what the unfinished rollback needs, and prunes the other folders', async () => {
    const dry = await cli(['prune', '--dry-run', '--json']);
    assert.equal(dry.code, 0, dry.stderr);
    const plan = parseJson<{ target: string; keep: string[]; drop: string[] }[]>(dry.stdout);
    const stuckPlan = plan.find((p) => p.target === stuck);
    assert.ok(stuckPlan);
    assert.ok(!stuckPlan.drop.includes(start), 'the snapshot being restored is not under "would delete"');
    assert.ok(stuckPlan.keep.includes(start));
    assert.ok((plan.find((p) => p.target === other)?.drop.length ?? 0) >= 2);
    const before = await attemptMark();
    const real = await cli(['prune']);
    assert.equal(real.code, 0, real.stdout + real.stderr);
    assert.match(real.stdout, new RegExp(`${other}: keep 1, deleted 3`));
    const left = parseJson<{ id: string; target: string }[]>((await cli(['list', '--json'])).stdout);
    assert.ok(left.some((s) => s.id === start), 'kept');
    assert.equal(left.filter((s) => s.target === other).length, 1);
    assert.equal(await attemptMark(), before, 'prune did not try it either');
    assert.equal(JSON.parse(await readFile(lastError(), 'utf8')).error !== undefined, true);
  });
});

describe('a rollback killed part way is finished by the next operation on its folder, which says so', () => {
  let box: Sandbox;
  before(async () => { box = await sandbox(); });
  after(() => box.cleanup());

  test('list leaves it as it is and names it; a create on the folder finishes it first and says what it did', async () => {
    const env = { SNAPCTL_HOME: box.home };
    for (let i = 0; i < 20; i++) await writeFile(path.join(box.project, `f${i}.txt`), `v1 ${i}\n`);
    const made = await runCli(['create', '--path', box.project, '--tag', 'start', '--json'], env);
    const id = parseJson<{ id: string }>(made.stdout).id;
    for (let i = 0; i < 20; i++) await writeFile(path.join(box.project, `f${i}.txt`), `v2 ${i}\n`);
    const killed = await runCli(['rollback', id, '--yes'], { ...env, SNAPCTL_FAULT_KILL_AT: '4' });
    assert.equal(killed.signal, 'SIGKILL');
    const half = await Promise.all(Array.from({ length: 20 }, (_, i) => readFile(path.join(box.project, `f${i}.txt`), 'utf8')));
    const listed = await runCli(['list'], env);
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stderr, /is unfinished \(it was interrupted\)/);
    assert.deepEqual(await Promise.all(Array.from({ length: 20 }, (_, i) => readFile(path.join(box.project, `f${i}.txt`), 'utf8'))), half, 'list changed nothing');
    const next = await runCli(['create', '--path', box.project], env);
    assert.equal(next.code, 0, next.stderr);
    assert.match(next.stderr, new RegExp(`first finished the interrupted rollback of ${box.project} to ${id} \\('snapctl undo --path ${box.project}' puts the folder back`));
    for (let i = 0; i < 20; i++) assert.equal(await readFile(path.join(box.project, `f${i}.txt`), 'utf8'), `v1 ${i}\n`);
  });
});
