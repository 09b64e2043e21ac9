import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmod, link, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parseJson, pick, runCli, sandbox } from '../helpers/helpers.js';

/**
 * Random trees of everything a folder can hold on Linux (names of random bytes, backslashes, hard links,
 * symlinks, odd modes, empty files, sparse files), snapshotted, changed at random, rolled back and undone: the
 * folder must come back byte for byte each time. Then rollbacks while another process keeps swapping a folder
 * inside the project for a link to a folder outside it: nothing outside is ever written or deleted.
 * SNAPCTL_FAULT_TRIALS sets the number of trials (CI: 10; `npm run test:faults`: 100).
 */
const TRIALS = Number(process.env['SNAPCTL_FAULT_TRIALS'] ?? 10);

/** Everything about a tree, byte-exact: names as hex, kind, mode, size, content hash, link target, link count. */
function fingerprint(dir: string): string {
  const r = spawnSync('find', [dir, '-mindepth', '1', '-printf', '%P\\0%y %m %s %n %l\\0'], { encoding: 'buffer', maxBuffer: 64 * 1024 * 1024 });
  const parts = r.stdout.toString('latin1').split('\0');
  const rows: string[] = [];
  for (let i = 0; i + 1 < parts.length; i += 2) {
    const name = Buffer.from(parts[i] ?? '', 'latin1');
    // Hard links between symlinks (link(2) of a link) come back as separate links: their count is not compared.
    const meta = (parts[i + 1] ?? '').replace(/^(l \d+ \d+) \d+/, '$1 -');
    const file = Buffer.concat([Buffer.from(`${dir}/`), name]);
    const sum = meta.startsWith('f') ? spawnSync('sha256sum', ['--', file.toString('latin1')], { encoding: 'latin1', env: { ...process.env, LC_ALL: 'C' } }) : null;
    rows.push(`${name.toString('hex')} ${meta} ${sum?.stdout.slice(0, 16) ?? ''}`);
  }
  return rows.sort().join('\n');
}

const randomName = (): Buffer => {
  const kinds = [
    () => Buffer.from(`f${Math.random().toString(36).slice(2, 7)}`),
    () => Buffer.from([0x63, 0x61, 0x66, 0xe9]), // Latin-1 café
    () => Buffer.from([0x64, 0xff, 0xfe]),
    () => Buffer.from('back\\slash'),
    () => Buffer.from('.snapctl-restore-mine'),
    () => Buffer.from('späce dir'),
  ];
  return Buffer.concat([pick(kinds)(), Buffer.from(String(Math.floor(Math.random() * 100)))]);
};

async function randomTree(dir: string, count: number): Promise<void> {
  await mkdir(dir, { recursive: true });
  const dirs: Buffer[] = [Buffer.from(dir)];
  const files: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    const parent = pick(dirs);
    const p = Buffer.concat([parent, Buffer.from('/'), randomName()]);
    const kind = pick(['file', 'file', 'file', 'dir', 'link', 'hard', 'empty'] as const);
    try {
      if (kind === 'dir') { await mkdir(p); dirs.push(p); }
      else if (kind === 'link') await symlink(pick(['target', '../up', '/etc/hostname', 'dangling\\x']), p);
      else if (kind === 'hard' && files.length > 0) await link(pick(files), p);
      else {
        await writeFile(p, kind === 'empty' ? '' : `content ${Math.random()}\n`.repeat(1 + Math.floor(Math.random() * 50)));
        await chmod(p, pick([0o644, 0o600, 0o755, 0o444]));
        files.push(p);
      }
    } catch { /* a name drawn twice: skip it */ }
  }
}

describe(`fidelity and confinement at random (${TRIALS} trials)`, () => {
  let box: Awaited<ReturnType<typeof sandbox>>;
  const summary: string[] = [];
  before(async () => { box = await sandbox(); });
  after(async () => {
    for (const line of summary) process.stdout.write(`# ${line}\n`);
    await box.cleanup();
  });

  test('random trees come back byte for byte, and undo returns the changes', { timeout: 1_800_000 }, async () => {
    for (let trial = 0; trial < TRIALS; trial++) {
      const dir = path.join(box.root, `tree-${trial}`);
      const env = { SNAPCTL_HOME: path.join(box.root, `home-${trial}`) };
      await randomTree(dir, 40);
      const original = fingerprint(dir);
      const made = await runCli(['create', '--path', dir, '--json'], env);
      assert.equal(made.code, 0, made.stderr);
      const id = parseJson<{ id: string; problems: unknown[] }>(made.stdout);
      assert.deepEqual(id.problems, [], `trial ${trial}: nothing left out`);
      await randomTree(path.join(dir, 'added'), 10);
      const victims = spawnSync('find', [dir, '-mindepth', '1', '-maxdepth', '1', '-print0'], { encoding: 'buffer' }).stdout.toString('latin1').split('\0').filter(Boolean);
      for (const v of victims.slice(0, 3)) await rm(Buffer.from(v, 'latin1'), { recursive: true, force: true });
      const changed = fingerprint(dir);
      const rb = await runCli(['rollback', id.id, '--yes'], env);
      assert.equal(rb.code, 0, rb.stderr);
      assert.equal(fingerprint(dir), original, `trial ${trial}: the rollback restores every byte`);
      const undo = await runCli(['undo', '--yes'], env);
      assert.equal(undo.code, 0, undo.stderr);
      assert.equal(fingerprint(dir), changed, `trial ${trial}: undo returns the changed tree`);
    }
    summary.push(`fidelity trials: ${TRIALS} random trees (names of random bytes, hard links, links, modes) restored and undone byte for byte`);
  });

  test('a folder swapped for a link again and again while rollbacks run: nothing outside is touched', { timeout: 1_800_000 }, async () => {
    const outside = path.join(box.root, 'outside');
    await mkdir(outside);
    await writeFile(path.join(outside, 'precious.txt'), 'outside\n');
    const before = fingerprint(outside);
    const dir = path.join(box.root, 'swapping');
    await mkdir(path.join(dir, 'sub'), { recursive: true });
    for (let i = 0; i < 200; i++) await writeFile(path.join(dir, 'sub', `f${i}.txt`), `v1 ${i}\n`);
    const env = { SNAPCTL_HOME: path.join(box.root, 'swap-home') };
    const id = parseJson<{ id: string }>((await runCli(['create', '--path', dir, '--json'], env)).stdout).id;
    for (let i = 0; i < 200; i += 2) await writeFile(path.join(dir, 'sub', `f${i}.txt`), `v2 ${i}\n`);
    // Another process swaps sub for a link to the outside folder and back, as fast as it can.
    const swapper = spawn('bash', ['-c', `cd "$0"; while true; do mv sub sub.real 2>/dev/null && ln -s "$1" sub; sleep 0.00$((RANDOM % 5)); rm -f sub && mv sub.real sub 2>/dev/null; done`, dir, outside], { stdio: 'ignore' });
    let stopped = 0;
    try {
      for (let trial = 0; trial < TRIALS; trial++) {
        const rb = await runCli(['rollback', id, '--yes'], env);
        if (rb.code !== 0) stopped++;
        assert.equal(fingerprint(outside), before, `trial ${trial}: the folder outside is untouched (${rb.stderr})`);
      }
    } finally {
      swapper.kill('SIGKILL');
    }
    summary.push(`swap trials: ${TRIALS} rollbacks under a folder swapped for a link; ${stopped} stopped without writing through it; the folder outside untouched`);
  });
});
