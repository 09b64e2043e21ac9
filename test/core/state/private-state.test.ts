import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { cliPath, sandbox } from '../../helpers/helpers.js';

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
});
