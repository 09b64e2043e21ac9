import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { describeTree, parseJson, pick, runCli, sandbox } from '../helpers/helpers.js';

/**
 * Damage at random (a disk error, a sync tool, a stray editor): one file of the state folder truncated,
 * overwritten, filled with garbage or deleted, then a rollback to a random snapshot. Whatever was damaged, the
 * rollback either restores the snapshot exactly or refuses with the folder exactly as it was: never damaged
 * bytes in the folder. SNAPCTL_FAULT_TRIALS sets the number of trials (CI: 10; `npm run test:faults`: 100).
 */
const TRIALS = Number(process.env['SNAPCTL_FAULT_TRIALS'] ?? 10);

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...await filesUnder(p));
    else if (e.isFile()) out.push(p);
  }
  return out;
}


describe(`random damage to the state folder (${TRIALS} trials)`, () => {
  let box: Awaited<ReturnType<typeof sandbox>>;
  const summary: string[] = [];
  before(async () => { box = await sandbox(); });
  after(async () => {
    for (const line of summary) process.stdout.write(`# ${line}\n`);
    await box.cleanup();
  });

  test('a rollback restores the snapshot exactly or refuses with the folder untouched', { timeout: 1_800_000 }, async () => {
    const outcomes = { restored: 0, refused: 0 };
    for (let trial = 0; trial < TRIALS; trial++) {
      const home = path.join(box.root, `home-${trial}`);
      const dir = path.join(box.root, `project-${trial}`);
      const env = { SNAPCTL_HOME: home };
      const trees: Record<string, Record<string, string>> = {};
      for (let version = 0; version < 3; version++) {
        await mkdir(path.join(dir, 'src'), { recursive: true });
        for (let f = 0; f < 12; f++) await writeFile(path.join(dir, 'src', `m${f}.js`), `export const v = ${version * 100 + (f % (version + 2))};\n`.repeat(1 + f));
        await writeFile(path.join(dir, `only-${version}.txt`), `version ${version}\n`);
        const id = parseJson<{ id: string }>((await runCli(['create', '--path', dir, '--json'], env)).stdout).id;
        trees[id] = await describeTree(dir);
      }
      await writeFile(path.join(dir, 'src', 'm0.js'), 'edited since\n');
      const before = await describeTree(dir);

      const victim = pick((await filesUnder(home)).filter((f) => !f.includes(`${path.sep}locks${path.sep}`)));
      const damage = pick(['truncate', 'overwrite', 'garbage', 'delete'] as const);
      const size = (await stat(victim)).size;
      if (damage === 'truncate') await truncate(victim, Math.floor(size / 2));
      else if (damage === 'overwrite') {
        const bytes = await readFile(victim);
        const at = Math.floor(Math.random() * bytes.length);
        bytes[at] = (bytes[at] ?? 0) ^ 0x20;
        await writeFile(victim, bytes);
      }
      else if (damage === 'garbage') await writeFile(victim, '\u0000garbage{');
      else await rm(victim);

      const id = pick(Object.keys(trees));
      const rb = await runCli(['rollback', id, '--yes'], env);
      const now = await describeTree(dir);
      const where = `trial ${trial}: ${damage} ${path.relative(home, victim)}, rollback to ${id} exited ${rb.code}: ${rb.stderr}`;
      if (rb.code === 0) {
        assert.deepEqual(now, trees[id], where);
        outcomes.restored++;
      } else {
        assert.deepEqual(now, before, where);
        outcomes.refused++;
      }
      await rm(dir, { recursive: true, force: true });
    }
    summary.push(`damage trials: ${TRIALS}; ${outcomes.restored} rollbacks restored the snapshot exactly, ${outcomes.refused} refused with the folder untouched; no damaged byte restored`);
  });
});
