import assert from 'node:assert/strict';
import { appendFile, chmod, link, mkdir, readdir, rename, rm, symlink, truncate, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CloneProvider } from '../../../src/core/providers/clone/clone-provider.js';
import type { DiffResult, ProviderDiffOptions } from '../../../src/core/providers/provider.js';
import { ChangeTracker } from '../../../src/core/runtime/change-tracker.js';
import { ServiceContext } from '../../../src/core/service/context.js';
import { createSnapshot } from '../../../src/core/service/create.js';
import { previewRollback } from '../../../src/core/service/preview.js';
import { CACHEDIR_SIGNATURE } from '../../../src/core/tree/excludes.js';
import type { SnapshotRecord } from '../../../src/shared/model.js';
import { sandbox } from '../../helpers/helpers.js';
import { seededRandom as random } from '../../helpers/random.js';

/** The clone provider, telling whether each comparison was handed the journal's changes. */
class Listening extends CloneProvider {
  readonly listed: boolean[] = [];
  override async diff(record: SnapshotRecord, paths: string[] | null, options: ProviderDiffOptions = {}): Promise<DiffResult> {
    this.listed.push(options.changes !== undefined);
    return super.diff(record, paths, options);
  }
}

describe('a rollback preview with the app running lists the folder from its newest snapshot and the change journal', () => {
  let box: Awaited<ReturnType<typeof sandbox>>;
  let tracker: ChangeTracker;
  let listening: Listening;
  let app: ServiceContext;
  /** The same state folder without a journal, as a fresh process sees it: its preview walks the folder. */
  let walking: ServiceContext;

  before(async () => {
    box = await sandbox();
    for (let d = 0; d < 5; d++) {
      await mkdir(path.join(box.project, `pkg${d}`, 'lib'), { recursive: true });
      for (let f = 0; f < 6; f++) await writeFile(path.join(box.project, `pkg${d}`, 'lib', `f${f}.js`), `module.exports = ${d * 10 + f};\n`);
    }
    await mkdir(path.join(box.project, 'cache', 'blobs'), { recursive: true });
    await writeFile(path.join(box.project, 'cache', 'CACHEDIR.TAG'), `${CACHEDIR_SIGNATURE}\n`);
    await writeFile(path.join(box.project, 'cache', 'blobs', 'one'), 'cached');
    await writeFile(path.join(box.project, 'cache', 'index'), 'cached');
    tracker = new ChangeTracker();
    listening = new Listening(path.join(box.home, 'clone'));
    app = new ServiceContext({ home: box.home, providers: { clone: listening }, changes: tracker });
    walking = new ServiceContext({ home: box.home });
    await tracker.watch([box.project]);
  });
  after(async () => {
    await tracker.stop();
    await box.cleanup();
  });

  async function sameAsWalked(id: string, paths: string[] | null, label: string): Promise<void> {
    const before = listening.listed.length;
    const listed = await previewRollback(app, id, paths);
    assert.deepEqual(listening.listed.slice(before), [true], `${label}: the preview used the journal`);
    const walked = await previewRollback(walking, id, paths);
    assert.deepEqual({ ...listed, unfinished: null }, { ...walked, unfinished: null }, label);
  }

  test('random changes since the newest snapshot: the preview is the one a walk of the folder gives', async () => {
    const old = await createSnapshot(app, { path: box.project, provider: 'clone' });
    const trials = Number(process.env['SNAPCTL_FAULT_TRIALS'] ?? 6);
    for (let t = 0; t < trials; t++) {
      const rnd = random(4000 + t);
      const pick = async (dir: string): Promise<string | null> => {
        const names = (await readdir(dir).catch(() => [])).filter((n) => !n.startsWith('.'));
        return names.length === 0 ? null : path.join(dir, names[Math.floor(rnd() * names.length)] ?? '');
      };
      // The newest snapshot, then changes the journal sees and no snapshot holds.
      await createSnapshot(app, { path: box.project, provider: 'clone' });
      for (let op = 0; op < 8; op++) {
        const pkg = path.join(box.project, `pkg${Math.floor(rnd() * 5)}`);
        const lib = path.join(pkg, 'lib');
        const file = await pick(lib);
        const roll = rnd();
        if (roll < 0.15 || !file) await writeFile(path.join(lib, `new${t}-${op}.js`), `${t}.${op}\n`).catch(() => undefined);
        else if (roll < 0.25) await appendFile(file, 'more\n').catch(() => undefined);
        else if (roll < 0.32) await truncate(file, 1).catch(() => undefined);
        else if (roll < 0.42) await rename(file, path.join(lib, `moved${t}-${op}.js`)).catch(() => undefined);
        else if (roll < 0.5) await chmod(file, 0o600).catch(() => undefined);
        else if (roll < 0.58) await utimes(file, new Date(1_600_000_000_000), new Date(1_600_000_000_000)).catch(() => undefined);
        else if (roll < 0.64) await link(file, path.join(lib, `link${t}-${op}.js`)).catch(() => undefined);
        else if (roll < 0.7) await symlink('f0.js', path.join(lib, `sym${t}-${op}`)).catch(() => undefined);
        else if (roll < 0.76) await writeFile(path.join(box.project, 'cache', `c${t}-${op}`), 'cached').catch(() => undefined);
        else if (roll < 0.82) await mkdir(path.join(pkg, `dir${t}-${op}`, 'deep'), { recursive: true }).catch(() => undefined);
        else if (roll < 0.9) await rm(lib, { recursive: true, force: true });
        else await rm(file, { force: true });
      }
      await sameAsWalked(old.id, null, `trial ${t}`);
      await sameAsWalked(old.id, ['pkg1', 'cache'], `trial ${t}, two paths`);
    }
  });

  test('a folder that becomes a cache folder after the newest snapshot: its contents are left alone as a walk would', async () => {
    const old = await createSnapshot(app, { path: box.project, provider: 'clone' });
    await mkdir(path.join(box.project, 'pkg2', 'build'), { recursive: true });
    await writeFile(path.join(box.project, 'pkg2', 'build', 'out.js'), 'built');
    await createSnapshot(app, { path: box.project, provider: 'clone' });
    await writeFile(path.join(box.project, 'pkg2', 'build', 'CACHEDIR.TAG'), `${CACHEDIR_SIGNATURE}\n`);
    await sameAsWalked(old.id, null, 'tagged since');
  });
});
