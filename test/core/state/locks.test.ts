import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { lstat, mkdir, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { SnapctlError } from '../../../src/core/base/errors.js';
import { withLock } from '../../../src/core/state/locks.js';
import { parseJson, runCli, sandbox } from '../../helpers/helpers.js';

describe('concurrent snapctl processes share one locked store', () => {
  let box: Awaited<ReturnType<typeof sandbox>>;
  before(async () => { box = await sandbox(); });
  after(() => box.cleanup());

  test('ten creates run at once give ten records and a readable store', async () => {
    const env = { SNAPCTL_HOME: box.home };
    for (let i = 0; i < 50; i++) await writeFile(path.join(box.project, `file${i}.txt`), `content ${i}\n`);
    const runs = await Promise.all(Array.from({ length: 10 }, (_, i) => runCli(['create', '--path', box.project, '--tag', `run ${i}`], env)));
    for (const r of runs) assert.equal(r.code, 0, r.stderr);
    const count = await runCli(['count'], env);
    assert.equal(count.stdout.trim(), '10');
    const records = parseJson<{ id: string; tag: string }[]>((await runCli(['list', '--json'], env)).stdout);
    assert.equal(new Set(records.map((r) => r.id)).size, 10, 'every id is distinct');
    assert.deepEqual(records.map((r) => r.tag).sort(), Array.from({ length: 10 }, (_, i) => `run ${i}`).sort());
  });
});

/** A process of its own that takes the lock and holds it until killed; resolves once it holds it. */
async function holderProcess(lock: string): Promise<ChildProcess> {
  const locks = new URL('../../../src/core/state/locks.js', import.meta.url).href;
  const script = `const { withLock } = await import(${JSON.stringify(locks)}); await withLock(${JSON.stringify(lock)}, { waitMs: 5000, what: 'x' }, async () => { process.stdout.write('held\\n'); await new Promise(() => setInterval(() => undefined, 1000)); });`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    child.stdout?.once('data', () => resolve());
    child.once('exit', (code) => reject(new Error(`the holder exited (${String(code)}) before it held the lock`)));
  });
  return child;
}

describe('a lock is held by the kernel for as long as its holder lives', () => {
  let box: Awaited<ReturnType<typeof sandbox>>;
  before(async () => { box = await sandbox(); });
  after(() => box.cleanup());

  test('a holder stopped with SIGSTOP keeps its lock; killed, its lock is free at once for the next process', async () => {
    const lock = path.join(box.root, 'held.lock');
    const holder = await holderProcess(lock);
    try {
      holder.kill('SIGSTOP');
      await assert.rejects(withLock(lock, { waitMs: 300, what: 'the test folder' }, async () => 'taken over'),
        (err: unknown) => err instanceof SnapctlError && err.kind === 'busy' && err.message.includes(`process ${String(holder.pid)}`));
    } finally {
      holder.kill('SIGKILL');
      await new Promise((r) => holder.once('exit', r));
    }
    // No stale timeout to wait out: the kernel let the lock go with the process. A wait of 0 ms takes it.
    assert.equal(await withLock(lock, { waitMs: 0, what: 'the test folder' }, async () => 'taken'), 'taken');
  });

  test('a lock folder and holder record an earlier version left behind are replaced by the lock file', async () => {
    const lock = path.join(box.root, 'legacy', 'store.lock');
    await mkdir(lock, { recursive: true });
    await writeFile(`${lock}.owner`, 'host 1 2\n', { mode: 0o644 });
    assert.equal(await withLock(lock, { waitMs: 100, what: 'the test store' }, async () => 'taken'), 'taken');
    assert.ok((await lstat(lock)).isFile());
    assert.deepEqual(await readdir(path.dirname(lock)), ['store.lock']);
  });

  test('two takers in one process exclude each other too', async () => {
    const lock = path.join(box.root, 'one-process.lock');
    let release: () => void = () => undefined;
    const held = withLock(lock, { waitMs: 1_000, what: 'the test folder' }, () => new Promise<void>((r) => { release = r; }));
    await new Promise((r) => setTimeout(r, 50));
    await assert.rejects(withLock(lock, { waitMs: 100, what: 'the test folder' }, async () => 'both'), (err: unknown) => err instanceof SnapctlError && err.kind === 'busy');
    release();
    await held;
  });

  test('the lock file is private (0600), kept for the next holder, and never opened through a link', async () => {
    const dir = path.join(box.root, 'locks');
    const lock = path.join(dir, 'store.lock');
    const old = process.umask(0o022);
    try {
      await withLock(lock, { waitMs: 1_000, what: 'the test store' }, async () => {
        for (const name of await readdir(dir)) assert.equal((await lstat(path.join(dir, name))).mode & 0o777, 0o600, `${name} while held`);
      });
    } finally {
      process.umask(old);
    }
    assert.equal((await lstat(lock)).mode & 0o777, 0o600);
    assert.equal((await lstat(dir)).mode & 0o777, 0o700);
    const outside = path.join(box.root, 'outside.txt');
    await writeFile(outside, 'outside\n');
    await rm(lock);
    await symlink(outside, lock);
    await assert.rejects(withLock(lock, { waitMs: 100, what: 'the test store' }, async () => 'through the link'), /symbolic link/);
    assert.equal(await readFile(outside, 'utf8'), 'outside\n');
  });
});

describe('on a full disk', { skip: process.getuid?.() === 0 ? false : 'needs root to mount a tmpfs' }, () => {
  let box: Awaited<ReturnType<typeof sandbox>>;
  let disk: string;
  before(async () => {
    box = await sandbox();
    disk = path.join(box.root, 'disk');
    await mkdir(disk);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m,mode=0700', 'tmpfs', disk]);
  });
  after(async () => {
    execFileSync('umount', [disk]);
    await box.cleanup();
  });

  test('a lock is taken, and its holder excludes others, on a disk with no byte free', async () => {
    const lock = path.join(disk, 'locks', 'store.lock');
    await writeFile(path.join(disk, 'filler'), Buffer.alloc(1024 * 1024)).catch(() => undefined);
    await assert.rejects(writeFile(path.join(disk, 'more'), 'x'), /ENOSPC/);
    const inside = await withLock(lock, { waitMs: 1_000, what: 'the test store' }, async () => {
      await assert.rejects(withLock(lock, { waitMs: 100, what: 'the test store' }, async () => 'both'), (err: unknown) => err instanceof SnapctlError && err.kind === 'busy');
      return 'ran';
    });
    assert.equal(inside, 'ran');
    assert.equal(await withLock(lock, { waitMs: 0, what: 'the test store' }, async () => 'again'), 'again', 'released: the next command takes it at once');
  });
});
