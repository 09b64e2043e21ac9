import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmod, lstat, mkdir, readdir, readFile, readlink, realpath, rm, stat, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { cliPath, parseJson, processesInside, runCli, tempDir } from '../../helpers/helpers.js';

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
    // snapctl refuses to snapshot a folder holding its own state: the repository is its state folder here,
    // with the list of repositories that installed the hooks, so the hook does try.
    const broken = { ...env, SNAPCTL_HOME: repo };
    await writeFile(path.join(repo, 'git-hooks.json'), await readFile(path.join(env['SNAPCTL_HOME'] ?? '', 'git-hooks.json')));
    await writeFile(path.join(repo, 'a.txt'), 'three\n');
    const out = execFileSync('git', ['-C', repo, 'commit', '-q', '-am', 'third'], { env: { ...process.env, ...broken }, stdio: ['ignore', 'pipe', 'pipe'] });
    assert.match(git('log', '-1', '--format=%s'), /third/);
    assert.equal(out.toString(), '');
    await processesInside(repo);
    await rm(path.join(repo, 'git-hooks.json'));
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

describe('git hooks in a hooks folder several repositories share', () => {
  let root: string;
  let env: Record<string, string>;
  const git = (dir: string, ...args: string[]): string => execFileSync('git', ['-C', dir, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] }).toString();
  const list = async (): Promise<Rec[]> => parseJson<Rec[]>((await runCli(['list', '--json'], env)).stdout);
  const snapctl = async (...args: string[]): Promise<string> => {
    const r = await runCli(args, env);
    assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  /** A commit, then the wait for its post-commit hook (run in the background from the work tree) to end. */
  const commit = async (dir: string, subject: string): Promise<string> => {
    await writeFile(path.join(dir, 'f.txt'), `${subject}\n`);
    git(dir, 'commit', '-q', '-am', subject);
    await processesInside(dir);
    return git(dir, 'rev-parse', '--short', 'HEAD').trim();
  };
  const makeRepo = async (name: string): Promise<string> => {
    const dir = path.join(root, name);
    await mkdir(dir);
    git(dir, 'init', '-q', '-b', 'main');
    await writeFile(path.join(dir, 'f.txt'), 'zero\n');
    git(dir, 'add', '.');
    git(dir, 'commit', '-q', '-m', 'zero');
    return realpath(dir);
  };

  before(async () => {
    root = await realpath(await tempDir());
    const globalConfig = path.join(root, 'gitconfig');
    await writeFile(globalConfig, '');
    env = { ...gitEnv, GIT_CONFIG_GLOBAL: globalConfig, SNAPCTL_HOME: path.join(root, 'home') };
  });
  after(async () => {
    await processesInside(root);
    await rm(root, { recursive: true, force: true, maxRetries: 5 });
  });

  test('a global core.hooksPath: each commit snapshots its own repository, tagged with its own commit, and only where the hooks were installed', async () => {
    const shared = path.join(root, 'global-hooks');
    execFileSync('git', ['config', '--global', 'core.hooksPath', shared], { env: { ...process.env, ...env } });
    const a = await makeRepo('a');
    const b = await makeRepo('b');
    const installed = await snapctl('hook', 'install', '--repo', b);
    assert.match(installed, new RegExp(`installed ${shared}/post-commit`));
    assert.match(installed, /can serve other repositories \(core\.hooksPath points git there\)/);

    await commit(a, 'work in a');
    assert.deepEqual(await list(), [], 'a commit in a repository that did not install the hooks snapshots nothing');
    const hashB = await commit(b, 'work in b');
    assert.deepEqual((await list()).map((r) => [r.target, r.tag]), [[b, `${hashB} work in b`]]);

    assert.match(await snapctl('hook', 'install', '--repo', a), /updated .*post-commit[^]*also installed for .*\/b/);
    const hashA = await commit(a, 'more in a');
    assert.deepEqual((await list())[0] && [(await list())[0]?.target, (await list())[0]?.tag], [a, `${hashA} more in a`]);

    const uninstalled = await snapctl('hook', 'uninstall', '--repo', b);
    assert.match(uninstalled, /kept the hooks in .*: .*\/a uses them too/);
    assert.ok(isOurHookFile(await readFile(path.join(shared, 'post-commit'), 'utf8')), 'the hooks stay for a');
    const before = (await list()).length;
    await commit(b, 'after uninstall in b');
    assert.equal((await list()).length, before, 'b no longer snapshots');
    const hashA2 = await commit(a, 'a still works');
    assert.equal((await list())[0]?.tag, `${hashA2} a still works`);

    const last = await snapctl('hook', 'uninstall', '--repo', a);
    assert.match(last, /removed .*post-commit/);
    await assert.rejects(stat(path.join(shared, 'post-commit')), /ENOENT/);
    execFileSync('git', ['config', '--global', '--unset', 'core.hooksPath'], { env: { ...process.env, ...env } });
  });

  test('linked worktrees share the main repository\'s hooks: a commit in a worktree snapshots the worktree, once it is installed there', async () => {
    const main = await makeRepo('main-repo');
    const tree = path.join(root, 'linked');
    git(main, 'worktree', 'add', '-q', '-b', 'side', tree);
    const linked = await realpath(tree);
    await snapctl('hook', 'install', '--repo', main);
    const before = (await list()).length;
    await commit(linked, 'in the worktree');
    assert.equal((await list()).length, before, 'the main work tree is not snapshotted for a commit in another');
    assert.match(await snapctl('hook', 'install', '--repo', linked), /linked worktrees share it/);
    const hash = await commit(linked, 'in the worktree again');
    const [snap] = await list();
    assert.deepEqual([snap?.target, snap?.tag], [linked, `${hash} in the worktree again`]);
    await snapctl('hook', 'uninstall', '--repo', linked);
    const hashMain = await commit(main, 'in main');
    assert.equal((await list())[0]?.tag, `${hashMain} in main`, 'uninstalling the worktree leaves the main repository working');
  });

  test('a hook written by an earlier snapctl (with its folder in it) snapshots only its own repository', async () => {
    const shared = path.join(root, 'local-hooks');
    const a = await makeRepo('legacy-a');
    const b = await makeRepo('legacy-b');
    for (const dir of [a, b]) git(dir, 'config', 'core.hooksPath', shared);
    await mkdir(shared);
    const command = `'${process.execPath}' '${cliPath}'`;
    await writeFile(path.join(shared, 'post-commit'), `#!/bin/sh\n# snapctl hook: managed by \`snapctl hook install\`; \`snapctl hook uninstall\` restores what was here\n(${command} hook run post-commit --path '${b}' >/dev/null 2>&1 &) || true\nexit 0\n`);
    await chmod(path.join(shared, 'post-commit'), 0o755);
    const before = (await list()).length;
    await commit(a, 'legacy a');
    assert.equal((await list()).length, before, 'b is not snapshotted for a commit in a');
    const hashB = await commit(b, 'legacy b');
    assert.equal((await list())[0]?.tag, `${hashB} legacy b`);
    // Uninstalling a keeps b's hooks: they were written for b.
    assert.match(await snapctl('hook', 'uninstall', '--repo', a), /kept the hooks .*legacy-b uses them too/);
    assert.ok(isOurHookFile(await readFile(path.join(shared, 'post-commit'), 'utf8')));
  });

  test('a hook that is a link is never written through: a dangling one is refused, a live one is moved aside whole', async () => {
    const repo = await makeRepo('linked-hooks');
    const hooks = path.join(repo, '.git', 'hooks');
    const outside = path.join(root, 'outside');
    await mkdir(outside);
    await symlink(path.join(outside, 'not-yet'), path.join(hooks, 'pre-rebase'));
    const refused = await runCli(['hook', 'install', '--repo', repo], env);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /pre-rebase is a symbolic link to .*not-yet, which does not exist: nothing was installed/);
    assert.deepEqual(await readdir(outside), [], 'nothing was written where the link points');
    await assert.rejects(stat(path.join(hooks, 'post-commit')), /ENOENT/, 'no hook was installed');

    await rm(path.join(hooks, 'pre-rebase'));
    const script = '#!/bin/sh\necho mine\n';
    await writeFile(path.join(outside, 'mine'), script);
    await chmod(path.join(outside, 'mine'), 0o755);
    await symlink(path.join(outside, 'mine'), path.join(hooks, 'post-commit'));
    await snapctl('hook', 'install', '--repo', repo);
    assert.equal(await readFile(path.join(outside, 'mine'), 'utf8'), script, 'the linked script is untouched');
    assert.equal(await readlink(path.join(hooks, `post-commit.snapctl-orig`)), path.join(outside, 'mine'));
    assert.ok((await lstat(path.join(hooks, 'post-commit'))).isFile());
    await snapctl('hook', 'uninstall', '--repo', repo);
    assert.equal(await readlink(path.join(hooks, 'post-commit')), path.join(outside, 'mine'), 'the link is put back as it was');
    assert.equal(await readFile(path.join(outside, 'mine'), 'utf8'), script);
  });
});

function isOurHookFile(text: string): boolean {
  return text.includes('# snapctl hook: managed by');
}
