import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { appendFileSync, chmodSync, chownSync, existsSync, linkSync, lstatSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, symlinkSync, truncateSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { execa } from 'execa';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ChangeJournal, type JournalToken } from '../../src/core/changes/journal.js';
import { excludeMatcher } from '../../src/core/tree/excludes.js';
import { walk, type WalkOptions, type WalkResult } from '../../src/core/tree/walk.js';
import { listingDifferences, walkChanged } from '../../src/core/tree/walk-changed.js';
import { tempDir } from '../helpers/helpers.js';
import { seededRandom } from '../helpers/random.js';

/**
 * The change journal against the truth: random sequences of what developers and their tools do to a folder,
 * then a sync, then the base's walk narrowed by the paths the journal named must equal a full walk field for
 * field (or the journal must say it cannot vouch, where that is right: a mount inside). Each trial's narrowed
 * listing is the next trial's base, as the runtime chains snapshots. SNAPCTL_FAULT_TRIALS x 10 trials
 * (`npm test`: 50; `npm run test:faults`: 1,000).
 */
const TRIALS = process.env['SNAPCTL_FAULT_TRIALS'] ? Number(process.env['SNAPCTL_FAULT_TRIALS']) * 10 : 50;
/**
 * Every choice of the trials comes from this seed (SNAPCTL_FAULT_SEED to run one again; a fresh one otherwise,
 * named in every failure). What is left to chance is only when the journal reads its queue between changes.
 */
const SEED = process.env['SNAPCTL_FAULT_SEED'] ? Number(process.env['SNAPCTL_FAULT_SEED']) : Math.floor(Math.random() * 2 ** 31);
const linux = process.platform === 'linux';
const isRoot = process.getuid?.() === 0;

let dir = '';
let outside = '';
let options: WalkOptions = {};
let journal: ChangeJournal;
let count = 0;

const random = seededRandom(SEED);
const rand = (n: number): number => Math.floor(random() * n);
const pick = <T>(items: readonly T[]): T => items[rand(items.length)] as T;
const fresh = (): string => `n${(count++).toString(36)}`;

/** Every path below `at` of the kind asked (relative to the folder). */
function paths(kind: 'file' | 'dir' | 'any', at = dir): string[] {
  const out: string[] = [];
  const visit = (rel: string): void => {
    // Sorted: the order a folder reads in is the filesystem's, and a seed must choose the same paths again.
    for (const name of readdirSync(path.join(at, rel)).sort()) {
      const r = rel ? `${rel}/${name}` : name;
      const st = lstatSync(path.join(at, r));
      if (st.isDirectory()) { if (kind !== 'file') out.push(r); visit(r); } else if (st.isFile() ? kind !== 'dir' : kind === 'any') out.push(r);
    }
  };
  visit('');
  return out;
}

const TAG = 'Signature: 8a477f597d28d172789f06886806bc55\n';
const anyDir = (): string => pick(['', ...paths('dir')]);
const inDir = (d: string, name = fresh()): string => path.join(dir, d, name);

