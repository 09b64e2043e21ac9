import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, rm, utimes, writeFile } from 'node:fs/promises';
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

describe('a live holder keeps its lock however long it is stopped', () => {
  let box: Awaited<ReturnType<typeof sandbox>>;
  before(async () => { box = await sandbox(); });
  after(() => box.cleanup());

  test('a lock not refreshed for a minute (its holder suspended with Ctrl-Z) is waited for, never taken over', async () => {
    const lock = path.join(box.root, 'held.lock');
    let release: () => void = () => undefined;
    const released = new Promise<void>((resolve) => { release = resolve; });
    const holder = withLock(lock, { waitMs: 1_000, what: 'the test folder' }, () => released);
    await new Promise((r) => setTimeout(r, 100));
    // What a stopped holder looks like from outside: a live pid, a lock nobody refreshed for a minute.
    const old = new Date(Date.now() - 60_000);
    await utimes(lock, old, old);
    await assert.rejects(withLock(lock, { waitMs: 400, what: 'the test folder' }, async () => 'taken over'), (err: unknown) => err instanceof SnapctlError && err.kind === 'busy');
    release();
    await holder;
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

  test('a lock that cannot write its holder record is given up at once, never held without one nor left behind', async () => {
    await writeFile(path.join(disk, 'filler'), Buffer.alloc(1024 * 1024)).catch(() => undefined);
    await assert.rejects(writeFile(path.join(disk, 'more'), 'x'), /ENOSPC/);
    const lock = path.join(disk, 'locks', 'store.lock');
    let ran = false;
    await assert.rejects(withLock(lock, { waitMs: 1_000, what: 'the test store' }, async () => { ran = true; }), /ENOSPC/);
    assert.equal(ran, false, 'nothing runs under a lock without its record');
    await rm(path.join(disk, 'filler'));
    assert.equal(await withLock(lock, { waitMs: 1_000, what: 'the test store' }, async () => 'again'), 'again', 'not left held: the next command takes it at once');
  });
});
