import assert from 'node:assert/strict';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { describeTree, parseJson, runCli, sandbox, type Sandbox } from '../helpers/helpers.js';

/**
 * kill -9 at each step of writing a clone manifest as a delta and of deleting the snapshot a delta builds
 * on (the delta is written again first): after each, every snapshot left verifies whole and a rollback to
 * the newest restores it exactly. More files than the store's threshold for deltas (DELTA_MIN_ENTRIES).
 */
const FILES = 2_100;

async function buildTree(dir: string): Promise<void> {
  for (let d = 0; d < 30; d++) {
    await mkdir(path.join(dir, `pkg${d}`), { recursive: true });
    for (let f = 0; f < FILES / 30; f++) await writeFile(path.join(dir, `pkg${d}`, `m${f}.js`), `module.exports = ${d * 1000 + f};\n`);
  }
}

async function kind(box: Sandbox, id: string): Promise<'delta' | 'whole' | 'missing'> {
  const text = await readFile(path.join(box.home, 'clone', 'manifests', `${id}.json`), 'utf8').catch(() => null);
  return text === null ? 'missing' : text.startsWith('{"version":2,') ? 'delta' : 'whole';
}

async function change(dir: string, round: number): Promise<void> {
  await writeFile(path.join(dir, `pkg${round}`, 'm0.js'), `changed in round ${round}\n`);
  await rm(path.join(dir, `pkg${round}`, 'm1.js'), { force: true });
  await writeFile(path.join(dir, `pkg${round}`, `new${round}.js`), `made in round ${round}\n`);
}

async function snapshot(box: Sandbox, env: Record<string, string>): Promise<string> {
  const made = await runCli(['create', '--path', box.project, '--provider', 'clone', '--json'], env);
  assert.equal(made.code, 0, made.stderr);
  return parseJson<{ id: string }>(made.stdout).id;
}

/** Every snapshot left verifies, and a rollback to `newest` gives back `tree`. */
async function whole(box: Sandbox, env: Record<string, string>, newest: string, tree: Record<string, string>): Promise<void> {
  const verified = await runCli(['verify', '--json'], env);
  assert.equal(verified.code, 0, `${verified.stdout}\n${verified.stderr}`);
  const back = await runCli(['rollback', newest, '--yes'], env);
  assert.equal(back.code, 0, back.stderr);
  assert.deepEqual(await describeTree(box.project), tree);
}

describe('kill -9 while clone manifests are kept as deltas', () => {
  const boxes: Sandbox[] = [];
  after(async () => { for (const b of boxes) await b.cleanup(); });

  test('killed at each step of deleting the snapshot a delta builds on: the delta still reads whole', async () => {
    for (let step = 1; step <= 4; step++) {
      const box = await sandbox();
      boxes.push(box);
      const env = { SNAPCTL_HOME: box.home };
      await buildTree(box.project);
      const ids: string[] = [];
      for (let round = 0; round < 3; round++) {
        if (round > 0) await change(box.project, round);
        ids.push(await snapshot(box, env));
      }
      const tree = await describeTree(box.project);
      assert.deepEqual(await Promise.all(ids.map((id) => kind(box, id))), ['whole', 'delta', 'delta']);
      const killed = await runCli(['delete', ids[1] as string, '--yes'], { ...env, SNAPCTL_FAULT_KILL_MANIFEST_AT: String(step) });
      assert.ok(killed.signal === 'SIGKILL' || killed.code === 0, `step ${step}: ${killed.stderr}`);
      await whole(box, env, ids[2] as string, tree);
      await box.cleanup();
    }
  });

  test('killed before or after a delta is written: the store reads, and the next snapshot builds on what is there', async () => {
    for (let step = 1; step <= 2; step++) {
      const box = await sandbox();
      boxes.push(box);
      const env = { SNAPCTL_HOME: box.home };
      await buildTree(box.project);
      const first = await snapshot(box, env);
      await change(box.project, 1);
      const killed = await runCli(['create', '--path', box.project, '--provider', 'clone'], { ...env, SNAPCTL_FAULT_KILL_MANIFEST_AT: String(step) });
      assert.equal(killed.signal, 'SIGKILL', killed.stderr);
      await change(box.project, 2);
      const next = await snapshot(box, env);
      assert.equal(await kind(box, next), 'delta');
      assert.equal(await kind(box, first), 'whole');
      await whole(box, env, next, await describeTree(box.project));
      await box.cleanup();
    }
  });
});
