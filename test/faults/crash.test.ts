import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, writeFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { describeTree, parseJson, runCli, sandbox } from '../helpers/helpers.js';

/**
 * kill -9 at random moments: a rollback, a create, a delete. After each, the next command must leave the
 * folder byte-identical to the state before or to the snapshot, keep every safety snapshot readable, and
 * never leave the store pointing at a half-written or half-deleted snapshot.
 * SNAPCTL_FAULT_TRIALS sets the number of kills per kind (CI: 10; `npm run test:faults`: 100).
 */
const TRIALS = Number(process.env['SNAPCTL_FAULT_TRIALS'] ?? 10);

async function buildTree(dir: string, files: number): Promise<string[]> {
  const names: string[] = [];
  for (let i = 0; i < files; i++) {
    const rel = `pkg${i % 60}/lib/sub${i % 7}/m${i}.js`;
    await mkdir(path.join(dir, path.dirname(rel)), { recursive: true });
    await writeFile(path.join(dir, rel), `module.exports = ${i};\n`.repeat(1 + (i % 40)));
    names.push(rel);
  }
  return names;
}

async function mutate(dir: string, names: string[]): Promise<void> {
  for (let i = 0; i < names.length; i += 10) await writeFile(path.join(dir, names[i] as string), `changed ${i}\n`);
  for (let i = 5; i < names.length; i += 40) await rm(path.join(dir, names[i] as string));
  for (let i = 0; i < 50; i++) await writeFile(path.join(dir, `pkg${i}`, `added${i}.js`), `added ${i}\n`);
}

function elapsed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const t = Date.now();
  return fn().then((v) => [v, Date.now() - t]);
}

/** Every record's data is there: its diff against the folder can be computed. */
async function everyRecordReadable(env: Record<string, string>): Promise<number> {
  const records = parseJson<{ id: string }[]>((await runCli(['list', '--json'], env)).stdout);
  for (const r of records) {
    const d = await runCli(['diff', r.id, '--json'], env);
    assert.equal(d.code, 0, `snapshot ${r.id} is listed but unreadable: ${d.stderr}`);
  }
  return records.length;
}

/** Manifests no record names and objects no manifest names, in the clone store. */
async function unreferenced(home: string): Promise<{ manifests: number; objects: number }> {
  const recorded = new Set(parseJson<{ id: string }[]>((await runCli(['list', '--json'], { SNAPCTL_HOME: home })).stdout).map((r) => r.id));
  const manifests = (await readdir(path.join(home, 'clone', 'manifests'))).filter((n) => n.endsWith('.json')).map((n) => n.slice(0, -5));
  const referenced = new Set<string>();
  for (const m of manifests) {
    const manifest = JSON.parse(await readFile(path.join(home, 'clone', 'manifests', `${m}.json`), 'utf8')) as { entries: { oid?: string }[] };
    for (const e of manifest.entries) if (e.oid) referenced.add(e.oid);
  }
  let objects = 0;
  for (const sub of await readdir(path.join(home, 'clone', 'objects'))) {
    if (!/^[0-9a-f]{2}$/.test(sub)) continue;
    for (const oid of await readdir(path.join(home, 'clone', 'objects', sub))) if (!referenced.has(oid)) objects++;
  }
  return { manifests: manifests.filter((m) => !recorded.has(m)).length, objects };
}