/** What people and tools do to a folder; each returns nothing and may do nothing when there is nothing to act on. */
const OPS: Record<string, () => void> = {
  write: () => writeFileSync(inDir(anyDir(), pick([fresh(), `${fresh()}.log`])), 'x'.repeat(rand(300))),
  overwrite: () => { const f = pick(paths('file')); if (f) writeFileSync(path.join(dir, f), `v${rand(1e6)}`); },
  append: () => { const f = pick(paths('file')); if (f) appendFileSync(path.join(dir, f), 'more'); },
  truncate: () => { const f = pick(paths('file')); if (f) truncateSync(path.join(dir, f), rand(3)); },
  mkdirDeep: () => { const d = inDir(anyDir()); mkdirSync(path.join(d, 'x', 'y'), { recursive: true }); writeFileSync(path.join(d, 'x', 'y', 'f'), 'deep'); },
  renameFile: () => { const f = pick(paths('file')); if (f) renameSync(path.join(dir, f), inDir(anyDir())); },
  renameDir: () => {
    const d = pick(paths('dir'));
    const to = anyDir();
    if (d && to !== d && !to.startsWith(`${d}/`)) renameSync(path.join(dir, d), inDir(to));
  },
  moveOut: () => { const p = pick(paths('any')); if (p) renameSync(path.join(dir, p), path.join(outside, fresh())); },
  moveIn: () => {
    const src = path.join(outside, fresh());
    mkdirSync(path.join(src, 'lib', 'deep'), { recursive: true });
    writeFileSync(path.join(src, 'lib', 'deep', 'g'), 'g');
    writeFileSync(path.join(src, 'top'), 't');
    // Half the time it comes in as a cache folder already (a build's output moved into place).
    if (random() < 0.5) writeFileSync(path.join(src, 'lib', 'CACHEDIR.TAG'), TAG);
    renameSync(src, inDir(anyDir()));
    // Changed after the move: the folders inside were never seen by any watch before.
    appendFileSync(path.join(dir, paths('file').find((p) => p.endsWith('/lib/deep/g')) ?? 'nothing'), 'later');
  },
  symlink: () => symlinkSync(pick(['../x', 'target', '/etc/passwd', '.']), inDir(anyDir())),
  hardLink: () => { const f = pick(paths('file')); if (f) linkSync(path.join(dir, f), inDir(anyDir())); },
  unlinkOne: () => { const f = pick(paths('file')); if (f) unlinkSync(path.join(dir, f)); },
  chmod: () => { const p = pick(paths('any').filter((x) => !lstatSync(path.join(dir, x)).isSymbolicLink())); if (p) chmodSync(path.join(dir, p), pick([0o600, 0o644, 0o755, 0o700])); },
  chown: () => { const f = pick(paths('file')); if (f && isRoot) chownSync(path.join(dir, f), 65534, 65534); },
  touchR: () => {
    const [a, b] = [pick(paths('file')), pick(paths('file'))];
    if (a && b) spawnSync('touch', ['-r', path.join(dir, a), path.join(dir, b)]);
  },
  cpP: () => {
    const [a, b] = [pick(paths('file')), pick(paths('file'))];
    if (a && b && a !== b) spawnSync('cp', ['-p', path.join(dir, a), path.join(dir, b)]);
  },
  recreate: () => {
    // Deleted and made again under the same name within the same second (the inode number may come back).
    const f = pick(paths('file'));
    if (!f) return;
    const at = path.join(dir, f);
    const st = statSync(at);
    unlinkSync(at);
    writeFileSync(at, 'again');
    utimesSync(at, st.atime, st.mtime);
  },
  recreateDir: () => {
    // A folder deleted and something else made under its name within the same second: a file, a link (a
    // monorepo's node_modules linked to a shared one, a link to itself), a folder again. The journal names
    // the old paths inside it too.
    const d = pick(paths('dir'));
    if (!d) return;
    const at = path.join(dir, d);
    rmSync(at, { recursive: true });
    const kind = rand(3);
    if (kind === 0) writeFileSync(at, 'was a folder');
    else if (kind === 1) symlinkSync(pick(['..', '.', path.basename(at)]), at);
    else { mkdirSync(at); writeFileSync(path.join(at, 'again'), 'a'); }
  },
  saveOver: () => {
    // An editor's save: a new file written beside the old name and renamed over it (a tag's name too).
    const f = pick(paths('file'));
    if (!f) return;
    const tmp = path.join(dir, path.dirname(f), `.${fresh()}.tmp`);
    writeFileSync(tmp, pick(['saved', TAG]));
    renameSync(tmp, path.join(dir, f));
  },
  renameOver: () => { const [a, b] = [pick(paths('file')), pick(paths('file'))]; if (a && b && a !== b) renameSync(path.join(dir, a), path.join(dir, b)); },
  rmrf: () => { const d = pick(paths('dir')); if (d) rmSync(path.join(dir, d), { recursive: true }); },
  cacheTag: () => writeFileSync(path.join(dir, anyDir(), 'CACHEDIR.TAG'), TAG),
  untag: () => { const t = pick(paths('file').filter((p) => path.basename(p) === 'CACHEDIR.TAG')); if (t) unlinkSync(path.join(dir, t)); },
  xattr: () => { const f = pick(paths('file')); if (f) spawnSync('setfattr', ['-n', 'user.snapctl', '-v', `v${rand(100)}`, path.join(dir, f)]); },
};

