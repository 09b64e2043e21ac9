import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, readlink, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { commandLine, installLauncher, launcherScript } from '../../../src/core/triggers/cli-command.js';
import { hookScript } from '../../../src/core/triggers/git-hooks.js';
import { cliPath, parseJson, sandbox } from '../../helpers/helpers.js';

const run = promisify(execFile);

describe('the snapctl command the tray app installs', () => {
  let box: Awaited<ReturnType<typeof sandbox>>;
  let bin: string;
  before(async () => {
    box = await sandbox();
    bin = path.join(box.root, "odd 'bin' $(touch pwned)");
    await mkdir(bin);
  });
  after(() => box.cleanup());

  test('runs the CLI with the Node on PATH, passing every argument through untouched', async () => {
    const launcher = path.join(bin, 'snapctl');
    await installLauncher(launcher, cliPath);
    const project = path.join(box.root, "it's a project");
    await mkdir(project);
    await writeFile(path.join(project, 'a.txt'), 'one\n');
    const tag = `it's "quoted" $(touch pwned) ; echo no`;
    const env = { ...process.env, SNAPCTL_HOME: box.home, PATH: `${path.dirname(process.execPath)}${path.delimiter}/usr/bin${path.delimiter}/bin` };
    const { stdout } = await run(launcher, ['create', '--path', project, '--tag', tag, '--json'], { env, cwd: box.root });
    assert.equal(parseJson<{ tag: string }>(stdout).tag, tag);
    assert.equal(existsSync(path.join(box.root, 'pwned')), false, 'nothing in a path or argument ran');
  });

  test('without Node on PATH it says what is missing and exits 127', async () => {
    const launcher = path.join(bin, 'snapctl');
    const noNode = path.join(box.root, 'empty-path');
    await mkdir(noNode, { recursive: true });
    await assert.rejects(run('/bin/sh', [launcher, 'list'], { env: { PATH: noNode } }), (err: { code?: number; stderr?: string }) => {
      assert.equal(err.code, 127);
      assert.match(err.stderr ?? '', /snapctl: this command needs Node\.js 20 or later on PATH/);
      return true;
    });
  });

  test('replaces an older launcher, or the symlink older versions made, without writing through it', async () => {
    const viaLink = path.join(bin, 'snapctl-linked');
    const target = path.join(box.root, 'what-the-link-points-to.js');
    await writeFile(target, '// not ours to change\n');
    await symlink(target, viaLink);
    await installLauncher(viaLink, cliPath);
    assert.equal(await readFile(target, 'utf8'), '// not ours to change\n');
    await assert.rejects(readlink(viaLink), /EINVAL/);
    await installLauncher(viaLink, '/opt/snapctl/bin/snapctl.js');
    assert.equal(await readFile(viaLink, 'utf8'), launcherScript('/opt/snapctl/bin/snapctl.js'));
  });

  test('leaves a snapctl command that is not its own alone, with a clear error', async () => {
    const foreign = path.join(bin, 'snapctl-foreign');
    await writeFile(foreign, '#!/bin/sh\necho mine\n');
    await assert.rejects(installLauncher(foreign, cliPath), /exists and is not a snapctl launcher/);
    assert.equal(await readFile(foreign, 'utf8'), '#!/bin/sh\necho mine\n');
  });

  test('git hooks call the CLI with the Node that installed them, every path quoted, and name no repository', () => {
    const command = { executable: "/opt/my node/bin/node", script: "/Users/o'neil/snapctl/bin/snapctl.js" };
    assert.equal(commandLine(command), `'/opt/my node/bin/node' '/Users/o'\\''neil/snapctl/bin/snapctl.js'`);
    const script = hookScript('post-commit', command);
    assert.ok(script.includes(`(${commandLine(command)} hook run post-commit >/dev/null`), script);
    assert.ok(!script.includes('--path'), 'the repository is found when the hook runs, never written into it');
  });
});