describe(`kill -9 at random moments (${TRIALS} trials each)`, () => {
  let box: Awaited<ReturnType<typeof sandbox>>;
  let env: Record<string, string>;
  let names: string[];
  let snapId: string;
  let original: Record<string, string>;
  let mutated: Record<string, string>;
  const summary: string[] = [];

  before(async () => {
    box = await sandbox();
    env = { SNAPCTL_HOME: box.home };
    names = await buildTree(box.project, 3000);
    original = await describeTree(box.project);
    snapId = parseJson<{ id: string }>((await runCli(['create', '--path', box.project, '--json'], env)).stdout).id;
    await mutate(box.project, names);
    mutated = await describeTree(box.project);
  });
  after(async () => {
    for (const line of summary) process.stdout.write(`# ${line}\n`);
    await box.cleanup();
  });

  test('rollback: the folder is as before or as the snapshot, undo always works, every safety snapshot stays readable', { timeout: 1_800_000 }, async () => {
    // How long an uninterrupted rollback takes here, so kills land anywhere within it.
    const [full, ms] = await elapsed(() => runCli(['rollback', snapId, '--yes'], env));
    assert.equal(full.code, 0, full.stderr);
    assert.deepEqual(await describeTree(box.project), original);
    assert.equal((await runCli(['undo', '--yes'], env)).code, 0);
    assert.deepEqual(await describeTree(box.project), mutated);
    const outcomes = { snapshot: 0, before: 0 };
    for (let trial = 0; trial < TRIALS; trial++) {
      const killAfterMs = 30 + Math.floor(Math.random() * ms * 1.2);
      await runCli(['rollback', snapId, '--yes'], env, { killAfterMs });
      const next = await runCli(['recover'], env);
      assert.equal(next.code, 0, next.stderr);
      const now = await describeTree(box.project);
      if (JSON.stringify(now) === JSON.stringify(mutated)) { outcomes.before++; continue; }
      assert.deepEqual(now, original, `trial ${trial}: killed after ${killAfterMs} ms, the folder is neither as before nor as the snapshot`);
      outcomes.snapshot++;
      const undo = await runCli(['undo', '--yes'], env);
      assert.equal(undo.code, 0, undo.stderr);
      assert.deepEqual(await describeTree(box.project), mutated, `trial ${trial}: undo after the finished rollback`);
    }
    const readable = await everyRecordReadable(env);
    summary.push(`rollback kills: ${TRIALS} (uninterrupted rollback ${ms} ms); ${outcomes.snapshot} finished as the snapshot by 'snapctl recover', ${outcomes.before} left as before; ${readable} snapshots all readable; nothing lost`);
  });

  test('create: a killed create never leaves a record without its data', { timeout: 1_800_000 }, async () => {
    const before = parseJson<unknown[]>((await runCli(['list', '--json'], env)).stdout).length;
    await writeFile(path.join(box.project, 'pkg0', 'fresh.js'), 'fresh\n'); // so each create copies something
    const [full, ms] = await elapsed(() => runCli(['create', '--path', box.project], env));
    assert.equal(full.code, 0, full.stderr);
    let landed = 0;
    for (let trial = 0; trial < TRIALS; trial++) {
      await writeFile(path.join(box.project, 'pkg0', 'fresh.js'), `fresh ${trial}\n`);
      await runCli(['create', '--path', box.project], env, { killAfterMs: 20 + Math.floor(Math.random() * ms * 1.2) });
      const list = await runCli(['list', '--json'], env);
      assert.equal(list.code, 0, list.stderr);
      landed = parseJson<unknown[]>(list.stdout).length - before - 1;
    }
    const readable = await everyRecordReadable(env);
    // Nothing a killed create left survives the next command: no marker, no lease, no manifest or object no
    // snapshot names.
    assert.deepEqual(await readdir(path.join(box.home, 'pending')).catch(() => []), [], 'pending markers');
    assert.deepEqual(await readdir(path.join(box.home, 'clone', 'pending')).catch(() => []), [], 'clone leases');
    const orphans = await unreferenced(box.home);
    assert.deepEqual(orphans, { manifests: 0, objects: 0 }, 'left behind by killed creates');
    summary.push(`create kills: ${TRIALS} (uninterrupted create ${ms} ms); ${landed} landed whole, the rest left no record; ${readable} snapshots all readable; nothing left behind`);
  });

  test('delete: a killed delete leaves the record whole or gone, and the next delete reclaims what it left', { timeout: 1_800_000 }, async () => {
    const ids = () => runCli(['list', '--json'], env).then((r) => parseJson<{ id: string; trigger: string }[]>(r.stdout));
    let gone = 0;
    let kept = 0;
    for (let trial = 0; trial < TRIALS; trial++) {
      const created = parseJson<{ id: string }>((await runCli(['create', '--path', box.project, '--tag', `victim ${trial}`, '--json'], env)).stdout).id;
      await runCli(['delete', created], env, { killAfterMs: 20 + Math.floor(Math.random() * 400) });
      if ((await ids()).some((r) => r.id === created)) {
        kept++;
        const d = await runCli(['diff', created], env);
        assert.equal(d.code, 0, `a record left by a killed delete must still be readable: ${d.stderr}`);
      } else gone++;
    }
    // One more delete collects whatever killed deletes left behind: no manifest or object without a record.
    const last = parseJson<{ id: string }>((await runCli(['create', '--path', box.project, '--json'], env)).stdout).id;
    assert.equal((await runCli(['delete', last], env)).code, 0);
    const recorded = new Set((await ids()).map((r) => r.id));
    const manifests = (await readdir(path.join(box.home, 'clone', 'manifests'))).filter((n) => n.endsWith('.json')).map((n) => n.slice(0, -5));
    assert.deepEqual(manifests.filter((m) => !recorded.has(m)), [], 'orphan manifests');
    const referenced = new Set<string>();
    for (const m of manifests) {
      const manifest = JSON.parse(await readFile(path.join(box.home, 'clone', 'manifests', `${m}.json`), 'utf8')) as { entries: { type: string; oid?: string }[] };
      for (const e of manifest.entries) if (e.oid) referenced.add(e.oid);
    }
    let orphans = 0;
    for (const sub of await readdir(path.join(box.home, 'clone', 'objects'))) {
      for (const oid of await readdir(path.join(box.home, 'clone', 'objects', sub))) if (!referenced.has(oid)) orphans++;
    }
    assert.equal(orphans, 0, 'orphan objects after a collection');
    summary.push(`delete kills: ${TRIALS}; ${gone} deleted, ${kept} kept whole; no orphan data after the next collection`);
  });
});
