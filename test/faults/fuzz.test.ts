import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { run, type CliIo } from '../../src/cli/main.js';
import { dispatch } from '../../src/api/dispatch.js';
import { HomeLayout } from '../../src/core/state/paths.js';
import { SnapctlRuntime } from '../../src/core/runtime/runtime.js';
import { SettingsStore } from '../../src/core/state/settings.js';
import { describeTree, sandbox } from '../helpers/helpers.js';

/**
 * Hostile input, generated: CLI arguments, API calls and settings files. Every input gets an answer (exit
 * 0/1/2 with one line, an error result, or defaults with a message), nothing outside the sandbox changes,
 * and no user text reaches a shell. SNAPCTL_FAULT_TRIALS scales the number of inputs.
 */
const TRIALS = Number(process.env['SNAPCTL_FAULT_TRIALS'] ?? 10);
const HOSTILE = [
  '../../etc/passwd', '/etc/passwd', '..', '.', '', ' ', '\0', 'a\0b', 'x'.repeat(70_000), '$(touch pwned)', '`touch pwned`', '; touch pwned',
  '| touch pwned', '&& touch pwned', "'", '"', '\n', '--', '-', '--yes', '--json', '--path', '--tag', '--only', '--provider', 'auto', 'zfs', 'apfs',
  '20261124-215500-a1b2c3', '20261124-215500-a1b2c3/../x', '%2e%2e%2f', '\u202e', '😀', '-rf', '--help', '-h', '--version', 'NaN', '-1', '99999999',
];
const COMMANDS = ['create', 'list', 'count', 'delete', 'rollback', 'undo', 'diff', 'prune', 'info', 'frobnicate', '', '--help', '--version', '-x'];

