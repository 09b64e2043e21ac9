import assert from 'node:assert/strict';
import { chmod, mkdir, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parseJson, runCli, tempDir } from '../helpers/helpers.js';

interface Rec { id: string; tag: string | null; trigger: string; note: string | null; target: string }

describe('snapctl run', () => {
  let root: string;
  let project: string;
  let env: Record<string, string>;
  before(async () => {
    root = await tempDir();
    project = path.join(root, 'project');
    await mkdir(project);
    await writeFile(path.join(project, 'package.json'), '{"name":"p"}\n');
    // A stand-in npm on PATH that "installs" a dependency and prints like npm does.
    const bin = path.join(root, 'bin');
    await mkdir(bin);
    await writeFile(path.join(bin, 'npm'), '#!/bin/sh\nmkdir -p node_modules/left-pad && echo "module.exports=1" > node_modules/left-pad/index.js\necho "added 1 package in 0.1s"\nexit ${NPM_EXIT:-0}\n');
    await chmod(path.join(bin, 'npm'), 0o755);
    env = { SNAPCTL_HOME: path.join(root, 'home'), PATH: `${bin}:${process.env['PATH'] ?? ''}` };
  });
  after(() => rm(root, { recursive: true, force: true }));

  test('snapshots, passes the output and exit code through, records the result, and one rollback undoes the install', async () => {
    // The command runs where the user is; the folder snapshotted defaults to it too.
    const r = await runCli(['run', '--', 'npm', 'install', 'left-pad'], { ...env, NPM_EXIT: '3' }, { cwd: project });
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stdout, /added 1 package/);
    const [snap] = parseJson<Rec[]>((await runCli(['list', '--json'], env)).stdout);
    assert.equal(snap?.trigger, 'npm-install');
    assert.equal(snap?.tag, 'npm install left-pad');
    assert.match(snap?.note ?? '', /^before: npm install left-pad \(exit 3 after \d+\.\d s\)$/);
    await stat(path.join(project, 'node_modules', 'left-pad', 'index.js'));
    const back = await runCli(['rollback', snap?.id ?? '', '--yes'], env);
    assert.equal(back.code, 0, back.stderr);
    await assert.rejects(stat(path.join(project, 'node_modules')), /ENOENT/);
  });

  test('a folder whose excludes leave node_modules out is told the rollback will not undo what the command does there', async () => {
    const dir = path.join(root, 'excluding');
    await mkdir(dir);
    await writeFile(path.join(dir, 'package.json'), '{"name":"q"}\n');
    await writeFile(path.join(root, 'home', 'settings.json'), JSON.stringify({ version: 1, targets: [{ path: dir, excludes: ['node_modules/'] }] }));
    const r = await runCli(['run', '--', 'npm', 'install', 'left-pad'], env, { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /snapctl: note: it leaves out node_modules\/ \(the folder's excludes\): what the command changes there, the rollback does not undo\n/);
    await rm(path.join(root, 'home', 'settings.json'));
  });

  test('without a snapshot the command still runs (with a warning), unless --strict', async () => {
    const missing = path.join(root, 'nope');
    const loose = await runCli(['run', '--path', missing, '--', 'node', '-e', 'console.log("still ran")'], env);
    assert.equal(loose.code, 0);
    assert.match(loose.stdout, /still ran/);
    assert.match(loose.stderr, /WARNING: no snapshot was taken/);
    const strict = await runCli(['run', '--strict', '--path', missing, '--', 'node', '-e', 'console.log("still ran")'], env);
    assert.equal(strict.code, 2);
    assert.doesNotMatch(strict.stdout, /still ran/);
  });

  test('the command is never given to a shell', async () => {
    const r = await runCli(['run', '--', 'node', '-e', 'console.log(process.argv[1])', '$(touch pwned); echo hi'], env, { cwd: project });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), '$(touch pwned); echo hi');
    await assert.rejects(stat(path.join(project, 'pwned')), /ENOENT/);
  });
});
