import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmod, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parseJson, processesInside, runCli, tempDir } from '../../helpers/helpers.js';

interface Rec { id: string; tag: string | null; trigger: string; note: string | null; target: string }

const gitEnv = { GIT_AUTHOR_NAME: 'Dev', GIT_AUTHOR_EMAIL: 'dev@example.com', GIT_COMMITTER_NAME: 'Dev', GIT_COMMITTER_EMAIL: 'dev@example.com', GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' };

describe('git hooks', () => {
  let root: string;
  let repo: string;
  let env: Record<string, string>;
  const git = (...args: string[]): string => execFileSync('git', ['-C', repo, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] }).toString();
  const list = async (): Promise<Rec[]> => parseJson<Rec[]>((await runCli(['list', '--json'], env)).stdout);
  const eventually = async (check: () => Promise<boolean>, what: string): Promise<void> => {
    for (let i = 0; i < 200; i++) { if (await check()) return; await new Promise((r) => setTimeout(r, 50)); }
    assert.fail(`timed out waiting for ${what}`);
  };

  before(async () => {
    root = await tempDir();
    // Quotes, spaces and shell syntax in the path: the hook script must quote it, never interpret it.
    repo = path.join(root, "it's a \"repo\" $(touch pwned)");
    await mkdir(repo);
    env = { ...gitEnv, SNAPCTL_HOME: path.join(root, 'home') };
    git('init', '-q', '-b', 'main');
    await writeFile(path.join(repo, 'a.txt'), 'one\n');
    git('add', '.');
    git('commit', '-q', '-m', 'first');
  });
  after(async () => {
    await processesInside(root);
    await rm(root, { recursive: true, force: true, maxRetries: 5 });
  });

  test('install chains an existing hook; a commit then takes a snapshot tagged with its hash and subject', async () => {
    const hooks = path.join(repo, '.git', 'hooks');
    await writeFile(path.join(hooks, 'post-commit'), `#!/bin/sh\necho ran >> "${path.join(root, 'original-ran')}"\n`);
    await chmod(path.join(hooks, 'post-commit'), 0o755);
    const installed = await runCli(['hook', 'install', '--repo', repo], env);
    assert.equal(installed.code, 0, installed.stderr);
    assert.match(installed.stdout, /chained .*post-commit/);
    assert.match(installed.stdout, /installed .*pre-rebase/);

    await writeFile(path.join(repo, 'a.txt'), 'two\n');
    git('commit', '-q', '-am', 'change a; $(touch pwned2) `id`');
    const hash = git('rev-parse', '--short', 'HEAD').trim();
    await eventually(async () => (await list()).some((r) => r.trigger === 'git-commit'), 'the post-commit snapshot');
    const [snap] = await list();
    assert.equal(snap?.tag, `${hash} change a; $(touch pwned2) \`id\``);
    assert.equal(snap?.target, repo);
    assert.equal(await readFile(path.join(root, 'original-ran'), 'utf8'), 'ran\n', 'the chained hook still runs');
    await assert.rejects(stat(path.join(repo, 'pwned')), /ENOENT/);
    await assert.rejects(stat(path.join(repo, 'pwned2')), /ENOENT/);
  });

  test('a failing snapshot never blocks a commit', async () => {
    const broken = { ...env, SNAPCTL_HOME: repo }; // snapctl refuses to snapshot a folder holding its own state
    await writeFile(path.join(repo, 'a.txt'), 'three\n');
    execFileSync('git', ['-C', repo, 'commit', '-q', '-am', 'third'], { env: { ...process.env, ...broken } });
    assert.match(git('log', '-1', '--format=%s'), /third/);
  });

  test('before a rebase a snapshot is taken first, and a chained pre-rebase hook that refuses still stops it', async () => {
    const before = (await list()).length;
    git('checkout', '-q', '-b', 'topic', 'HEAD~1');
    await writeFile(path.join(repo, 'b.txt'), 'b\n');
    git('add', 'b.txt');
    git('commit', '-q', '-m', 'topic work');
    await eventually(async () => (await list()).length === before + 1, 'the topic commit snapshot');
    git('rebase', '-q', 'main');
    const tags = (await list()).map((r) => r.tag);
    assert.ok(tags.includes('before rebase'), tags.join(', '));
  });

  test('uninstall puts back the hook it chained, byte for byte, and removes the others', async () => {
    const hooks = path.join(repo, '.git', 'hooks');
    const r = await runCli(['hook', 'uninstall', '--repo', repo], env);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(await readFile(path.join(hooks, 'post-commit'), 'utf8'), `#!/bin/sh\necho ran >> "${path.join(root, 'original-ran')}"\n`);
    await assert.rejects(stat(path.join(hooks, 'pre-rebase')), /ENOENT/);
    await assert.rejects(stat(path.join(hooks, 'post-commit.snapctl-orig')), /ENOENT/);
  });

  test('a folder that is not a git repository is a usage error', async () => {
    const r = await runCli(['hook', 'install', '--repo', root], env);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /not in a git work tree/);
  });
});
