import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { copyFile, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import { before, describe, test } from 'node:test';
import { answerFromCache } from '../../src/cli/fast-list.js';
import { keepListingIfRoom } from '../../src/cli/listing-cache.js';
import { ServiceContext } from '../../src/core/service/context.js';
import { listingInputs } from '../../src/core/state/listing-cache.js';
import { cliPath, cliSandbox, parseJson, runCli } from '../helpers/helpers.js';

interface Observed { stdout: string; stderr: string; code: number | null; bundled: string[]; storeRead: boolean }

/**
 * `snapctl list --json` run as a user runs it, observed from inside its process: the files of dist/ it loaded
 * and whether it read the index.
 */
async function observedList(home: string, root: string): Promise<Observed> {
  const hook = path.join(root, 'observe.cjs');
  const out = path.join(root, 'observed.json');
  await writeFile(hook, `const fs = require('node:fs'); const fsp = require('node:fs/promises'); let storeRead = false;
const mark = (file) => { if (String(file).endsWith('store.json')) storeRead = true; };
for (const [mod, name] of [[fs, 'readFileSync'], [fs, 'openSync'], [fsp, 'readFile'], [fsp, 'open']]) { const real = mod[name]; mod[name] = function (file, ...rest) { mark(file); return real.call(this, file, ...rest); }; }
process.on('exit', () => fs.writeFileSync(${JSON.stringify(out)}, JSON.stringify({ files: Object.keys(require.cache), storeRead })));\n`);
  const r = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, ['--require', hook, cliPath, 'list', '--json'], { env: { ...process.env, SNAPCTL_HOME: home }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
  const seen = parseJson<{ files: string[]; storeRead: boolean }>(await readFile(out, 'utf8'));
  const dist = `${path.sep}dist${path.sep}`;
  return { ...r, storeRead: seen.storeRead, bundled: seen.files.filter((f) => f.includes(dist)).map((f) => f.slice(f.indexOf(dist) + 1)) };
}

const ids = (stdout: string): string[] => parseJson<{ id: string }[]>(stdout).map((s) => s.id);
/** A listing is kept only once what it was computed from is 2 s old (listing-cache.ts, racy timestamps). */
const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 2_100));
const FAST = [path.join('dist', 'src', 'cli-bundle', 'fast-list.cjs')];