function seed(): void {
  for (const d of ['src/app', 'src/lib', 'docs', 'node_modules/pkg/dist']) {
    // A name on the way may be a file or a link now (recreateDir): it makes way for the folder.
    const parts = d.split('/');
    for (let i = 1; i <= parts.length; i++) {
      const at = path.join(dir, ...parts.slice(0, i));
      const st = lstatSync(at, { throwIfNoEntry: false });
      if (st && !st.isDirectory()) rmSync(at);
    }
    mkdirSync(path.join(dir, d), { recursive: true });
  }
  for (let i = 0; i < 20; i++) writeFileSync(path.join(dir, pick(['src/app', 'src/lib', 'docs', 'node_modules/pkg/dist', '']), fresh()), `seed ${i}`);
}

/** The base narrowed by what the journal says changed since `token`, against a full walk now. */
async function check(token: JournalToken, base: WalkResult, what: string): Promise<WalkResult> {
  const changed = await journal.changedSince(token);
  assert.ok(changed.tracked, `${what}: ${JSON.stringify(changed)}`);
  const narrowed = await walkChanged(dir, base, changed, options);
  const full = await walk(dir, options);
  const differ = listingDifferences(narrowed, full);
  // What each listing holds where they differ, and the base: enough to tell which change no event named.
  const at = (r: WalkResult): string => JSON.stringify(r.entries.filter((e) => differ.includes(e.path))).slice(0, 1500);
  assert.deepEqual(differ, [], `${what}: changed ${JSON.stringify(changed).slice(0, 600)}\nnarrowed ${at(narrowed)}\nfull ${at(full)}\nbase ${at(base)}`);
  assert.deepEqual(narrowed, full, what);
  return narrowed;
}

async function mark(): Promise<JournalToken> {
  const token = await journal.mark();
  assert.equal(typeof token, 'string', JSON.stringify(token));
  return token as JournalToken;
}

