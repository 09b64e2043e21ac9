import assert from 'node:assert/strict';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, test } from 'node:test';
import { buildEveryKindTree, mutateEveryWay } from '../helpers/fixtures.js';
import { cliSandbox, describeTree, parseJson, runCli, sandbox } from '../helpers/helpers.js';
import { editInPlace, objectFile, storedFiles } from '../helpers/clone-store.js';

/**
 * A rollback killed with SIGKILL at every one of its mutating steps (fault injection), then at random
 * moments: the next snapctl command must leave the folder exactly as the snapshot (or, if the kill came
 * before the first change, exactly as before), and undo must still bring back the state before.
 */
describe('an interrupted rollback is finished by the next command', () => {
  const ctx = cliSandbox();

  test('killed before each mutating step, the folder ends up as the snapshot and undo restores the state before', async () => {
    await buildEveryKindTree(ctx.box.project);
    const original = await describeTree(ctx.box.project);
    const created = await runCli(['create', '--path', ctx.box.project, '--json'], ctx.env);
    assert.equal(created.code, 0, created.stderr);
    const snapId = parseJson<{ id: string }>(created.stdout).id;
    await mutateEveryWay(ctx.box.project);
    const mutated = await describeTree(ctx.box.project);

    let killedRuns = 0;
    for (let step = 1; step < 200; step++) {
      const rb = await runCli(['rollback', snapId, '--yes'], { ...ctx.env, SNAPCTL_FAULT_KILL_AT: String(step) });
      if (rb.signal === null) {
        assert.equal(rb.code, 0, rb.stderr);
        assert.deepEqual(await describeTree(ctx.box.project), original);
        break;
      }
      assert.equal(rb.signal, 'SIGKILL');
      killedRuns++;
      const next = await runCli(['recover'], ctx.env);
      assert.equal(next.code, 0, next.stderr);
      assert.match(next.stdout, /finished the interrupted rollback/);
      assert.deepEqual(await describeTree(ctx.box.project), original, `after a kill before step ${step}`);
      const undo = await runCli(['undo', '--yes'], ctx.env);
      assert.equal(undo.code, 0, undo.stderr);
      assert.deepEqual(await describeTree(ctx.box.project), mutated, `undo after a kill before step ${step}`);
    }
    assert.ok(killedRuns >= 10, `expected many kill points, got ${killedRuns}`);
  });

  test('killed at random moments on a larger tree, the folder is either as before or as the snapshot', async () => {
    const dir = path.join(ctx.box.root, 'large');
    for (let d = 0; d < 40; d++) {
      await mkdir(path.join(dir, `pkg${d}`, 'lib'), { recursive: true });
      for (let f = 0; f < 25; f++) await writeFile(path.join(dir, `pkg${d}`, 'lib', `m${f}.js`), `module.exports = ${d * 100 + f};\n`.repeat(20));
    }
    const original = await describeTree(dir);
    const snapId = parseJson<{ id: string }>((await runCli(['create', '--path', dir, '--json'], ctx.env)).stdout).id;
    for (let d = 0; d < 40; d += 2) {
      for (let f = 0; f < 25; f += 3) await writeFile(path.join(dir, `pkg${d}`, 'lib', `m${f}.js`), 'changed\n');
      await writeFile(path.join(dir, `pkg${d}`, 'added.js'), 'added\n');
    }
    const mutated = await describeTree(dir);
    const outcomes = { before: 0, snapshot: 0 };
    for (let trial = 0; trial < 8; trial++) {
      const killAfterMs = 80 + Math.floor(Math.random() * 500);
      await runCli(['rollback', snapId, '--yes'], ctx.env, { killAfterMs });
      const next = await runCli(['recover'], ctx.env);
      assert.equal(next.code, 0, next.stderr);
      const now = await describeTree(dir);
      if (JSON.stringify(now) === JSON.stringify(original)) outcomes.snapshot++;
      else {
        assert.deepEqual(now, mutated, `trial ${trial}: killed after ${killAfterMs} ms, the folder is neither as before nor as the snapshot`);
        outcomes.before++;
        continue;
      }
      const undo = await runCli(['undo', '--yes'], ctx.env);
      assert.equal(undo.code, 0, undo.stderr);
      assert.deepEqual(await describeTree(dir), mutated);
    }
    const list = parseJson<unknown[]>((await runCli(['list', '--json'], ctx.env)).stdout);
    assert.ok(list.length >= 2, 'the store is readable after every kill');
    process.stdout.write(`# random kills: ${outcomes.snapshot} finished as the snapshot, ${outcomes.before} left as before\n`);
  });
});

