import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, link, mkdir, open, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { installLauncher } from '../../src/core/triggers/cli-command.js';
import { isWithin } from '../../src/core/state/paths.js';
import { AsarArchive } from '../../packaging/asar-header.js';
import { FUSES, readFuseWire } from '../../packaging/electron-stand-in.js';
import { checkArchive, checkDependencies, checkNativeModules, currentTarget } from '../../packaging/native-check.js';
import { resourcesOf, unpackedDir } from '../../packaging/package.js';
import { requiredModules, targetName, type Target } from '../../packaging/targets.js';
import { processesInside, repoRoot, tempDir } from '../helpers/helpers.js';

// The packages as users get them, built by `node scripts/package.mjs` (CI: .ci/run, around a stand-in Electron
// binary) into the folder SNAPCTL_PACKAGES names. Each is copied outside the repository first, so nothing can be
// found in the checkout's node_modules; the CLI then runs through the launcher the app installs.
const packages = process.env['SNAPCTL_PACKAGES'];
const LINUX: Target[] = [{ platform: 'linux', arch: 'x64' }, { platform: 'linux', arch: 'arm64' }];
const skip = packages ? false : 'SKIPPED: set SNAPCTL_PACKAGES to a folder scripts/package.mjs built (.ci/run does)';
if (skip) console.log(`# ${skip}`);

