import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { cliPath, parseJson, runCli, sandbox } from '../helpers/helpers.js';

interface Loaded { files: string[]; builtins: string[] }

/**
 * What a command loads, read from inside its process when it exits: the files `require` reached and Node's
 * own modules. Start-up time is not gated here (these machines are noisy); what start-up loads is, so the
 * work that keeps `snapctl list` near node's own start-up cannot quietly come undone.
 */
async function loadedBy(args: string[], home: string, root: string): Promise<Loaded> {
  const hook = path.join(root, 'loaded-hook.cjs');
  const out = path.join(root, 'loaded.json');
  await writeFile(hook, `process.on('exit', () => require('node:fs').writeFileSync(${JSON.stringify(out)}, JSON.stringify({
  files: Object.keys(require.cache),
  builtins: process.moduleLoadList.filter((m) => m.startsWith('NativeModule ')).map((m) => m.slice('NativeModule '.length)),
})));\n`);
  const code = await new Promise<number | null>((resolve) => {
    const child = spawn(process.execPath, ['--require', hook, cliPath, ...args], { env: { ...process.env, SNAPCTL_HOME: home }, stdio: 'ignore' });
    child.on('exit', resolve);
  });
  assert.equal(code, 0, `snapctl ${args.join(' ')} failed`);
  return parseJson<Loaded>(await readFile(out, 'utf8'));
}

const bundled = (files: string[]): string[] => files.filter((f) => f.includes(`${path.sep}dist${path.sep}`)).map((f) => f.slice(f.indexOf(`${path.sep}dist${path.sep}`) + 1));

describe('CLI start-up', () => {
  let box: Awaited<ReturnType<typeof sandbox>>;
  before(async () => {
    box = await sandbox();
    await writeFile(path.join(box.project, 'a.txt'), 'one\n');
    const made = await runCli(['create', '--path', box.project], { SNAPCTL_HOME: box.home });
    assert.equal(made.code, 0, made.stderr);
  });
  after(() => box.cleanup());

  test('run by a Node older than 20.5 (Debian 12 ships 18), the command says what it needs instead of failing inside', async () => {
    const hook = path.join(box.root, 'old-node.cjs');
    await writeFile(hook, "Object.defineProperty(process.versions, 'node', { value: '18.19.0' });\n");
    const r = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, ['--require', hook, cliPath, 'list'], { env: { ...process.env, SNAPCTL_HOME: box.home }, stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
      child.on('exit', (code) => resolve({ code, stderr }));
    });
    assert.equal(r.code, 1);
    assert.equal(r.stderr, 'snapctl: needs Node.js 20.5 or later, and the node on PATH is 18.19.0; install a newer one (https://nodejs.org)\n');
  });

  test('list and count load the CLI bundle alone: no vendored package (no metrics client), no child_process, net, dgram, crypto or readline', async () => {
    for (const args of [['list', '--json'], ['count']]) {
      const loaded = await loadedBy(args, box.home, box.root);
      // list --json first tries the listing its last run kept (src/cli/fast-list.ts), a file of its own.
      const before = args[0] === 'list' ? [path.join('dist', 'src', 'cli-bundle', 'fast-list.cjs')] : [];
      assert.deepEqual(bundled(loaded.files), [...before, path.join('dist', 'src', 'cli-bundle', 'main.cjs')], args.join(' '));
      assert.equal(loaded.files.some((f) => f.includes(`${path.sep}node_modules${path.sep}`)), false, args.join(' '));
      for (const heavy of ['child_process', 'net', 'dgram', 'http', 'crypto', 'readline', 'worker_threads']) {
        assert.equal(loaded.builtins.includes(heavy), false, `${args.join(' ')} loaded ${heavy}`);
      }
    }
  });

  // Every list asks clone's space index about every clone snapshot: records whose data is gone (the bench's
  // 10,000 records, a store whose manifests were deleted) made each list try to open every manifest.
  test('list --json of 1,000 clone records whose data is gone opens none of their manifests, on every run', async () => {
    const home = path.join(box.root, 'no-data');
    await mkdir(path.join(home, 'clone'), { recursive: true });
    const start = Date.parse('2025-01-01T00:00:00Z');
    const snapshots = Array.from({ length: 1_000 }, (_, i) => {
      const at = new Date(start + i * 3_600_000);
      return { id: `${at.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15)}-${i.toString(16).padStart(6, '0')}`, provider: 'clone', target: box.project, tag: null, trigger: 'schedule', createdAt: at.toISOString(), size: 1, addedBytes: 1, files: 1, state: 'ready', ref: `r${i}`, note: null };
    });
    await writeFile(path.join(home, 'store.json'), JSON.stringify({ version: 1, snapshots, rollbacks: [] }));
    const hook = path.join(box.root, 'count-manifests.cjs');
    const counts = path.join(box.root, 'manifest-reads');
    await writeFile(hook, `const fsp = require('node:fs/promises'); let n = 0;
for (const name of ['readFile', 'open']) { const real = fsp[name]; fsp[name] = function (file, ...rest) { if (String(file).includes('manifests')) n++; return real.call(this, file, ...rest); }; }
process.on('exit', () => require('node:fs').appendFileSync(${JSON.stringify(counts)}, n + '\\n'));\n`);
    for (let run = 0; run < 2; run++) {
      const code = await new Promise<number | null>((resolve) => {
        const child = spawn(process.execPath, ['--require', hook, cliPath, 'list', '--json'], { env: { ...process.env, SNAPCTL_HOME: home }, stdio: 'ignore' });
        child.on('exit', resolve);
      });
      assert.equal(code, 0);
    }
    assert.deepEqual((await readFile(counts, 'utf8')).trim().split('\n'), ['0', '0']);
  });

  test('status says whether metrics are being sent without loading a metrics client or a Unix socket', async () => {
    const loaded = await loadedBy(['status'], box.home, box.root);
    assert.equal(bundled(loaded.files).some((f) => f.endsWith('hot-shots.cjs')), false, 'status loaded hot-shots');
    assert.equal(loaded.files.some((f) => f.includes('node-unix-socket')), false, 'status loaded node-unix-socket');
    // (node-cron, which status needs for the next scheduled runs, loads Node's net and dgram on its own.)
    assert.deepEqual(bundled(loaded.files).filter((f) => f.includes(`${path.sep}vendor${path.sep}`)).map((f) => path.basename(f)).sort(), ['node-cron.cjs', 'zod.cjs']);
  });

  test('a command that writes loads the metrics client after its snapshot, from its own file', async () => {
    const loaded = await loadedBy(['create', '--path', box.project], box.home, box.root);
    const vendor = path.join('dist', 'src', 'cli-bundle', 'vendor');
    assert.deepEqual(bundled(loaded.files).filter((f) => f.startsWith(vendor)).sort(), ['hot-shots.cjs'].map((f) => path.join(vendor, f)));
  });

  test('with metrics off in the settings, a create reads them (without zod) and loads no metrics client nor socket', async () => {
    const home = path.join(box.root, 'metrics-off');
    await mkdir(home, { recursive: true });
    await writeFile(path.join(home, 'settings.json'), JSON.stringify({ version: 1, statsd: { enabled: false } }));
    const loaded = await loadedBy(['create', '--path', box.project], home, box.root);
    const vendor = path.join('dist', 'src', 'cli-bundle', 'vendor');
    assert.deepEqual(bundled(loaded.files).filter((f) => f.startsWith(vendor)).sort(), []);
    for (const heavy of ['dgram', 'net']) assert.equal(loaded.builtins.includes(heavy), false, `loaded ${heavy}`);
  });
});