describe('an interrupted rollback that cannot be finished', () => {
  test('says how to get out, and recover --abandon plus the safety snapshot return the folder to its state before', async () => {
    const box = await sandbox();
    try {
      const env = { SNAPCTL_HOME: box.home };
      for (let i = 0; i < 30; i++) await writeFile(path.join(box.project, `f${i}.txt`), `v1 ${i}\n`);
      const snapId = parseJson<{ id: string }>((await runCli(['create', '--path', box.project, '--json'], env)).stdout).id;
      for (let i = 0; i < 30; i++) await writeFile(path.join(box.project, `f${i}.txt`), `v2 ${i}\n`);
      const before = await describeTree(box.project);
      const killed = await runCli(['rollback', snapId, '--yes'], { ...env, SNAPCTL_FAULT_KILL_AT: '10' });
      assert.equal(killed.signal, 'SIGKILL');
      // The snapshot's data disappears (a disk cleaner, a hand): the rollback can no longer be finished.
      await rm(path.join(box.home, 'clone', 'manifests', `${snapId}.json`));
      const stuck = await runCli(['rollback', snapId, '--yes'], env);
      assert.notEqual(stuck.code, 0);
      assert.match(stuck.stderr, /cannot be finished.*snapctl recover --abandon --path/);
      const recover = await runCli(['recover'], env);
      assert.equal(recover.code, 1);
      const abandon = await runCli(['recover', '--abandon', '--path', box.project], env);
      assert.equal(abandon.code, 0, abandon.stderr);
      const safety = /snapctl rollback (\S+) --yes/.exec(abandon.stdout)?.[1];
      assert.ok(safety, abandon.stdout);
      const back = await runCli(['rollback', safety, '--yes'], env);
      assert.equal(back.code, 0, back.stderr);
      assert.deepEqual(await describeTree(box.project), before, 'the state before the interrupted rollback');
      assert.equal((await runCli(['recover'], env)).code, 0);
    } finally {
      await box.cleanup();
    }
  });
});

describe('an interrupted rollback whose stored copies were changed since', () => {
  test('is not finished from them: recover checks every object again, names the files and writes none of their bytes', async () => {
    const box = await sandbox();
    try {
      const env = { SNAPCTL_HOME: box.home };
      for (let i = 0; i < 30; i++) await writeFile(path.join(box.project, `f${i}.txt`), `v1 ${i}\n`);
      const snapId = parseJson<{ id: string }>((await runCli(['create', '--path', box.project, '--json'], env)).stdout).id;
      for (let i = 0; i < 30; i++) await writeFile(path.join(box.project, `f${i}.txt`), `v2 ${i}\n`);
      const killed = await runCli(['rollback', snapId, '--yes'], { ...env, SNAPCTL_FAULT_KILL_AT: '10' });
      assert.equal(killed.signal, 'SIGKILL');
      // Every stored copy edited in place, its size kept, after the check the rollback made before it began.
      for (const e of (await storedFiles(box.home, snapId)).values()) editInPlace(objectFile(box.home, e.oid), 'EVIL');
      // A read-only command never finishes it; recover (or a command on the folder) does, and checks first.
      const next = await runCli(['recover'], env);
      assert.equal(next.code, 1);
      assert.match(next.stdout + next.stderr, /cannot be finished.*damaged.*f\d+\.txt/);
      for (let i = 0; i < 30; i++) {
        const now = await readFile(path.join(box.project, `f${i}.txt`), 'utf8');
        assert.ok(now === `v1 ${i}\n` || now === `v2 ${i}\n`, `f${i}.txt holds ${JSON.stringify(now)}`);
      }
    } finally {
      await box.cleanup();
    }
  });
});
