import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parseJson, runCli, sandbox, type Sandbox } from '../helpers/helpers.js';

/**
 * The state folder on a disk with no byte free (a real tmpfs): the commands that give space back, and those
 * that only read, must work. Snapshots that share all their files make the index large against what a delete
 * frees, the case where the index's rewrite needs more than the delete gave back.
 */
describe('on a full store disk', { skip: process.getuid?.() === 0 ? false : 'needs root to mount a tmpfs' }, () => {
  let box: Sandbox;
  let home: string;
  let env: Record<string, string>;
  let ids: string[] = [];
  const filler = (): string => path.join(home, 'filler');

  before(async () => {
    box = await sandbox();
    home = box.home;
    await mkdir(home);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', home]);
    env = { SNAPCTL_HOME: home, SNAPCTL_BACKGROUND_HASH: '0' };
    await writeFile(path.join(box.project, 'a.txt'), 'the same in every snapshot\n');
    for (let i = 0; i < 40; i++) {
      const r = await runCli(['create', '--path', box.project, '--tag', `same ${i}`, '--json'], env);
      assert.equal(r.code, 0, r.stderr);
      ids.push(parseJson<{ id: string }>(r.stdout).id);
    }
    await writeFile(path.join(home, 'settings.json'), JSON.stringify({ version: 1, targets: [{ path: box.project, retention: { hourly: 0, daily: 0, weekly: 0, monthly: 0, manual: 30, safety: 1, preOperation: 1 } }] }));
    // Every byte taken.
    await writeFile(filler(), Buffer.alloc(4 * 1024 * 1024)).catch(() => undefined);
    await assert.rejects(writeFile(path.join(home, 'one-more'), 'x'), /ENOSPC/);
  });
  after(async () => {
    execFileSync('umount', [home]);
    await box.cleanup();
  });

  test('status, list and count answer', async () => {
    for (const args of [['status'], ['list'], ['count']]) {
      const r = await runCli(args, env);
      assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
      assert.equal(r.stderr, '', args.join(' '));
    }
  });

  test('delete gives space back, and the index stays whole', async () => {
    const victim = ids[0] ?? '';
    const r = await runCli(['delete', victim], env);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    const listed = parseJson<{ id: string }[]>((await runCli(['list', '--json'], env)).stdout).map((s) => s.id);
    assert.equal(listed.length, 39);
    assert.ok(!listed.includes(victim));
    const index = parseJson<{ snapshots: unknown[] }>(await readFile(path.join(home, 'store.json'), 'utf8'));
    assert.equal(index.snapshots.length, 39, 'the index on disk is whole JSON without the deleted one');
    ids = ids.slice(1);
  });

  test('prune deletes what retention no longer keeps', async () => {
    // The disk full again, to the last byte.
    await rm(filler());
    await writeFile(filler(), Buffer.alloc(4 * 1024 * 1024)).catch(() => undefined);
    const r = await runCli(['prune'], env);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /keep 30, deleted 9/);
    assert.equal((await runCli(['count'], env)).stdout, '30\n');
  });
});
