import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, test } from 'node:test';
import { describeGitImpact } from '../../../src/core/service/git-impact.js';
import { parseJson, runCli, type Sandbox, serviceSandbox } from '../../helpers/helpers.js';
import { ServiceContext } from '../../../src/core/service/context.js';
import { createSnapshot } from '../../../src/core/service/create.js';
import { previewRollback } from '../../../src/core/service/preview.js';
import { rollback, undo } from '../../../src/core/service/rollback.js';

type Box = Sandbox;

const cleanEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('GIT_')));
function git(dir: string, ...args: string[]): string {
  return execFileSync('git', ['-C', dir, '-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], { encoding: 'utf8', env: cleanEnv }).trim();
}

/** Every file under `.git`, by content: byte-identical trees have identical fingerprints. */
async function fingerprint(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const visit = async (rel: string): Promise<void> => {
    for (const d of await readdir(path.join(dir, rel), { withFileTypes: true })) {
      const child = path.join(rel, d.name);
      if (d.isDirectory()) await visit(child);
      else out[child] = createHash('sha256').update(await readFile(path.join(dir, child))).digest('hex');
    }
  };
  await visit('.git');
  return out;
}

async function repo(box: Box, name: string): Promise<string> {
  const dir = path.join(box.root, name);
  await mkdir(dir);
  git(dir, 'init', '-q', '-b', 'main');
  await writeFile(path.join(dir, 'a.txt'), 'one\n');
  git(dir, 'add', '.');
  git(dir, 'commit', '-qm', 'first commit');
  return dir;
}

describe('.git understood', () => {
  const ctx = serviceSandbox();

  test('a commit after a snapshot: the preview says the rollback undoes it, by subject', async () => {
    const dir = await repo(ctx.box, 'committed');
    const snap = await createSnapshot(ctx.service, { path: dir });
    const headThen = git(dir, 'rev-parse', 'HEAD');
    await writeFile(path.join(dir, 'a.txt'), 'two\n');
    git(dir, 'commit', '-qam', 'fix the parser');
    const preview = await previewRollback(ctx.service, snap.id);
    assert.equal(preview.git.length, 1);
    const [impact] = preview.git;
    assert.ok(impact);
    assert.equal(impact.repo, '');
    assert.equal(impact.headMoves, true);
    assert.equal(impact.headThen, headThen);
    assert.equal(impact.branchNow, 'main');
    assert.deepEqual(impact.undoneCommits.map((c) => c.subject), ['fix the parser']);
    assert.match(describeGitImpact(impact), /undoes 1 commit: fix the parser/);
    assert.deepEqual((await previewRollback(ctx.service, snap.id, null, { keepGit: true })).git, [], 'keepGit: no impact');
  });

  test('subjects and branch names from the repository are escaped, and a branch switch is said beside the undone commits', () => {
    const text = describeGitImpact({
      repo: '', branchNow: 'feat\u001b[2J', branchThen: 'main', headNow: 'a'.repeat(40), headThen: 'b'.repeat(40),
      undoneCommits: [{ sha: 'a'.repeat(40), subject: 'evil \u001b[31mRED\u001b[0m' }], moreUndone: 0, headMoves: true,
      direction: 'backward', gainedCommits: [], moreGained: 0,
    });
    assert.ok(!text.includes('\u001b'), text);
    assert.match(text, /undoes 1 commit: evil \\u001b\[31mRED/);
    assert.match(text, /HEAD goes from branch feat\\u001b\[2J to main/);
  });

  test('a rollback with keepGit leaves .git byte-identical and git log unchanged', async () => {
    const dir = await repo(ctx.box, 'kept');
    const snap = await createSnapshot(ctx.service, { path: dir });
    await writeFile(path.join(dir, 'a.txt'), 'two\n');
    git(dir, 'commit', '-qam', 'second commit');
    const gitBefore = await fingerprint(dir);
    const logBefore = git(dir, 'log', '--format=%H %s');
    const preview = await previewRollback(ctx.service, snap.id, null, { keepGit: true });
    assert.equal(preview.keepGit, true);
    assert.ok(preview.modified.every((p) => !p.startsWith('.git')), 'no .git path in the preview');
    const result = await rollback(ctx.service, snap.id, { keepGit: true });
    assert.deepEqual([result.restored.restored, result.restored.broughtBack, result.restored.removed], [preview.modified.length, preview.removed.length, preview.added.length]);
    assert.equal(await readFile(path.join(dir, 'a.txt'), 'utf8'), 'one\n', 'everything else was rolled back');
    assert.deepEqual(await fingerprint(dir), gitBefore);
    assert.equal(git(dir, 'log', '--format=%H %s'), logBefore);
    // Its undo leaves .git alone too.
    await undo(ctx.service, { target: dir });
    assert.deepEqual(await fingerprint(dir), gitBefore);
  });

  test('a repository below the folder is found; without git on PATH the move of HEAD is still reported', async () => {
    const top = path.join(ctx.box.root, 'mono');
    await mkdir(top);
    const inner = await repo(ctx.box, path.join('mono', 'pkg'));
    const snap = await createSnapshot(ctx.service, { path: top });
    await writeFile(path.join(inner, 'a.txt'), 'two\n');
    git(inner, 'commit', '-qam', 'inner work');
    const headNow = git(inner, 'rev-parse', 'HEAD');
    const blind = new ServiceContext({ home: ctx.box.home, env: { ...process.env, PATH: '/nonexistent' } });
    const [impact] = (await previewRollback(blind, snap.id)).git;
    assert.ok(impact);
    assert.equal(impact.repo, 'pkg');
    assert.equal(impact.headMoves, true);
    assert.equal(impact.headNow, headNow);
    // Without git nothing can be said about commits: no claim is made.
    assert.equal(impact.direction, 'unknown');
    assert.deepEqual(impact.undoneCommits, []);
    assert.match(describeGitImpact(impact), /^git in pkg: moves HEAD from [0-9a-f]{7} to [0-9a-f]{7} \(branch main\); which commits it undoes could not be told$/);
  });

  test('after a rollback to an older snapshot, the preview of a newer one says HEAD moves forward and undoes nothing', async () => {
    const dir = await repo(ctx.box, 'forward');
    const older = await createSnapshot(ctx.service, { path: dir });
    for (let i = 1; i <= 5; i++) {
      await writeFile(path.join(dir, 'a.txt'), `c${i}\n`);
      git(dir, 'commit', '-qam', `c${i}`);
    }
    const c5 = git(dir, 'rev-parse', 'HEAD');
    const newer = await createSnapshot(ctx.service, { path: dir });
    await rollback(ctx.service, older.id);
    assert.equal(git(dir, 'log', '--format=%s'), 'first commit');
    const [impact] = (await previewRollback(ctx.service, newer.id)).git;
    assert.ok(impact);
    assert.equal(impact.direction, 'forward');
    assert.deepEqual(impact.undoneCommits, [], 'the commits HEAD leaves behind: none');
    assert.deepEqual(impact.gainedCommits.map((c) => c.subject), ['c5', 'c4', 'c3', 'c2', 'c1']);
    assert.equal(impact.headThen, c5);
    assert.equal(describeGitImpact(impact), `git: moves HEAD forward 5 commits to ${c5.slice(0, 7)} (c5); no commit is undone`);
    // Back the other way, the same two snapshots: the commits are undone.
    await rollback(ctx.service, newer.id);
    const [back] = (await previewRollback(ctx.service, older.id)).git;
    assert.equal(back?.direction, 'backward');
    assert.deepEqual(back?.undoneCommits.map((c) => c.subject), ['c5', 'c4', 'c3', 'c2', 'c1']);
  });

  test('a snapshot on another branch: the preview says HEAD moves sideways, what it undoes and what it goes to', async () => {
    const dir = await repo(ctx.box, 'sideways');
    git(dir, 'checkout', '-qb', 'topic');
    await writeFile(path.join(dir, 'b.txt'), 'topic\n');
    git(dir, 'add', '.');
    git(dir, 'commit', '-qm', 'topic work');
    const onTopic = await createSnapshot(ctx.service, { path: dir });
    git(dir, 'checkout', '-q', 'main');
    git(dir, 'branch', '-qD', 'topic');
    await writeFile(path.join(dir, 'a.txt'), 'main work\n');
    git(dir, 'commit', '-qam', 'main work');
    const [impact] = (await previewRollback(ctx.service, onTopic.id)).git;
    assert.ok(impact);
    assert.equal(impact.direction, 'sideways');
    assert.deepEqual(impact.undoneCommits.map((c) => c.subject), ['main work']);
    assert.deepEqual(impact.gainedCommits.map((c) => c.subject), ['topic work']);
    assert.match(describeGitImpact(impact), /^git: undoes 1 commit: main work, and moves HEAD to another line of history, [0-9a-f]{7} \(topic work\) \(HEAD goes from branch main to topic\): 1 commit HEAD does not reach now: topic work$/);
  });

  test('snapctl diff and rollback --keep-git from the CLI', async () => {
    const dir = await repo(ctx.box, 'cli');
    const env = { SNAPCTL_HOME: path.join(ctx.box.root, 'cli-home') };
    const { id } = parseJson<{ id: string }>((await runCli(['create', '--path', dir, '--json'], env)).stdout);
    await writeFile(path.join(dir, 'a.txt'), 'two\n');
    git(dir, 'commit', '-qam', 'cli commit');
    const diff = await runCli(['diff', id], env);
    assert.equal(diff.code, 0, diff.stderr);
    assert.match(diff.stdout, /^git: undoes 1 commit: cli commit$/m);
    const logBefore = git(dir, 'log', '--format=%H');
    const rb = await runCli(['rollback', id, '--yes', '--keep-git'], env);
    assert.equal(rb.code, 0, rb.stderr);
    assert.match(rb.stdout, /\.git left alone/);
    assert.equal(git(dir, 'log', '--format=%H'), logBefore);
  });
});