interface Rec { id: string; trigger: string; tag: string | null; note: string | null; kind?: string }
const gitEnv = { GIT_AUTHOR_NAME: 'Dev', GIT_AUTHOR_EMAIL: 'dev@example.com', GIT_COMMITTER_NAME: 'Dev', GIT_COMMITTER_EMAIL: 'dev@example.com', GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' };
const xattr = createRequire(import.meta.url)('@napi-rs/xattr') as { setAttributeSync(p: string, n: string, v: Uint8Array): void; listAttributesSync(p: string): string[]; getAttributeSync(p: string, n: string): Buffer | null };

describe('the packaged app', { skip }, () => {
  const out = packages ?? '';
  const built = LINUX.filter((t) => existsSync(unpackedDir(out, t)));
  let work: string;
  before(async () => {
    work = await tempDir('snapctl-packaged-');
    assert.ok(!isWithin(repoRoot, work), 'the copy must be outside the repository');
    assert.ok(built.length > 0, `no package in ${out}`);
  });
  after(async () => { await processesInside(work); await rm(work, { recursive: true, force: true, maxRetries: 5 }); });

  test('ships for x64 and arm64, each with every native module its target needs, built for it (and loading here)', async () => {
    assert.deepEqual(built.map(targetName), LINUX.map(targetName));
    for (const target of built) {
      const copy = path.join(work, `tree-${targetName(target)}`);
      await cp(unpackedDir(out, target), copy, { recursive: true, verbatimSymlinks: true });
      const resources = resourcesOf(copy);
      assert.deepEqual(await checkNativeModules(path.join(resources, 'app.asar.unpacked'), target), [], targetName(target));
      assert.deepEqual(await checkArchive(resources, target), [], targetName(target));
      assert.deepEqual(await checkDependencies(resources), [], `${targetName(target)}: every package the app process needs is in app.asar`);
      assert.ok(requiredModules(target).length >= 2);
    }
  });

  test('the check fails a package that lacks one: the x64 tree read as arm64', async () => {
    const x64 = built.find((t) => t.arch === 'x64');
    assert.ok(x64);
    const problems = await checkNativeModules(path.join(resourcesOf(unpackedDir(out, x64)), 'app.asar.unpacked'), { platform: 'linux', arch: 'arm64' });
    assert.ok(problems.some((p) => p.startsWith('@napi-rs/xattr')), problems.join('\n'));
    assert.ok(problems.some((p) => p.startsWith('@reflink/reflink')), problems.join('\n'));
  });

  test('the app binary is built with runAsNode, NODE_OPTIONS and --inspect off, asar integrity and asar-only on, and is no debuggable test build', async () => {
    for (const target of built) {
      const wire = readFuseWire(await readFile(path.join(unpackedDir(out, target), 'snapctl-app')));
      assert.ok(wire, 'no fuse wire');
      const fuse = (name: keyof typeof FUSES): string => wire[FUSES[name]] ?? '?';
      assert.deepEqual(
        { runAsNode: fuse('runAsNode'), nodeOptions: fuse('enableNodeOptionsEnvironmentVariable'), inspect: fuse('enableNodeCliInspectArguments'), integrity: fuse('enableEmbeddedAsarIntegrityValidation'), asarOnly: fuse('onlyLoadAppFromAsar') },
        { runAsNode: '0', nodeOptions: '0', inspect: '0', integrity: '1', asarOnly: '1' },
      );
      // Not a test build: those allow a debugger (scripts/package.mjs --debuggable, for the Electron e2e test).
      const manifest = JSON.parse((await (await AsarArchive.open(path.join(resourcesOf(unpackedDir(out, target)), 'app.asar'))).read('package.json')).toString('utf8')) as { snapctl?: { debuggable?: unknown } };
      assert.equal(manifest.snapctl?.debuggable, undefined);
    }
  });

  describe('the installed snapctl command, from a copy of this machine\'s package', { skip: built.some((t) => targetName(t) === targetName(currentTarget() ?? { platform: 'linux', arch: 'x64' })) ? false : 'no package for this machine' }, () => {
    let bin: string;
    let project: string;
    let env: NodeJS.ProcessEnv;
    let cliScript: string;
    const snapctl = (args: string[], cwd = work): Promise<{ code: number | null; stdout: string; stderr: string }> => new Promise((resolve, reject) => {
      const child = spawn(path.join(bin, 'snapctl'), args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
      child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
    const ok = async (args: string[], cwd?: string): Promise<string> => {
      const r = await snapctl(args, cwd);
      assert.equal(r.code, 0, `snapctl ${args.join(' ')}: ${r.stderr}`);
      return r.stdout;
    };
    const list = async (): Promise<Rec[]> => JSON.parse(await ok(['list', '--path', project, '--json'])) as Rec[];

    before(async () => {
      const host = currentTarget();
      assert.ok(host);
      const app = path.join(work, 'installed', 'snapctl');
      await cp(unpackedDir(out, host), app, { recursive: true, verbatimSymlinks: true });
      cliScript = path.join(resourcesOf(app), 'app.asar.unpacked', 'bin', 'snapctl.js');
      bin = path.join(work, 'bin');
      await mkdir(bin);
      // The launcher "Install the snapctl command" writes, pointing where the app points it.
      await installLauncher(path.join(bin, 'snapctl'), cliScript);
      project = path.join(work, 'project');
      await mkdir(project);
      env = {
        PATH: [bin, path.dirname(process.execPath), '/usr/bin', '/bin'].join(':'),
        HOME: path.join(work, 'user'), SNAPCTL_HOME: path.join(work, 'state'),
        LANG: 'C.UTF-8', ...gitEnv,
      };
    });

    test('--version answers with the package\'s version', async () => {
      const version = (JSON.parse(await readFile(path.join(repoRoot, 'package.json'), 'utf8')) as { version: string }).version;
      assert.equal((await ok(['--version'])).trim(), version);
    });

    test('a snapshot keeps extended attributes, hard links and holes; rollback brings them back; undo reverts it', async () => {
      await writeFile(path.join(project, 'tagged.txt'), 'tagged\n');
      xattr.setAttributeSync(path.join(project, 'tagged.txt'), 'user.snapctl.test', Buffer.from('kept'));
      await writeFile(path.join(project, 'one.txt'), 'shared\n');
      await link(path.join(project, 'one.txt'), path.join(project, 'two.txt'));
      const sparse = await open(path.join(project, 'sparse.bin'), 'w');
      await sparse.write(Buffer.from('end'), 0, 3, 64 * 1024 * 1024);
      await sparse.close();
      await ok(['create', '--path', project, '--tag', 'packaged']);

      await writeFile(path.join(project, 'tagged.txt'), 'changed\n'); // a new file: no attribute
      await rm(path.join(project, 'two.txt'));
      await writeFile(path.join(project, 'two.txt'), 'shared\n');
      await rm(path.join(project, 'sparse.bin'));
      await writeFile(path.join(project, 'added.txt'), 'new\n');

      await ok(['rollback', 'latest', '--path', project, '--yes']);
      assert.equal(await readFile(path.join(project, 'tagged.txt'), 'utf8'), 'tagged\n');
      assert.equal(xattr.getAttributeSync(path.join(project, 'tagged.txt'), 'user.snapctl.test')?.toString(), 'kept', 'the user.* attribute came back (the xattr module loads from the package)');
      assert.equal((await stat(path.join(project, 'one.txt'))).ino, (await stat(path.join(project, 'two.txt'))).ino, 'one file again');
      const holes = await stat(path.join(project, 'sparse.bin'));
      assert.equal(holes.size, 64 * 1024 * 1024 + 3);
      assert.ok(holes.blocks * 512 < 1024 * 1024, `the holes came back (${holes.blocks} blocks)`);
      assert.equal(existsSync(path.join(project, 'added.txt')), false);

      await ok(['undo', '--path', project, '--yes']);
      assert.equal(await readFile(path.join(project, 'added.txt'), 'utf8'), 'new\n');
      assert.equal(await readFile(path.join(project, 'tagged.txt'), 'utf8'), 'changed\n');
    });

    test('a git hook installed by the command takes a snapshot after a commit, through the package\'s CLI', async () => {
      const git = (...args: string[]): string => execFileSync('git', ['-C', project, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] }).toString();
      git('init', '-q', '-b', 'main');
      await ok(['hook', 'install', '--repo', project]);
      assert.ok((await readFile(path.join(project, '.git', 'hooks', 'post-commit'), 'utf8')).includes(cliScript), 'the hook runs the package\'s CLI');
      git('add', 'tagged.txt');
      git('commit', '-q', '-m', 'from the hook');
      // The snapshot runs in the background after the commit: wait for it to be listed.
      for (let i = 0; i < 300 && !(await list()).some((r) => r.trigger === 'git-commit'); i++) await new Promise((r) => setTimeout(r, 100));
      const made = (await list()).find((r) => r.trigger === 'git-commit');
      assert.match(made?.tag ?? '', /from the hook/);
    });

    test('snapctl run takes a snapshot, then runs the command and passes its exit code through', async () => {
      const before = (await list()).length;
      const r = await snapctl(['run', '--path', project, '--', 'sh', '-c', 'echo ran > ran.txt; exit 3'], project);
      assert.equal(r.code, 3, r.stderr);
      assert.equal(await readFile(path.join(project, 'ran.txt'), 'utf8'), 'ran\n');
      assert.equal((await list()).length, before + 1);
    });
  });
});
