import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { chmod, chown, mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { describeError } from '../../src/core/base/errors.js';
import { SnapctlRuntime } from '../../src/core/runtime/runtime.js';
import { describeTree, parseJson, runCli, sandbox, tempDir, cliPath } from '../helpers/helpers.js';
import { zfsEnv } from '../helpers/provider-envs.js';
import { ServiceContext } from '../../src/core/service/context.js';
import { createSnapshot } from '../../src/core/service/create.js';
import { listSnapshots } from '../../src/core/service/queries.js';

const root = process.getuid?.() === 0;
const needsRoot = root ? false : 'SKIPPED: needs root (to mount a small or read-only filesystem, or to act as another user)';
if (needsRoot) console.log(`# ${needsRoot}`);
const says = (re: RegExp) => (err: unknown): boolean => { assert.match(describeError(err), re); return true; };

async function tmpfs(dir: string, size: string): Promise<() => Promise<void>> {
  await mkdir(dir, { recursive: true });
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir]);
  return async () => { execFileSync('umount', ['-l', dir]); };
}

describe('faults from the environment', () => {
  let box: Awaited<ReturnType<typeof sandbox>>;
  before(async () => { box = await sandbox(); });
  after(() => box.cleanup());

  test('disk full while snapshotting: a clear error, earlier snapshots intact, the space given back at once', { skip: needsRoot }, async () => {
    const home = path.join(box.root, 'small-home');
    const unmount = await tmpfs(home, '2m');
    try {
      const env = { SNAPCTL_HOME: home };
      const project = path.join(box.root, 'full-project');
      await mkdir(project);
      await writeFile(path.join(project, 'small.txt'), 'small\n');
      const first = await runCli(['create', '--path', project, '--json'], env);
      assert.equal(first.code, 0, first.stderr);
      await writeFile(path.join(project, 'big.bin'), Buffer.alloc(3_000_000, 7)); // 3.0 MB as sizes are said
      // The free-space floor refuses it before anything is written...
      const refused = await runCli(['create', '--path', project], env);
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, /not enough free space for a snapshot of .*full-project: it needs about 3\.0 MB, .* free above the .* floor \(nothing was written/);
      assert.equal(refused.stderr.trim().split('\n').length, 1, 'one line');
      const objects = async (): Promise<number> => { let n = 0; for (const d of await readdir(path.join(home, 'clone', 'objects'))) n += (await readdir(path.join(home, 'clone', 'objects', d))).length; return n; };
      assert.equal(await objects(), 1, 'the refused snapshot wrote no objects');
      // ...and with no floor too, since it cannot fit at all (a disk filled part way by another program is
      // test/core/service/free-space.test.ts: everything written is removed and the error says what it needed).
      await writeFile(path.join(home, 'settings.json'), JSON.stringify({ version: 1, freeSpaceFloor: 0 }));
      const full = await runCli(['create', '--path', project], env);
      assert.equal(full.code, 1);
      assert.match(full.stderr, /it needs about 3\.0 MB, .* free above the 0 B floor/);
      assert.equal(await objects(), 1, 'the failed snapshot left no objects behind');
      const list = parseJson<{ id: string }[]>((await runCli(['list', '--json'], env)).stdout);
      assert.equal(list.length, 1);
      assert.equal((await runCli(['diff', list[0]?.id ?? '', '--json'], env)).code, 0);
      await rm(path.join(project, 'big.bin'));
      assert.equal((await runCli(['create', '--path', project], env)).code, 0, 'works again once the big file is gone');
    } finally {
      await unmount();
    }
  });

  test('disk full during a rollback: a clear error, nothing lost, finished by recover once there is room, undoable', { skip: needsRoot, timeout: 60_000 }, async () => {
    // The folder and the store share one small filesystem, filled so that the safety snapshot fits and the
    // restore's copy of the big file does not.
    const disk = path.join(box.root, 'full-disk');
    const unmount = await tmpfs(disk, '16m');
    try {
      const home = path.join(disk, 'home');
      const project = path.join(disk, 'project');
      const env = { SNAPCTL_HOME: home };
      await mkdir(project);
      for (let i = 0; i < 20; i++) await writeFile(path.join(project, `small-${i}.txt`), `before ${i}\n`);
      await writeFile(path.join(project, 'big.bin'), Buffer.alloc(3 * 1024 * 1024, 1));
      const id = parseJson<{ id: string }>((await runCli(['create', '--path', project, '--json'], env)).stdout).id;
      const snapshotState = await describeTree(project);
      for (let i = 0; i < 20; i++) await writeFile(path.join(project, `small-${i}.txt`), `after ${i}\n`);
      await writeFile(path.join(project, 'big.bin'), Buffer.alloc(3 * 1024 * 1024, 2));
      await writeFile(path.join(project, 'new.txt'), 'made after the snapshot\n');
      const beforeRollback = await describeTree(project);
      // 6 MB used (two copies of big.bin); leave room for the safety snapshot's copy and not much more.
      const filler = path.join(disk, 'filler');
      const free = (): number => Number(execFileSync('df', ['--output=avail', '-B1', disk]).toString().trim().split('\n')[1]);
      await writeFile(filler, Buffer.alloc(Math.max(0, free() - 3 * 1024 * 1024 - 256 * 1024), 9));

      const failed = await runCli(['rollback', id, '--yes'], env);
      assert.equal(failed.code, 1, failed.stdout);
      assert.match(failed.stderr, /the rollback of .* stopped part way: the disk is full at big\.bin in .* \(ENOSPC\); free some space.*'snapctl recover' finishes it, or 'snapctl undo --path .*' returns the folder to how it was before/);
      assert.equal(failed.stderr.trim().split('\n').length, 1, failed.stderr);

      // While the disk stays full, other commands say what is wrong and what finishes it, without trying it
      // again, and they do not send the user to give the rollback up; recover says it cannot be finished yet.
      const stillFull = await runCli(['list', '--json'], env);
      assert.equal(stillFull.code, 0, stillFull.stderr);
      assert.match(stillFull.stderr, /^snapctl: the rollback of .* is unfinished \(.*the disk is full(?: at \S+ in .*)? \(ENOSPC\); free some space.*\); the folder may be half restored: 'snapctl recover --path .*' finishes it, 'snapctl undo --path .*' returns it to how it was before\n$/);
      assert.doesNotMatch(stillFull.stderr, /--abandon/);
      const notYet = await runCli(['recover'], env);
      assert.equal(notYet.code, 1);
      assert.match(notYet.stdout, /^the interrupted rollback of .* cannot be finished yet: the disk is full(?: at \S+ in .*)? \(ENOSPC\); free some space.*'snapctl recover' finishes it; 'snapctl undo --path .*' returns the folder to how it was before\)\n$/);
      assert.doesNotMatch(notYet.stdout, /--abandon/);

      await rm(filler);
      const next = await runCli(['recover'], env);
      assert.equal(next.code, 0, next.stderr);
      assert.match(next.stdout, /finished the interrupted rollback/);
      assert.deepEqual(await describeTree(project), snapshotState, 'the rollback was finished once there was room');
      const undo = await runCli(['undo', '--yes'], env);
      assert.equal(undo.code, 0, undo.stderr);
      assert.deepEqual(await describeTree(project), beforeRollback, 'undo returns the folder as it was before the rollback');
    } finally {
      await unmount();
    }
  });

  test('a read-only folder: rollback refuses before changing anything, and works once it is writable', { skip: needsRoot }, async () => {
    const dir = path.join(box.root, 'ro');
    const unmount = await tmpfs(dir, '4m');
    try {
      const env = { SNAPCTL_HOME: box.home };
      await writeFile(path.join(dir, 'a.txt'), 'one\n');
      const id = parseJson<{ id: string }>((await runCli(['create', '--path', dir, '--json'], env)).stdout).id;
      await writeFile(path.join(dir, 'a.txt'), 'two\n');
      const count = parseJson<unknown[]>((await runCli(['list', '--json'], env)).stdout).length;
      execFileSync('mount', ['-o', 'remount,ro', dir]);
      const before = await describeTree(dir);
      const r = await runCli(['rollback', id, '--yes'], env);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /EROFS.*read-only: remount it read-write/);
      assert.deepEqual(await describeTree(dir), before);
      assert.equal(parseJson<unknown[]>((await runCli(['list', '--json'], env)).stdout).length, count, 'no safety snapshot, no journal');
      execFileSync('mount', ['-o', 'remount,rw', dir]);
      const ok = await runCli(['rollback', id, '--yes'], env);
      assert.equal(ok.code, 0, ok.stderr);
      assert.doesNotMatch(ok.stderr, /interrupted/);
    } finally {
      await unmount();
    }
  });

  test('files vanishing and changing during the walk: every snapshot succeeds, is readable, and names what moved', { timeout: 120_000 }, async () => {
    const dir = path.join(box.root, 'churn');
    await mkdir(dir);
    for (let i = 0; i < 300; i++) await writeFile(path.join(dir, `f${i}.txt`), `start ${i}\n`.repeat(200));
    const env = { SNAPCTL_HOME: box.home };
    // Another process rewrites, deletes and recreates files as fast as it can while snapshots are taken.
    const churn = spawn(process.execPath, ['-e', `
      const fs = require('fs'); const p = require('path'); let i = 0;
      setInterval(() => { for (let k = 0; k < 40; k++, i++) { const f = p.join(${JSON.stringify(dir)}, 'f' + (i % 300) + '.txt');
        try { if (i % 3 === 0) fs.rmSync(f, { force: true }); else fs.writeFileSync(f, ('gen ' + i + '\\n').repeat(1 + (i % 500))); } catch {} } }, 1);`], { stdio: 'ignore' });
    let problems = 0;
    try {
      for (let n = 0; n < 6; n++) {
        const r = await runCli(['create', '--path', dir, '--json'], env);
        assert.equal(r.code, 0, r.stderr);
        problems += parseJson<{ problems: unknown[] }>(r.stdout).problems.length;
      }
    } finally {
      churn.kill('SIGKILL');
    }
    for (const s of parseJson<{ id: string; target: string }[]>((await runCli(['list', '--json'], env)).stdout).filter((x) => x.target === dir)) {
      assert.equal((await runCli(['diff', s.id], env)).code, 0);
    }
    console.log(`# churn: 6 snapshots under constant rewrites and deletes, all readable; ${problems} paths reported as changing or vanished`);
  });

  test('a store someone else owns (world-writable, so usable) still takes snapshots: making it private is best effort', { skip: needsRoot }, async () => {
    const dir = path.join(box.root, 'shared-project');
    const home = path.join(box.root, 'shared-home');
    await mkdir(dir);
    await mkdir(path.join(home, 'clone'), { recursive: true });
    await writeFile(path.join(dir, 'a.txt'), 'a\n');
    for (const p of [box.root, dir, path.join(dir, 'a.txt')]) await chown(p, 65534, 65534).catch(() => undefined);
    await chmod(box.root, 0o755);
    await chmod(home, 0o777);
    await chmod(path.join(home, 'clone'), 0o777); // owned by root: nobody cannot chmod it
    const out = execFileSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, cliPath, 'create', '--path', dir, '--json'],
      { env: { ...process.env, SNAPCTL_HOME: home }, stdio: ['ignore', 'pipe', 'pipe'] });
    assert.equal(parseJson<{ files: number }>(out.toString()).files, 1);
  });

  test('an unreadable file is named as not kept, and everything else is snapshotted', { skip: needsRoot }, async () => {
    const dir = path.join(box.root, 'perm');
    const home = path.join(box.root, 'perm-home');
    await mkdir(path.join(dir, 'sub'), { recursive: true });
    await mkdir(home);
    await writeFile(path.join(dir, 'ok.txt'), 'ok\n');
    await writeFile(path.join(dir, 'secret.txt'), 'root only\n');
    await chmod(path.join(dir, 'secret.txt'), 0o600);
    for (const p of [box.root, dir, path.join(dir, 'sub'), path.join(dir, 'ok.txt'), home]) await chown(p, 65534, 65534).catch(() => undefined);
    await chmod(box.root, 0o755);
    const out = execFileSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, cliPath, 'create', '--path', dir, '--json'],
      { env: { ...process.env, SNAPCTL_HOME: home }, stdio: ['ignore', 'pipe', 'pipe'] });
    const record = parseJson<{ files: number; problems: { path: string; reason: string }[] }>(out.toString());
    assert.deepEqual(record.problems, [{ path: 'secret.txt', reason: 'could not read: EACCES' }]);
    assert.equal(record.files, 1);
  });

  test('a Datadog agent that is absent or swallows every packet never fails or holds up a snapshot', async () => {
    const blackhole = createSocket('udp4');
    await new Promise<void>((r) => blackhole.bind(0, '127.0.0.1', r));
    blackhole.setRecvBufferSize(1); // never read: the kernel drops what does not fit
    const port = blackhole.address().port;
    const dir = path.join(box.root, 'dd');
    await mkdir(dir);
    await writeFile(path.join(dir, 'a.txt'), 'a\n');
    try {
      for (const target of [{ DD_AGENT_HOST: '127.0.0.1', DD_DOGSTATSD_PORT: String(port) }, { DD_AGENT_HOST: '127.0.0.1', DD_DOGSTATSD_PORT: '9' }]) {
        const home = await tempDir();
        const runtime = await SnapctlRuntime.start({ home, env: target });
        try {
          for (let i = 0; i < 20; i++) await createSnapshot(runtime.service, { path: dir, tag: `dd ${i}` });
          assert.equal((await listSnapshots(runtime.service)).length, 20);
        } finally {
          await runtime.stop();
          await rm(home, { recursive: true, force: true });
        }
      }
    } finally {
      blackhole.close();
    }
  });

  test('a provider tool that hangs is stopped after the timeout with a clear error, and snapctl goes on', async () => {
    const pe = await zfsEnv();
    try {
      await writeFile(path.join(pe.root, 'bin', 'zfs'), '#!/bin/sh\nsleep 600\n');
      const service = new ServiceContext({ home: pe.home, env: { ...process.env, ...pe.env, SNAPCTL_TOOL_TIMEOUT_MS: '1000' } });
      // The message is the timeout's: the tool was stopped, never waited out (it sleeps for 600 s).
      await assert.rejects(createSnapshot(service, { path: pe.target, provider: 'zfs' }), says(/zfs list did not answer within 1 s and was stopped/));
      const clone = await createSnapshot(service, { path: pe.target, provider: 'clone' });
      assert.equal(clone.state, 'ready');
    } finally {
      await pe.cleanup();
    }
  });
});
