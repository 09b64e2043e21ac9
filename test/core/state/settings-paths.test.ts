import assert from 'node:assert/strict';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DEFAULT_RETENTION } from '../../../src/shared/defaults.js';
import { parseJson, runCli, sandbox } from '../../helpers/helpers.js';

describe('folders in settings are keys, written the way snapshots record them', () => {
  let box: Awaited<ReturnType<typeof sandbox>>;
  before(async () => { box = await sandbox(); });
  after(() => box.cleanup());

  for (const [how, spell] of [
    ['with a trailing slash', (dir: string) => `${dir}/`],
    ['through a symlink', (dir: string) => path.join(path.dirname(dir), `${path.basename(dir)}-link`)],
  ] as const) {
    test(`a folder written ${how} gets its own retention policy`, async () => {
      const dir = path.join(box.root, `keyed-${how.replace(/\W+/g, '-')}`);
      await mkdir(dir, { recursive: true });
      await writeFile(path.join(dir, 'f.txt'), 'x\n');
      const written = spell(dir);
      if (how === 'through a symlink') await symlink(dir, written);
      const env = { SNAPCTL_HOME: path.join(dir + '-home') };
      await mkdir(env.SNAPCTL_HOME, { recursive: true });
      await writeFile(path.join(env.SNAPCTL_HOME, 'settings.json'), JSON.stringify({
        version: 1, targets: [{ path: written, retention: { ...DEFAULT_RETENTION, manual: 1 } }],
      }));
      for (let i = 0; i < 3; i++) assert.equal((await runCli(['create', '--path', dir, '--tag', `t${i}`], env)).code, 0);
      const plan = parseJson<{ target: string; keep: string[]; drop: string[] }[]>((await runCli(['prune', '--dry-run', '--json'], env)).stdout);
      assert.deepEqual(plan.map((p) => [p.target, p.keep.length, p.drop.length]), [[dir, 1, 2]]);
    });
  }
});
