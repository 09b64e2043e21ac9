import assert from 'node:assert/strict';
import { cp, mkdir, readdir, realpath, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { binaryTargets, readHeader } from '../../packaging/binary-arch.js';
import { checkDependencies, checkNativeModules, currentTarget } from '../../packaging/native-check.js';
import { requiredModules, targetName, SHIPPED_TARGETS } from '../../packaging/targets.js';
import { repoRoot, tempDir } from '../helpers/helpers.js';

const host = currentTarget();

/** The modules whose binaries come in per-platform packages, which a tree can lack. */
const perPlatform = (target: Parameters<typeof requiredModules>[0]) => requiredModules(target).filter((m) => m.carriesEveryBuild !== true);

describe('native modules of a package', { skip: host?.platform === 'linux' ? false : 'the checkout\'s own bindings are Linux builds here' }, () => {
  let work: string;
  /** The folder whose node_modules the tests run with (a worktree may link the checkout's). */
  let modulesRoot: string;
  before(async () => {
    work = await tempDir();
    modulesRoot = path.dirname(await realpath(path.join(repoRoot, 'node_modules')));
  });
  after(() => rm(work, { recursive: true, force: true }));

  test('a binary\'s header tells its platform and architecture (ELF here; Mach-O thin and universal)', async () => {
    const dir = path.join(repoRoot, 'node_modules', '@napi-rs');
    const pkg = (await readdir(dir)).find((n) => n.startsWith('xattr-linux-'));
    assert.ok(pkg);
    const file = path.join(dir, pkg, (await readdir(path.join(dir, pkg))).find((n) => n.endsWith('.node')) ?? '');
    assert.deepEqual((await binaryTargets(file)).map(targetName), [targetName(host ?? { platform: 'linux', arch: 'x64' })]);
    const thin = Buffer.alloc(32);
    thin.writeUInt32LE(0xfeedfacf, 0);
    thin.writeUInt32LE(0x0100000c, 4);
    assert.deepEqual(readHeader(thin).map(targetName), ['darwin-arm64']);
    const fat = Buffer.alloc(64);
    fat.writeUInt32BE(0xcafebabe, 0);
    fat.writeUInt32BE(2, 4);
    fat.writeUInt32BE(0x01000007, 8);
    fat.writeUInt32BE(0x0100000c, 28);
    assert.deepEqual(readHeader(fat).map(targetName), ['darwin-x64', 'darwin-arm64']);
    assert.deepEqual(readHeader(Buffer.from('#!/bin/sh\n')), []);
  });

  test('this machine\'s node_modules passes for this machine: every module opens a binary built for it, and loads', async () => {
    assert.ok(host);
    assert.deepEqual(await checkNativeModules(modulesRoot, host), []);
  });

  test('the same node_modules fails for every other target, naming each module it lacks', async () => {
    for (const target of SHIPPED_TARGETS.filter((t) => targetName(t) !== targetName(host ?? t))) {
      const problems = await checkNativeModules(modulesRoot, target);
      // A loader that carries every platform's binary itself (fs-native-extensions) is never missing here.
      assert.deepEqual(problems.map((p) => p.split(' ')[0]), perPlatform(target).map((m) => m.name), `${targetName(target)}: ${problems.join('\n')}`);
      assert.match(problems[0] ?? '', new RegExp(`no binary for ${targetName(target)}`));
    }
  });

  test('a tree holding the loaders but not their per-platform packages fails, and a module found outside the tree counts as missing', async () => {
    assert.ok(host);
    const tree = path.join(work, 'app.asar.unpacked');
    for (const m of requiredModules(host)) {
      await mkdir(path.join(tree, 'node_modules', m.name), { recursive: true });
      await cp(path.join(repoRoot, 'node_modules', m.name), path.join(tree, 'node_modules', m.name), { recursive: true });
    }
    const problems = await checkNativeModules(tree, host);
    assert.equal(problems.length, requiredModules(host).length, problems.join('\n'));
    // Inside the checkout, the loaders would find the checkout's own binaries above the tree: still missing
    // (but for a loader carrying its binaries itself, whose other packages then resolve from the checkout).
    const inside = path.join(repoRoot, 'dist', 'test-native-tree');
    await rm(inside, { recursive: true, force: true });
    await cp(tree, inside, { recursive: true });
    try {
      const found = await checkNativeModules(inside, host);
      assert.ok(found.length === perPlatform(host).length && found.every((p) => /outside the package|no binary/.test(p)), found.join('\n'));
    } finally {
      await rm(inside, { recursive: true, force: true });
    }
  });
});

/** An asar archive holding `files` (all packed), in the format Electron reads. */
async function writeAsar(file: string, files: Record<string, string>): Promise<void> {
  interface Node { files?: Record<string, Node>; size?: number; offset?: string }
  const root: Node = { files: {} };
  const data: Buffer[] = [];
  let offset = 0;
  for (const [rel, text] of Object.entries(files)) {
    const parts = rel.split('/');
    let node = root;
    for (const dir of parts.slice(0, -1)) node = ((node.files ??= {})[dir] ??= { files: {} });
    const bytes = Buffer.from(text);
    (node.files ??= {})[parts[parts.length - 1] ?? ''] = { size: bytes.length, offset: String(offset) };
    data.push(bytes);
    offset += bytes.length;
  }
  const json = Buffer.from(JSON.stringify(root));
  const padded = Math.ceil((json.length + 8) / 4) * 4;
  const head = Buffer.alloc(16 + padded - 8);
  head.writeUInt32LE(4, 0);
  head.writeUInt32LE(padded, 4);
  head.writeUInt32LE(padded - 4, 8);
  head.writeUInt32LE(json.length, 12);
  json.copy(head, 16);
  await writeFile(file, Buffer.concat([head, ...data]));
}

describe('the app\'s own dependencies in app.asar', () => {
  let work: string;
  before(async () => { work = await tempDir(); });
  after(() => rm(work, { recursive: true, force: true }));

  test('each dependency is found as Node would (nested, then above); a missing one is named with who needs it; a missing optional one is not', async () => {
    const pkg = (name: string, deps: Record<string, string> = {}, optional: Record<string, string> = {}): string => JSON.stringify({ name, dependencies: deps, optionalDependencies: optional });
    const base = {
      'package.json': pkg('snapctl', { menubar: '9', execa: '9' }),
      'node_modules/menubar/package.json': pkg('menubar', { 'electron-positioner': '4' }),
      'node_modules/execa/package.json': pkg('execa', { 'get-stream': '9' }, { 'execa-linux-x64': '1' }),
      'node_modules/execa/node_modules/get-stream/package.json': pkg('get-stream'),
    };
    const whole = path.join(work, 'whole');
    await mkdir(whole);
    await writeAsar(path.join(whole, 'app.asar'), { ...base, 'node_modules/electron-positioner/package.json': pkg('electron-positioner') });
    assert.deepEqual(await checkDependencies(whole), []);
    const lacking = path.join(work, 'lacking');
    await mkdir(lacking);
    await writeAsar(path.join(lacking, 'app.asar'), base);
    assert.deepEqual(await checkDependencies(lacking), ['app.asar lacks electron-positioner, which menubar needs']);
  });
});
