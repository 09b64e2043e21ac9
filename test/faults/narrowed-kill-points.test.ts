import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdir, readFile, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ServiceContext } from '../../src/core/service/context.js';
import { createSnapshot } from '../../src/core/service/create.js';
import { retryRollback } from '../../src/core/service/recovery.js';
import { undo } from '../../src/core/service/rollback.js';
import { describeTree, sandbox } from '../helpers/helpers.js';

const child = path.join(path.dirname(fileURLToPath(import.meta.url)), 'narrowed-rollback-child.js');

function runChild(args: string[], killAt: number): Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [child, ...args], { env: { ...process.env, SNAPCTL_FAULT_KILL_AT: String(killAt) }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    p.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    p.on('error', reject);
    p.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/**
 * A rollback whose safety snapshot the app's change journal narrowed, killed before each mutating step of its
 * restore, then finished by a process without the journal (the CLI, the app started again): the folder ends
 * as the snapshot wherever the rollback changes it, the write no event named (through mmap, on a path the
 * snapshot and the newest agree on) stays, and undo brings back exactly the folder before the rollback.
 */
describe('a narrowed rollback killed part way is finished without the change journal, and undone exactly', () => {
  let box: Awaited<ReturnType<typeof sandbox>>;
  before(async () => { box = await sandbox(); });
  after(() => box.cleanup());

  test('killed before each mutating step of the restore', async () => {
    const dir = box.project;
    await mkdir(path.join(dir, 'src'), { recursive: true });
    await mkdir(path.join(dir, 'data'), { recursive: true });
    for (let i = 0; i < 6; i++) await writeFile(path.join(dir, 'src', `m${i}.js`), `module ${i}, version one\n`);
    const table = path.join(dir, 'data', 'table.bin');
    const tableBytes = 'the same in every snapshot'.padEnd(8192, '.');
    const tableTime = new Date(1_700_000_000_000);
    await writeFile(table, tableBytes);
    await utimes(table, tableTime, tableTime);
    const plain = new ServiceContext({ home: box.home });
    const then = await createSnapshot(plain, { path: dir, provider: 'clone' });
    const snapshotState = await describeTree(dir);
    for (let i = 0; i < 6; i += 2) await writeFile(path.join(dir, 'src', `m${i}.js`), `module ${i}, version two\n`);
    await writeFile(path.join(dir, 'src', 'added.js'), 'added since\n');
    let killed = 0;
    for (let step = 1; step < 100; step++) {
      const text = `MMAP${String(step).padStart(3, '0')}`;
      // The path as both snapshots hold it (bytes, mode, mtime), so the rollback does not look at it again.
      await writeFile(table, tableBytes);
      await utimes(table, tableTime, tableTime);
      const run = await runChild([box.home, dir, then.id, text], step);
      assert.match(run.stdout, /narrowed/, `the child's safety snapshot is narrowed (step ${step}): ${run.stdout} ${run.stderr}`);
      // The folder before the rollback: written in the child before it rolled back.
      if (run.signal === null) {
        assert.equal(run.code, 0, run.stderr);
      } else {
        assert.equal(run.signal, 'SIGKILL');
        killed++;
        const report = await retryRollback(plain, dir);
        assert.equal(report?.outcome, 'finished', `step ${step}`);
      }
      assert.equal((await readFile(table, 'utf8')).slice(0, 7), text, `the write no event named stays (step ${step})`);
      const now = await describeTree(dir);
      for (const [p, d] of Object.entries(snapshotState)) if (p.startsWith('src/') && p !== 'src/seen.js') assert.equal(now[p], d, `${p} as the snapshot (step ${step})`);
      assert.equal(now['src/added.js'], undefined);
      await undo(plain, { target: dir });
      assert.equal((await readFile(table, 'utf8')).slice(0, 7), text, `the undo keeps the write (step ${step})`);
      assert.equal(await readFile(path.join(dir, 'src', 'added.js'), 'utf8'), 'added since\n');
      assert.equal(await readFile(path.join(dir, 'src', 'm0.js'), 'utf8'), 'module 0, version two\n');
      assert.equal(await readFile(path.join(dir, 'src', 'seen.js'), 'utf8'), `seen ${text}\n`);
      if (run.signal === null) break;
    }
    assert.ok(killed >= 3, `expected several kill points, got ${killed}`);
  });
});
