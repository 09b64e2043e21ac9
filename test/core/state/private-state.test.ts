import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { lstat, mkdir, readdir, readFile, rename, stat, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { cliPath, parseJson, runCli, sandbox } from '../../helpers/helpers.js';

/** Runs the CLI under a shell that sets the umask first (Node cannot set a child's umask). */
function underUmask(umask: string, args: string[], env: Record<string, string>): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const child = spawn('sh', ['-c', 'umask "$0"; exec "$@"', umask, process.execPath, cliPath, ...args], { env: { ...process.env, ...env }, stdio: 'ignore' });
    child.on('error', reject);
    child.on('close', resolve);
  });
}

async function modes(root: string): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  const visit = async (dir: string): Promise<void> => {
    out.set(dir, (await stat(dir)).mode & 0o777);
    for (const e of await readdir(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) await visit(p);
      else if (e.isFile()) out.set(p, (await stat(p)).mode & 0o777);
    }
  };
  await visit(root);
  return out;
}

describe('the state folder is private whatever the umask', () => {
  let box: Awaited<ReturnType<typeof sandbox>>;
  before(async () => { box = await sandbox(); });
  after(() => box.cleanup());

  test('with umask 000 the state folder is 0700 and store, settings, records and manifests are 0600', async () => {
    const home = path.join(box.root, 'state', 'snapctl');
    await mkdir(path.join(box.project, 'd'), { recursive: true });
    await writeFile(path.join(box.project, 'd', 'f.txt'), 'secret path names\n');
    const env = { SNAPCTL_HOME: home };
    assert.equal(await underUmask('000', ['create', '--path', box.project, '--tag', 'a commit subject'], env), 0);
    assert.equal(await underUmask('000', ['prune', '--dry-run'], env), 0);
    const seen = await modes(home);
    assert.equal(seen.get(home), 0o700);
    for (const [p, mode] of seen) {
      if (p.includes(`${path.sep}objects${path.sep}`) || p.includes(`${path.sep}locks`)) continue; // inside the 0700 folder; objects keep what the filesystem gives clones
      const name = path.relative(home, p);
      if ((await stat(p)).isDirectory()) assert.equal(mode & 0o077, 0, `${name} is ${mode.toString(8)}`);
      else assert.equal(mode, 0o600, `${name} is ${mode.toString(8)}`);
    }
    assert.ok([...seen.keys()].some((p) => p.endsWith('store.json')));
    assert.ok([...seen.keys()].some((p) => p.includes(`${path.sep}records${path.sep}`)));
  });

  test('with umask 022, after every kind of command, every file in the state folder is 0600 and every folder 0700 (locks, objects, the path index, the reserve included)', async () => {
    const home = path.join(box.root, 'every-writer');
    const project = path.join(box.root, 'every-writer-project');
    await mkdir(path.join(project, 'd'), { recursive: true });
    await writeFile(path.join(project, 'd', 'f.txt'), 'one\n');
    const env = { SNAPCTL_HOME: home };
    const steps: string[][] = [
      ['create', '--path', project, '--tag', 'one'],
      ['create', '--path', project, '--tag', 'two'],
      ['history', path.join(project, 'd', 'f.txt')],
      ['rollback', 'latest', '--path', project, '--yes'],
      ['undo', '--path', project, '--yes'],
      ['verify'],
      ['prune'],
      ['status'],
    ];
    for (const args of steps) {
      if (args[0] === 'rollback') await writeFile(path.join(project, 'd', 'f.txt'), 'changed\n');
      assert.equal(await underUmask('022', args, env), 0, args.join(' '));
    }
    const first = parseJson<{ id: string }[]>((await runCli(['list', '--json'], env)).stdout).at(-1)?.id ?? '';
    assert.equal(await underUmask('022', ['delete', first], env), 0);
    const seen = await modes(home);
    for (const [p, mode] of seen) {
      const name = path.relative(home, p) || '.';
      if ((await stat(p)).isDirectory()) assert.equal(mode, 0o700, `${name} is ${mode.toString(8)}`);
      else assert.equal(mode, 0o600, `${name} is ${mode.toString(8)}`);
    }
    for (const must of ['locks', 'paths', 'clone/objects', 'reserve']) assert.ok([...seen.keys()].some((p) => p.startsWith(path.join(home, must))), `${must} was written`);
  });
});

describe('a folder of the state folder replaced by a link is never written through', () => {
  let box: Awaited<ReturnType<typeof sandbox>>;
  before(async () => { box = await sandbox(); });
  after(() => box.cleanup());

  for (const sub of ['paths', 'locks', 'journal', 'pending', 'clone', 'clone/manifests', 'clone/records']) {
    test(`${sub}: a create is refused with what to do, and nothing is written where the link leads`, async () => {
      const home = path.join(box.root, `home-${sub.replace('/', '-')}`);
      const project = path.join(box.root, `project-${sub.replace('/', '-')}`);
      await mkdir(project, { recursive: true });
      await writeFile(path.join(project, 'f.txt'), 'one\n');
      const env = { SNAPCTL_HOME: home };
      assert.equal((await runCli(['create', '--path', project], env)).code, 0);
      assert.equal((await runCli(['history', path.join(project, 'f.txt')], env)).code, 0, 'the path index and every folder exist');
      // The folder moved elsewhere and a link left in its place: what snapctl wrote would land there.
      const elsewhere = path.join(box.root, `elsewhere-${sub.replace('/', '-')}`);
      await mkdir(path.join(home, sub), { recursive: true, mode: 0o700 }); // journal/: made by the first rollback
      await rename(path.join(home, sub), elsewhere);
      await symlink(elsewhere, path.join(home, sub));
      const before = await modes(elsewhere).then((m) => [...m.keys()].sort());
      const snapshot = async (): Promise<string[]> => [...(await modes(elsewhere)).keys()].sort();
      await writeFile(path.join(project, 'f.txt'), 'two\n');
      const made = await runCli(['create', '--path', project], env);
      assert.equal(made.code, 1, made.stdout);
      assert.match(made.stderr, new RegExp(`${sub.replace('/', '\\/')} in snapctl's state folder is a symbolic link to .*: snapctl never writes its state through a link`));
      // A query that needs no catch-up only reads; one that would write the index is refused like the create.
      await runCli(['history', path.join(project, 'f.txt')], env);
      assert.deepEqual(await snapshot(), before, 'nothing new where the link leads');
      assert.ok((await lstat(path.join(home, sub))).isSymbolicLink(), 'the link is left for the user to look at');
      assert.ok((await readFile(path.join(project, 'f.txt'), 'utf8')) === 'two\n');
    });
  }
});
