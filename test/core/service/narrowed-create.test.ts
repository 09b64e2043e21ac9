import assert from 'node:assert/strict';
import { appendFile, chmod, link, mkdir, readdir, readFile, rename, rm, symlink, truncate, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CloneProvider } from '../../../src/core/providers/clone/clone-provider.js';
import type { CreateRequest, CreatedSnapshot } from '../../../src/core/providers/provider.js';
import { ChangeTracker } from '../../../src/core/runtime/change-tracker.js';
import { ServiceContext } from '../../../src/core/service/context.js';
import { createSnapshot } from '../../../src/core/service/create.js';
import { rollback, undo } from '../../../src/core/service/rollback.js';
import type { ManifestEntry } from '../../../src/core/tree/manifest.js';
import type { SnapshotRecord } from '../../../src/shared/model.js';
import { sandbox, writeThroughMmap } from '../../helpers/helpers.js';
import { seededRandom as random } from '../../helpers/random.js';

/** The clone provider, telling each create's request and whether its walk was narrowed. */
class Watching extends CloneProvider {
  readonly asked: { narrow: CreateRequest['narrow']; trigger: string | null; narrowed: boolean }[] = [];
  override async create(request: CreateRequest): Promise<CreatedSnapshot> {
    const made = await super.create(request);
    this.asked.push({ narrow: request.narrow, trigger: null, narrowed: made.narrowed ?? false });
    return made;
  }
}

/** What a snapshot holds, as a rollback would put it back: every field but the object ids' order. */
function held(entries: readonly ManifestEntry[]): string[] {
  return entries.map((e) => JSON.stringify(e)).sort();
}