describe('the change journal against a full walk', { skip: !linux }, () => {
  before(async () => {
    dir = await tempDir('snapctl-journal-diff-');
    outside = `${dir}.outside`;
    mkdirSync(outside);
    seed();
    const skip = await excludeMatcher(['*.log']);
    options = { cacheDirs: true, ...(skip ? { skip } : {}) };
    journal = await ChangeJournal.start(dir);
  });
  after(async () => {
    await journal.stop();
    spawnSync('umount', [path.join(dir, 'mnt')]);
    await rm(dir, { recursive: true, force: true });
    await rm(outside, { recursive: true, force: true });
  });

  test(`${TRIALS} random sequences of changes: the narrowed walk equals a full walk`, async () => {
    let token = await mark();
    let base = await walk(dir, options);
    const names = Object.keys(OPS);
    for (let trial = 0; trial < TRIALS; trial++) {
      const done: string[] = [];
      for (let i = 1 + rand(12); i > 0; i--) {
        const name = pick(names);
        done.push(name);
        try { OPS[name]?.(); } catch (err) { if (!['ENOENT', 'EEXIST', 'ENOTEMPTY', 'EINVAL', 'ENOTDIR', 'EISDIR'].includes((err as NodeJS.ErrnoException).code ?? '')) throw err; }
        // The journal reads its queue every 50 ms: half the time it has read before the next change, the
        // other half changes pile up unread. After a hard link it has always read (inotify names no other
        // name of a file; the journal learns them from the link's own event while the link is there: a link
        // made, written through and removed before the journal reads is the window docs/RELIABILITY.md names).
        if (name === 'hardLink' || random() < 0.5) await journal.sync();
      }
      if (paths('any').length < 5) seed();
      const narrowed = await check(token, base, `seed ${SEED}, trial ${trial}: ${done.join(', ')}`);
      // The next base is this narrowed listing, marked before it is used, as a snapshot chain would.
      token = await mark();
      base = narrowed;
    }
  });

  test('a large folder removed with rm -rf, and bursts of 100,000 events from another process', async (t) => {
    let token = await mark();
    let base = await walk(dir, options);
    const big = path.join(dir, 'big');
    for (let d = 0; d < 50; d++) {
      mkdirSync(path.join(big, `d${d}`), { recursive: true });
      for (let f = 0; f < 100; f++) writeFileSync(path.join(big, `d${d}`, `f${f}`), 'x');
    }
    base = await check(token, base, 'a large folder made');
    token = await mark();
    assert.equal(spawnSync('rm', ['-rf', big]).status, 0);
    base = await check(token, base, 'rm -rf of a large folder');
    // Two bursts while the journal reads its queue: 100,000 events on 1,000 names (each file made, then written
    // to 98 times in turn, so the kernel merges none), within what the journal lists; then 25,000 files made,
    // written and half removed, more names than it lists. Each answer is tracked and equal to a full walk, or
    // says events were lost: never taken for "nothing changed".
    const bursts = {
      'on 1,000 names': `for (let i = 0; i < 1000; i++) fs.writeFileSync(d + '/' + i, 'a');
        for (let r = 0; r < 98; r++) for (let i = 0; i < 1000; i++) fs.appendFileSync(d + '/' + i, 'b');`,
      'on 25,000 names': `for (let i = 0; i < 25000; i++) { fs.writeFileSync(d + '/' + i, 'a'); fs.appendFileSync(d + '/' + i, 'b'); }
        for (let i = 0; i < 25000; i += 2) fs.unlinkSync(d + '/' + i);`,
    };
    for (const [what, script] of Object.entries(bursts)) {
      // The folder is watched before the burst, and the burst runs while this process reads its queue.
      mkdirSync(path.join(dir, 'burst'));
      token = await mark();
      const child = await execa(process.execPath, ['-e', `const fs = require('fs'); const d = ${JSON.stringify(path.join(dir, 'burst'))};\n${script}`], { reject: false });
      assert.equal(child.exitCode, 0, child.stderr);
      const changed = await journal.changedSince(token);
      t.diagnostic(`a burst of 100,000 events ${what}: ${changed.tracked ? `tracked, ${changed.paths.length} paths` : changed.kind}`);
      if (changed.tracked) {
        base = await check(token, base, `a burst of 100,000 events ${what}`);
      } else {
        assert.match(changed.kind, /overflow|too-many/);
        await journal.restart();
        base = await walk(dir, options);
      }
      token = await mark();
      rmSync(path.join(dir, 'burst'), { recursive: true, force: true });
      base = await check(token, base, `the burst ${what} removed`);
    }
  });

  test('a filesystem mounted inside: the journal says it cannot vouch', { skip: !isRoot }, async () => {
    const token = await mark();
    mkdirSync(path.join(dir, 'mnt'), { recursive: true });
    assert.equal(spawnSync('mount', ['-t', 'tmpfs', 'tmpfs', path.join(dir, 'mnt')]).status, 0);
    writeFileSync(path.join(dir, 'mnt', 'inside'), 'x');
    const changed = await journal.changedSince(token);
    assert.equal(!changed.tracked && changed.kind, 'mount');
    assert.ok(existsSync(path.join(dir, 'mnt', 'inside')));
  });
});