describe('hostile input', () => {
  let box: Awaited<ReturnType<typeof sandbox>>;
  let outside: string;
  let work: string;
  let outsideBefore: Record<string, string>;
  const summary: string[] = [];
  before(async () => {
    box = await sandbox();
    outside = path.join(box.root, 'outside');
    work = path.join(box.root, 'work');
    await mkdir(path.join(outside, 'etc'), { recursive: true });
    await writeFile(path.join(outside, 'etc', 'passwd'), 'root:x:0:0\n');
    await mkdir(path.join(work, 'project'), { recursive: true });
    await writeFile(path.join(work, 'project', 'a.txt'), 'a\n');
    outsideBefore = await describeTree(outside);
  });
  after(async () => {
    for (const line of summary) process.stdout.write(`# ${line}\n`);
    await box.cleanup();
  });

  const pwned = async (): Promise<string[]> => {
    const found: string[] = [];
    for (const dir of [box.root, work, path.join(work, 'project'), process.cwd()]) {
      if ((await readdir(dir)).includes('pwned')) found.push(dir);
    }
    return found;
  };

  test('CLI arguments: always exit 0, 1 or 2, one line on error, nothing outside changes, no shell', { timeout: 600_000 }, async () => {
    let codes = { 0: 0, 1: 0, 2: 0 } as Record<number, number>;
    const arg = fc.oneof(fc.constantFrom(...HOSTILE), fc.string({ maxLength: 30 }), fc.constant(path.join(work, 'project')));
    await fc.assert(fc.asyncProperty(fc.constantFrom(...COMMANDS), fc.array(arg, { maxLength: 5 }), async (command, rest) => {
      let out = '';
      let err = '';
      const io: CliIo = {
        stdout: (t) => { out += t; }, stderr: (t) => { err += t; }, isInteractive: false, confirm: async () => false,
        cwd: work, env: { SNAPCTL_HOME: box.home, PATH: process.env['PATH'] ?? '' }, stopSignal: () => new Promise(() => undefined),
      };
      const argv = command === '' ? rest : [command, ...rest];
      const code = await run(argv, io);
      assert.ok(code === 0 || code === 1 || code === 2, `exit ${code} for ${JSON.stringify(argv).slice(0, 200)}`);
      if (code !== 0) assert.equal(err.trimEnd().split('\n').filter((l) => !l.startsWith('snapctl: not kept')).length, 1, `one line for ${JSON.stringify(argv).slice(0, 200)}: ${err.slice(0, 400)}`);
      assert.doesNotMatch(err, /\n\s+at /, 'no stack trace');
      codes = { ...codes, [code]: (codes[code] ?? 0) + 1 };
      void out;
    }), { numRuns: 30 * TRIALS });
    assert.deepEqual(await describeTree(outside), outsideBefore);
    assert.deepEqual(await pwned(), []);
    summary.push(`CLI fuzz: ${30 * TRIALS} argument lists; exit 0: ${codes[0]}, 1: ${codes[1]}, 2: ${codes[2]}; nothing outside the sandbox changed`);
  });

  test('API calls (IPC and HTTP share this dispatcher): every call gets a result, never an exception or a stack', { timeout: 600_000 }, async () => {
    const runtime = await SnapctlRuntime.start({ home: box.home, env: {} });
    let refused = 0;
    let served = 0;
    try {
      const method = fc.oneof(fc.constantFrom('status', 'list', 'create', 'delete', 'diff', 'rollback', 'undo', 'getSettings', 'setSettings', 'setPaused', 'detect', '__proto__', 'constructor', 'toString', 'hasOwnProperty'), fc.anything());
      const hostileId = fc.constantFrom(...HOSTILE);
      const params = fc.oneof(
        fc.anything(),
        fc.record({ id: fc.oneof(hostileId, fc.anything()) }, { requiredKeys: [] }),
        fc.record({ id: hostileId, paths: fc.array(fc.constantFrom(...HOSTILE), { maxLength: 3 }) }),
        fc.record({ target: fc.oneof(fc.constantFrom(...HOSTILE), fc.constant(outside)), tag: fc.oneof(fc.constantFrom(...HOSTILE), fc.anything()) }, { requiredKeys: [] }),
        fc.record({ settings: fc.anything() }),
        fc.record({ path: fc.oneof(fc.constantFrom(...HOSTILE), fc.constant(outside)) }),
      );
      await fc.assert(fc.asyncProperty(method, params, async (m, p) => {
        const r = await dispatch({ runtime, host: 'headless' }, m, p);
        assert.equal(typeof r.ok, 'boolean');
        if (!r.ok) {
          refused++;
          assert.ok(r.error.length > 0 && r.error.length < 2000);
          assert.doesNotMatch(r.error, /\n\s+at /);
        } else served++;
      }), { numRuns: 100 * TRIALS });
    } finally {
      await runtime.stop();
    }
    // create with target `outside` may legitimately snapshot it (it is a folder a user named); nothing in it changes.
    assert.deepEqual(await describeTree(outside), outsideBefore);
    assert.deepEqual(await pwned(), []);
    summary.push(`API fuzz: ${100 * TRIALS} calls; ${refused} refused with a message, ${served} served; nothing outside changed`);
  });

  test('settings files: corrupt or hostile content is kept aside byte for byte; only the invalid parts are left out, with a message', { timeout: 600_000 }, async () => {
    let aside = 0;
    let partial = 0;
    let accepted = 0;
    const content = fc.oneof(
      fc.string(), fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)),
      fc.anything().map((v) => { try { return JSON.stringify(v) ?? 'undefined'; } catch { return '{'; } }),
      fc.record({ version: fc.constantFrom(1, 2, '1'), targets: fc.array(fc.record({ path: fc.constantFrom(...HOSTILE), schedule: fc.constantFrom('0 * * * *', '* * *', 'every day', '61 * * * *', '$(touch pwned)') }), { maxLength: 2 }) }, { requiredKeys: [] }).map((v) => JSON.stringify(v)),
    );
    await fc.assert(fc.asyncProperty(content, async (value) => {
      const bytes = Buffer.isBuffer(value) ? value : Buffer.from(value, 'utf8');
      const home = path.join(box.root, 'settings-fuzz');
      await mkdir(home, { recursive: true });
      for (const f of await readdir(home)) await rm(path.join(home, f), { force: true });
      const layout = new HomeLayout(home);
      await writeFile(layout.settingsFile, bytes);
      const loaded = await new SettingsStore(layout).load();
      if (loaded.warning && !/unreadable/.test(loaded.warning)) {
        // Some parts left out, the rest kept: the file stays as it is, and a copy of it is kept aside.
        partial++;
        assert.ok(loaded.problems.length > 0);
        for (const p of loaded.problems) assert.match(p, /^the settings file: .*; fix it in .* \(a copy of the file as it was is kept as .*settings\.json\.bad-.*\), or save the settings again$/);
        const copy = (await readdir(home)).find((f) => f.startsWith('settings.json.bad-'));
        assert.ok(copy, 'a copy kept aside');
        assert.ok((await readFile(path.join(home, copy))).equals(bytes), 'kept byte for byte');
        assert.ok((await readFile(layout.settingsFile)).equals(bytes), 'the file itself is left as it is');
        for (const t of loaded.settings.targets) assert.ok(path.isAbsolute(t.path), 'only valid folders are kept');
      } else if (loaded.warning) {
        aside++;
        assert.match(loaded.warning, /the settings file was unreadable .* it was kept as .* and defaults are in use/);
        const kept = (await readdir(home)).find((f) => f.startsWith('settings.json.corrupt-'));
        assert.ok(kept, 'kept aside');
        assert.ok((await readFile(path.join(home, kept))).equals(bytes), 'kept byte for byte');
        assert.deepEqual(loaded.settings.targets, []);
      } else accepted++;
    }), { numRuns: 50 * TRIALS });
    assert.deepEqual(await pwned(), []);
    summary.push(`settings fuzz: ${50 * TRIALS} files; ${aside} kept aside with defaults in use, ${partial} loaded without their invalid parts, ${accepted} valid and loaded`);
  });
});