describe('snapshots taken with the app running look only at what the change journal says changed', () => {
  let box: Awaited<ReturnType<typeof sandbox>>;
  let tracker: ChangeTracker;
  let watching: Watching;
  let ctx: ServiceContext;
  /** A second state folder with no journal: the same folder snapshotted by a whole walk. */
  let plain: ServiceContext;

  before(async () => {
    box = await sandbox();
    for (let d = 0; d < 6; d++) {
      await mkdir(path.join(box.project, `pkg${d}`, 'lib'), { recursive: true });
      for (let f = 0; f < 8; f++) await writeFile(path.join(box.project, `pkg${d}`, 'lib', `f${f}.js`), `module.exports = ${d * 10 + f};\n`);
    }
    tracker = new ChangeTracker();
    watching = new Watching(path.join(box.home, 'clone'));
    ctx = new ServiceContext({ home: box.home, providers: { clone: watching }, changes: tracker });
    plain = new ServiceContext({ home: path.join(box.root, 'home2') });
    await tracker.watch([box.project]);
  });
  after(async () => {
    await tracker.stop();
    await box.cleanup();
  });

  async function both(): Promise<{ narrowed: boolean; paths: readonly string[] | null; mine: SnapshotRecord; walked: SnapshotRecord }> {
    const mine = await createSnapshot(ctx, { path: box.project, provider: 'clone' });
    const last = watching.asked[watching.asked.length - 1];
    const walked = await createSnapshot(plain, { path: box.project, provider: 'clone' });
    return { narrowed: last?.narrowed ?? false, paths: last?.narrow?.paths ?? null, mine, walked };
  }

  async function same(a: SnapshotRecord, b: SnapshotRecord): Promise<void> {
    const x = await ctx.provider('clone').listEntries?.(a);
    const y = await plain.provider('clone').listEntries?.(b);
    assert.ok(x && y);
    assert.deepEqual(held(x), held(y));
  }

  test('the first snapshot walks; the next walks only the changed paths and holds exactly what a whole walk holds', async () => {
    const first = await both();
    assert.equal(first.narrowed, false);
    await same(first.mine, first.walked);
    await writeFile(path.join(box.project, 'pkg1', 'lib', 'f3.js'), 'changed\n');
    const second = await both();
    assert.equal(second.narrowed, true);
    assert.deepEqual(second.paths, ['pkg1/lib/f3.js']);
    await same(second.mine, second.walked);
  });

  test('random changes between snapshots: every narrowed snapshot equals a whole walk of the same folder', async () => {
    const trials = Number(process.env['SNAPCTL_FAULT_TRIALS'] ?? 8);
    for (let t = 0; t < trials; t++) {
      const rnd = random(1000 + t);
      const pick = async (dir: string): Promise<string | null> => {
        const names = (await readdir(dir).catch(() => [])).filter((n) => !n.startsWith('.'));
        return names.length === 0 ? null : path.join(dir, names[Math.floor(rnd() * names.length)] ?? '');
      };
      for (let op = 0; op < 6; op++) {
        const pkg = path.join(box.project, `pkg${Math.floor(rnd() * 6)}`);
        const lib = path.join(pkg, 'lib');
        const file = await pick(lib);
        const roll = rnd();
        if (roll < 0.15 || !file) await writeFile(path.join(lib, `new${t}-${op}.js`), `${t}.${op}\n`).catch(() => undefined);
        else if (roll < 0.3) await appendFile(file, 'more\n').catch(() => undefined);
        else if (roll < 0.4) await truncate(file, 1).catch(() => undefined);
        else if (roll < 0.5) await rename(file, path.join(lib, `moved${t}-${op}.js`)).catch(() => undefined);
        else if (roll < 0.6) await chmod(file, 0o600).catch(() => undefined);
        else if (roll < 0.7) await utimes(file, new Date(1_600_000_000_000), new Date(1_600_000_000_000)).catch(() => undefined);
        else if (roll < 0.78) await link(file, path.join(lib, `link${t}-${op}.js`)).catch(() => undefined);
        else if (roll < 0.85) await symlink('f0.js', path.join(lib, `sym${t}-${op}`)).catch(() => undefined);
        else if (roll < 0.92) await rename(lib, path.join(pkg, `lib-${t}-${op}`)).then(() => rename(path.join(pkg, `lib-${t}-${op}`), lib)).catch(() => undefined);
        else await rm(file, { force: true });
      }
      const r = await both();
      assert.equal(r.narrowed, true, `trial ${t}: narrowed`);
      await same(r.mine, r.walked);
    }
  });

  test('a file written through a second name that is gone by the snapshot: its change is in the narrowed snapshot', async () => {
    const file = path.join(box.project, 'pkg4', 'solo.js');
    await writeFile(file, 'one name\n');
    await both();
    const other = path.join(box.project, 'pkg0', 'tmp-link');
    await link(file, other);
    await appendFile(other, 'written through the other name\n');
    // The journal reads its events while the second name is there (a mark is its sync point), then it goes.
    await tracker.mark(box.project);
    await rm(other);
    const r = await both();
    assert.equal(r.narrowed, true);
    assert.deepEqual(r.paths, ['pkg0/tmp-link']);
    await same(r.mine, r.walked);
  });

  test('a rollback\'s safety snapshot looks at the journal\'s paths and every path the rollback may change: a write no event named there is held, and the undo is exact', async () => {
    const big = (text: string): string => text.padEnd(8192, '.');
    const changing = path.join(box.project, 'pkg2', 'lib', 'f1.js');
    const untouched = path.join(box.project, 'pkg3', 'lib', 'f4.js');
    await writeFile(changing, big('version one'));
    await writeFile(untouched, big('the same in every snapshot'));
    const target = await createSnapshot(ctx, { path: box.project, provider: 'clone', tag: 'before' });
    await writeFile(changing, big('version two'));
    await createSnapshot(ctx, { path: box.project, provider: 'clone' });
    await tracker.mark(box.project);
    // Changes no event names, after the newest snapshot: one on a path the rollback overwrites, one on a path
    // where the snapshot to restore and the newest agree (the rollback leaves it alone).
    writeThroughMmap(changing);
    writeThroughMmap(untouched);
    const edited = { changing: await readFile(changing, 'utf8'), untouched: await readFile(untouched, 'utf8') };
    assert.match(edited.changing, /^MMAP/);
    await writeFile(path.join(box.project, 'pkg0', 'lib', 'f0.js'), 'an edit the journal saw\n');
    const journalSaw = await readFile(path.join(box.project, 'pkg0', 'lib', 'f0.js'), 'utf8');
    const asked = watching.asked.length;
    const done = await rollback(ctx, target.id);
    const safety = watching.asked.slice(asked);
    assert.equal(safety.length, 1);
    assert.equal(safety[0]?.narrowed, true, 'the safety snapshot is narrowed');
    assert.deepEqual([...(safety[0]?.narrow?.paths ?? [])].sort(), ['pkg0/lib/f0.js', 'pkg2/lib/f1.js'], 'the journal\'s path and the one the rollback may change');
    assert.equal(await readFile(changing, 'utf8'), big('version one'));
    assert.equal(await readFile(untouched, 'utf8'), edited.untouched, 'a path the rollback does not change is left as it is');
    assert.ok(done.safety);
    await undo(ctx, { target: box.project });
    assert.equal(await readFile(changing, 'utf8'), edited.changing, 'the undo puts back the write no event named');
    assert.equal(await readFile(untouched, 'utf8'), edited.untouched);
    assert.equal(await readFile(path.join(box.project, 'pkg0', 'lib', 'f0.js'), 'utf8'), journalSaw);
  });

  test('a rollback\'s safety snapshot does not look again at files an earlier rollback put back as they were', async () => {
    const target = await createSnapshot(ctx, { path: box.project, provider: 'clone', tag: 'twice' });
    await writeFile(path.join(box.project, 'pkg1', 'lib', 'f2.js'), 'edited, then rolled back\n');
    await rollback(ctx, target.id);
    // The newest snapshot now holds the file the rollback wrote: same bytes and times, another inode.
    await createSnapshot(ctx, { path: box.project, provider: 'clone' });
    await writeFile(path.join(box.project, 'pkg4', 'lib', 'f3.js'), 'edited before the second rollback\n');
    const asked = watching.asked.length;
    await rollback(ctx, target.id);
    assert.deepEqual(watching.asked.slice(asked).map((a) => a.narrow?.paths), [['pkg4/lib/f3.js']]);
  });

  test('a snapshot with other excludes than the newest one walks the whole folder', async () => {
    await createSnapshot(ctx, { path: box.project, provider: 'clone' });
    await writeFile(path.join(box.project, 'pkg3', 'lib', 'f2.js'), 'x\n');
    await createSnapshot(ctx, { path: box.project, provider: 'clone', exclude: ['pkg5/'] });
    const last = watching.asked[watching.asked.length - 1];
    assert.equal(last?.narrowed, false);
  });
});