describe('list --json from the listing cache', () => {
  const sb = cliSandbox();
  let first: string;
  before(async () => {
    await writeFile(path.join(sb.box.project, 'a.txt'), 'one\n');
    const made = await runCli(['create', '--path', sb.box.project, '--tag', 'first'], sb.env);
    assert.equal(made.code, 0, made.stderr);
    first = parseJson<{ id: string }[]>((await runCli(['list', '--json'], sb.env)).stdout)[0]?.id ?? '';
  });

  test('a second list --json prints what the first printed without loading the CLI bundle or reading the index', async () => {
    await settle();
    const full = await observedList(sb.box.home, sb.box.root);
    assert.equal(full.code, 0, full.stderr);
    assert.ok(full.bundled.includes(path.join('dist', 'src', 'cli-bundle', 'main.cjs')));
    assert.equal(full.storeRead, true);
    const cached = await observedList(sb.box.home, sb.box.root);
    assert.equal(cached.code, 0, cached.stderr);
    assert.deepEqual(cached.bundled, FAST);
    assert.equal(cached.storeRead, false);
    assert.equal(cached.stdout, full.stdout);
    assert.equal(cached.stderr, '');
  });

  test('after a create the new snapshot is listed: the write of the index leaves the cache unused', async () => {
    const aside = path.join(sb.box.root, 'store-one.json');
    await copyFile(path.join(sb.box.home, 'store.json'), aside);
    await writeFile(path.join(sb.box.project, 'b.txt'), 'two\n');
    const made = await runCli(['create', '--path', sb.box.project, '--tag', 'second'], sb.env);
    assert.equal(made.code, 0, made.stderr);
    const listed = await observedList(sb.box.home, sb.box.root);
    assert.equal(ids(listed.stdout).length, 2);
    assert.equal(ids(listed.stdout)[1], first);
    // Kept again once settled; then the older index put back by hand is mended and said, as without a cache.
    await settle();
    await observedList(sb.box.home, sb.box.root);
    assert.deepEqual((await observedList(sb.box.home, sb.box.root)).bundled, FAST);
    await copyFile(aside, path.join(sb.box.home, 'store.json'));
    const mended = await observedList(sb.box.home, sb.box.root);
    assert.equal(mended.code, 0, mended.stderr);
    assert.equal(ids(mended.stdout).length, 2);
    assert.match(mended.stderr, /older than the last one snapctl wrote/);
  });

  test('a create killed part way is cleaned up and said by the next list --json, never hidden by a kept listing', async () => {
    await settle();
    await observedList(sb.box.home, sb.box.root);
    assert.deepEqual((await observedList(sb.box.home, sb.box.root)).bundled, FAST);
    const gone = spawnSync(process.execPath, ['-e', '0']).pid;
    await mkdir(path.join(sb.box.home, 'pending'), { recursive: true });
    const id = '20250101-000000-abcdef';
    await writeFile(path.join(sb.box.home, 'pending', `${id}.json`), JSON.stringify({ id, provider: 'clone', target: sb.box.project, pid: gone, host: hostname() }));
    const after = await observedList(sb.box.home, sb.box.root);
    assert.equal(after.code, 0, after.stderr);
    assert.match(after.stderr, new RegExp(`removed what an interrupted snapshot of .* had left \\(${id}\\)`));
  });

  test('a reader that stops early (| head) ends list --json quietly, from the cache and from the full command', async () => {
    // Enough records that the listing does not fit in the pipe's buffer before the reader goes.
    const home = path.join(sb.box.root, 'many');
    await mkdir(home);
    const snapshots = Array.from({ length: 2_000 }, (_, i) => ({ id: `20250101-000000-${i.toString(16).padStart(6, '0')}`, provider: 'clone', target: sb.box.project, tag: null, trigger: 'schedule', createdAt: '2025-01-01T00:00:00.000Z', size: 1, addedBytes: 1, files: 1, state: 'ready', ref: `r${i}`, note: null }));
    await writeFile(path.join(home, 'store.json'), JSON.stringify({ version: 1, snapshots, rollbacks: [] }));
    await settle();
    for (const round of ['full', 'kept', 'from the cache']) {
      const r = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
        const child = spawn(process.execPath, [cliPath, 'list', '--json'], { env: { ...process.env, SNAPCTL_HOME: home }, stdio: ['ignore', 'pipe', 'pipe'] });
        let stderr = '';
        child.stdout.once('data', () => child.stdout.destroy());
        child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
        child.on('close', (code) => resolve({ code, stderr }));
      });
      assert.deepEqual(r, { code: 0, stderr: '' }, round);
    }
  });

  test('a listing is not kept when it would take the disk below the free-space floor', async () => {
    const service = new ServiceContext({ home: sb.box.home });
    const records = (await service.store.read()).snapshots;
    const cache = service.layout.listingCacheFile;
    await rm(cache, { force: true });
    await writeFile(service.layout.settingsFile, JSON.stringify({ version: 1, freeSpaceFloor: Number.MAX_SAFE_INTEGER }));
    const tight = listingInputs(service.layout);
    assert.ok(tight);
    await keepListingIfRoom(service, tight, Date.now() + 10_000, records, '[]\n');
    await assert.rejects(stat(cache), { code: 'ENOENT' });
    await rm(service.layout.settingsFile);
    const roomy = listingInputs(service.layout);
    assert.ok(roomy);
    await keepListingIfRoom(service, roomy, Date.now() + 10_000, records, '[]\n');
    await stat(cache);
  });

  test('only list --json to a pipe, with no setting that changes what the command does, is answered from the cache', async () => {
    await settle();
    await observedList(sb.box.home, sb.box.root);
    const answered = (argv: string[], options: { terminal?: boolean; env?: Record<string, string> } = {}): boolean =>
      answerFromCache(argv, { env: { SNAPCTL_HOME: sb.box.home, ...options.env }, stdoutIsTerminal: options.terminal ?? false, write: () => undefined });
    assert.equal(answered(['list', '--json']), true);
    assert.equal(answered(['list', '--json'], { env: { SNAPCTL_NO_APP: '1' } }), true);
    assert.equal(answered(['list', '--json'], { terminal: true }), false, 'a terminal gets indented JSON');
    for (const argv of [['list'], ['list', '--json', '--totals'], ['list', '--json', '--path', sb.box.project], ['list', '--totals', '--json'], ['count']]) assert.equal(answered(argv), false, argv.join(' '));
    for (const name of ['SNAPCTL_TRACE', 'SNAPCTL_FAULT_KILL_AT']) assert.equal(answered(['list', '--json'], { env: { [name]: '1' } }), false, name);
  });
});
