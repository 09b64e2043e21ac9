import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { appendFileSync, chmodSync, existsSync, linkSync, lstatSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, truncateSync, utimesSync, writeFileSync } from 'node:fs';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { BtrfsProvider } from '../../../src/core/providers/btrfs.js';
import { SendStreamReader, SendStreamUnreadable, crc32c } from '../../../src/core/providers/btrfs-send.js';
import { applyChanges } from '../../../src/core/providers/snapshot-changes.js';
import { ToolRunner } from '../../../src/core/providers/tools.js';
import { BtrfsProvider as Btrfs } from '../../../src/core/providers/btrfs.js';
import { FileHistory } from '../../../src/core/service/history.js';
import { HomeLayout } from '../../../src/core/state/paths.js';
import { ServiceContext } from '../../../src/core/service/context.js';
import { createSnapshot } from '../../../src/core/service/create.js';
import { listSnapshots } from '../../../src/core/service/queries.js';
import type { ManifestEntry } from '../../../src/core/tree/manifest.js';
import { fromBytes } from '../../../src/core/tree/names.js';
import { versionKey } from '../../../src/core/history/path-index.js';
import { writeXattrs } from '../../../src/core/tree/xattrs.js';
import type { SnapshotProvider } from '../../../src/core/providers/provider.js';
import type { SnapshotRecord } from '../../../src/shared/model.js';
import { btrfsEnv, btrfsUnavailable, type ProviderEnv } from '../../helpers/provider-envs.js';
import { tempDir } from '../../helpers/helpers.js';
import { seededRandom as random } from '../../helpers/random.js';

const skip = btrfsUnavailable();
if (skip) console.log(`# ${skip}`);

/** What a walk of both snapshots says differs: entries of the newer that the older lacks or holds otherwise, and the paths gone. */
function walkDifference(older: readonly ManifestEntry[], newer: readonly ManifestEntry[]): { changed: ManifestEntry[]; removed: string[] } {
  const was = new Map(older.map((e) => [e.path, JSON.stringify(e)]));
  const now = new Set(newer.map((e) => e.path));
  return {
    changed: newer.filter((e) => was.get(e.path) !== JSON.stringify(e)),
    removed: older.filter((e) => !now.has(e.path)).map((e) => e.path),
  };
}

/** Names that are hard to carry: a newline, a backslash, a tab, a space, bytes that are not UTF-8. */
const ODD = [Buffer.from('new\nline'), Buffer.from('back\\slash'), Buffer.from('tab\there'), Buffer.from('sp ace'), Buffer.from([0x63, 0x61, 0x66, 0xe9]), Buffer.from([0x64, 0xff, 0x2e, 0x6a, 0x73])];

/** Every path under `root` (names as bytes joined by '/'), files and folders, never through a link. */
function listTree(root: Buffer): { files: Buffer[]; dirs: Buffer[] } {
  const files: Buffer[] = [];
  const dirs: Buffer[] = [];
  const visit = (dir: Buffer): void => {
    for (const name of readdirSync(dir, { encoding: 'buffer' })) {
      const p = Buffer.concat([dir, Buffer.from('/'), name]);
      const st = lstatSync(p);
      if (st.isDirectory()) { dirs.push(p); visit(p); } else files.push(p);
    }
  };
  visit(root);
  return { files, dirs };
}

/** One random change to the folder: writes, appends, renames of files and folders, deletes, links, chmod, xattrs, odd names. */
function randomOperation(target: string, rnd: () => number, n: number): string {
  const root = Buffer.from(target);
  const { files, dirs } = listTree(root);
  const pick = <T>(xs: T[]): T | undefined => xs[Math.floor(rnd() * xs.length)];
  const name = (): Buffer => (rnd() < 0.3 ? Buffer.concat([pick(ODD) as Buffer, Buffer.from(`-${n}`)]) : Buffer.from(`f${n}`));
  const anyDir = (): Buffer => (rnd() < 0.4 ? root : pick(dirs) ?? root);
  const join = (dir: Buffer, leaf: Buffer): Buffer => Buffer.concat([dir, Buffer.from('/'), leaf]);
  const file = pick(files.filter((f) => lstatSync(f).isFile()));
  const dir = pick(dirs);
  const op = Math.floor(rnd() * 16);
  switch (op) {
    case 0: writeFileSync(join(anyDir(), name()), `new ${n}\n`); return 'write a new file';
    case 1: if (file) { appendFileSync(file, `more ${n}\n`); return 'append'; } break;
    case 2: if (file) { writeFileSync(file, 'same size?'); return 'rewrite'; } break;
    case 3: if (file) { renameSync(file, join(anyDir(), name())); return 'rename a file'; } break;
    case 4: if (dir) { const to = join(anyDir(), name()); if (!to.subarray(0, dir.length + 1).equals(Buffer.concat([dir, Buffer.from('/')]))) { renameSync(dir, to); return 'rename a folder'; } } break;
    case 5: if (file) { rmSync(file); return 'delete a file'; } break;
    case 6: if (dir) { rmSync(dir, { recursive: true }); return 'delete a folder'; } break;
    case 7: if (file && lstatSync(file).isFile()) { linkSync(file, join(anyDir(), name())); return 'hard link'; } break;
    case 8: symlinkSync(rnd() < 0.5 ? '../elsewhere' : Buffer.from([0x74, 0xe9, 0x0a]), join(anyDir(), name())); return 'symlink';
    case 9: if (file) { chmodSync(file, rnd() < 0.5 ? 0o600 : 0o755); return 'chmod'; } break;
    case 10: if (file) { writeXattrs(fromBytes(file), { 'user.tag': Buffer.from(`v${n}`).toString('base64') }); return 'xattr'; } break;
    case 11: { const d = join(anyDir(), name()); mkdirSync(d); writeFileSync(join(d, Buffer.from('inside')), 'x'); return 'make a folder'; }
    case 12: if (file) { truncateSync(file, 0); return 'truncate'; } break;
    case 13: if (file) { utimesSync(file, 1_000_000 + n, 1_000_000 + n); return 'touch -d'; } break;
    case 14: {
      // Two names swapped: btrfs moves one aside under a temporary name (o<ino>-<gen>-0) to do it.
      const two = files.filter((f) => lstatSync(f).isFile()).slice(0, 2);
      if (two.length === 2) { const tmp = join(root, Buffer.from(`swap-${n}`)); renameSync(two[0] as Buffer, tmp); renameSync(two[1] as Buffer, two[0] as Buffer); renameSync(tmp, two[1] as Buffer); return 'swap two files'; }
      break;
    }
    case 15: {
      // A file with other names changed under one of them: btrfs names only one.
      const linked = files.find((f) => lstatSync(f).isFile() && lstatSync(f).nlink > 1);
      if (linked) { appendFileSync(linked, `through one name ${n}\n`); return 'append to a hard-linked file'; }
      break;
    }
  }
  writeFileSync(join(root, Buffer.from(`fallback-${n}`)), 'x');
  return 'write';
}

describe('btrfs send streams, read by hand', () => {
  const cmd = (type: number, attrs: [number, Buffer][]): Buffer => {
    const body = Buffer.concat(attrs.map(([t, v]) => { const h = Buffer.alloc(4); h.writeUInt16LE(t, 0); h.writeUInt16LE(v.length, 2); return Buffer.concat([h, v]); }));
    const head = Buffer.alloc(10);
    head.writeUInt32LE(body.length, 0);
    head.writeUInt16LE(type, 4);
    const whole = Buffer.concat([head, body]);
    whole.writeUInt32LE(crc32c(whole, 6), 6);
    return whole;
  };
  const header = (): Buffer => { const v = Buffer.alloc(4); v.writeUInt32LE(1, 0); return Buffer.concat([Buffer.from('btrfs-stream\0', 'latin1'), v]); };
  const snapshot = cmd(2, [[15, Buffer.from('snap')]]);
  const end = cmd(21, []);

  test('paths come through as bytes, split anywhere between chunks, and renames are followed both ways', () => {
    const odd = Buffer.from([0x61, 0x0a, 0x5c, 0xff]);
    const stream = Buffer.concat([header(), snapshot,
      cmd(9, [[15, Buffer.from('dir')], [16, Buffer.from('o257-7-0')]]),
      cmd(20, [[15, Buffer.concat([Buffer.from('o257-7-0/'), odd])]]),
      cmd(9, [[15, Buffer.from('o257-7-0')], [16, Buffer.from('moved')]]),
      cmd(8, [[15, Buffer.from('link')], [17, Buffer.from('not/a/path')]]),
      end]);
    const reader = new SendStreamReader();
    for (let i = 0; i < stream.length; i += 7) reader.feed(stream.subarray(i, i + 7));
    const hints = reader.finish();
    const name = fromBytes(odd);
    assert.ok(hints.paths.has(`dir/${name}`) && hints.paths.has(`moved/${name}`), [...hints.paths].join(' | '));
    assert.deepEqual([...hints.trees].sort(), ['dir', 'moved']);
    assert.ok(hints.paths.has('link') && !hints.paths.has('not/a/path'), 'a symlink\'s target is text, not a path');
  });

  test('a command it does not know, a bad CRC, a whole subvolume or a stream cut short is not vouched for', () => {
    const read = (b: Buffer): unknown => { const r = new SendStreamReader(); r.feed(b); return r.finish(); };
    assert.throws(() => read(Buffer.concat([header(), snapshot, cmd(99, [[15, Buffer.from('x')]]), end])), SendStreamUnreadable);
    const bad = cmd(20, [[15, Buffer.from('x')]]);
    bad.writeUInt8(bad.readUInt8(12) ^ 1, 12);
    assert.throws(() => read(Buffer.concat([header(), snapshot, bad, end])), /CRC/);
    assert.throws(() => read(Buffer.concat([header(), cmd(1, [[15, Buffer.from('vol')]]), end])), /whole subvolume/);
    assert.throws(() => read(Buffer.concat([header(), snapshot, cmd(20, [[15, Buffer.from('x')]])])), /ended part way/);
    assert.throws(() => read(Buffer.concat([header(), snapshot, cmd(20, [])])), /no path/);
  });
});

describe('btrfs: what differs between two snapshots comes from btrfs send', { skip: skip ?? false }, () => {
  let pe: ProviderEnv;
  let service: ServiceContext;
  let provider: BtrfsProvider;
  before(async () => {
    pe = await btrfsEnv({ sizeMb: 320 });
    service = new ServiceContext({ home: pe.home });
    provider = service.provider('btrfs') as BtrfsProvider;
  });
  after(() => pe?.cleanup());

  test('for random writes, renames of files and folders, deletes, hard links, symlinks, chmod, xattrs and odd names, the send-based difference is what a walk of both snapshots finds', async () => {
    const seed = Number(process.env['SNAPCTL_TEST_SEED'] ?? 20261206);
    const rnd = random(seed);
    // Outside the folder, in the same subvolume: btrfs send names it too, and it must not be counted.
    const sibling = path.join(path.dirname(pe.target), 'sibling');
    await mkdir(sibling, { recursive: true });
    for (let i = 0; i < 12; i++) await writeFile(path.join(pe.target, `seed-${i}`), `seed ${i}\n`);
    await mkdir(path.join(pe.target, 'deep', 'er'), { recursive: true });
    await writeFile(path.join(pe.target, 'deep', 'er', 'leaf'), 'leaf');
    let prev = await createSnapshot(service, { path: pe.target, provider: 'btrfs' });
    let n = 0;
    for (let round = 0; round < 12; round++) {
      const done: string[] = [];
      for (let k = 0; k < 10; k++) done.push(randomOperation(pe.target, rnd, n++));
      writeFileSync(path.join(sibling, `s${round}`), 'outside');
      const cur = await createSnapshot(service, { path: pe.target, provider: 'btrfs' });
      const older = await provider.listEntries(prev);
      const newer = await provider.listEntries(cur);
      const phases: string[] = [];
      const got = await provider.changesBetween(prev, cur, { olderEntries: older, trace: (p) => phases.push(p) });
      const why = `seed ${seed}, round ${round}: ${done.join(', ')}; ${phases.join('; ')}`;
      assert.ok(got, why);
      assert.match(phases.join('\n'), /from btrfs/, why);
      assert.deepEqual({ changed: got.changed, removed: got.removed }, walkDifference(older, newer), why);
      assert.deepEqual(applyChanges(older, got), newer, why);
      // Either way round: a rollback's preview compares a snapshot with a newer one.
      const back = await provider.changesBetween(cur, prev, { olderEntries: newer });
      assert.ok(back, why);
      assert.deepEqual({ changed: back.changed, removed: back.removed }, walkDifference(newer, older), why);
      prev = cur;
    }
  });

  test('without the older snapshot\'s entries, a changed file with other names (hard links) is walked, and the trace says why', async () => {
    await writeFile(path.join(pe.target, 'one'), '1');
    linkSync(path.join(pe.target, 'one'), path.join(pe.target, 'two'));
    const a = await createSnapshot(service, { path: pe.target, provider: 'btrfs' });
    appendFileSync(path.join(pe.target, 'two'), 'more');
    const b = await createSnapshot(service, { path: pe.target, provider: 'btrfs' });
    const phases: string[] = [];
    assert.equal(await provider.changesBetween(a, b, { trace: (p) => phases.push(p) }), null);
    assert.match(phases.join('\n'), /walked \(a changed file has other names \(hard links\)/);
    const got = await provider.changesBetween(a, b, { olderEntries: await provider.listEntries(a) });
    assert.deepEqual(got?.changed.map((e) => e.path).filter((p) => p === 'one' || p === 'two'), ['one', 'two'], 'both names of the file changed');
  });

  test('a btrfs send that fails, or prints what is not a send stream, means a walk, and the trace says why', async () => {
    const bin = await tempDir('snapctl-fake-btrfs-');
    const real = execFileSync('which', ['btrfs'], { encoding: 'utf8' }).trim();
    const fake = path.join(bin, 'btrfs');
    await writeFile(fake, `#!${process.execPath}\nconst { spawnSync } = require('node:child_process');\nconst args = process.argv.slice(2);\nif (args[0] === 'send') { if (process.env.FAKE_SEND === 'fail') { process.stderr.write('ERROR: not allowed\\n'); process.exit(1); } process.stdout.write('hello'); process.exit(0); }\nprocess.exit(spawnSync(${JSON.stringify(real)}, args, { stdio: 'inherit' }).status ?? 1);\n`);
    await chmod(fake, 0o755);
    const records = (await listSnapshots(service, { target: pe.target })).sort((a, b) => (a.createdAt < b.createdAt ? 1 : -1));
    const [newer, older] = records as [SnapshotRecord, SnapshotRecord];
    try {
      for (const [mode, said] of [['fail', /btrfs send failed: ERROR: not allowed/], ['garbage', /not a send stream|ended part way/]] as const) {
        const tools = new ToolRunner({ env: { ...process.env, PATH: `${bin}:${process.env['PATH'] ?? ''}`, FAKE_SEND: mode } });
        const phases: string[] = [];
        assert.equal(await new Btrfs(tools, { stateDir: path.join(pe.home, 'clone') }).changesBetween(older, newer, { olderEntries: [], trace: (p) => phases.push(p) }), null);
        assert.match(phases.join('\n'), said);
      }
    } finally {
      rmSync(bin, { recursive: true, force: true });
    }
  });
});

describe('history on a btrfs folder', { skip: skip ?? false }, () => {
  let pe: ProviderEnv;
  let service: ServiceContext;
  before(async () => {
    pe = await btrfsEnv({ sizeMb: 320 });
    service = new ServiceContext({ home: pe.home });
  });
  after(() => pe?.cleanup());

  /** The service's history, with every read of a snapshot counted: walks of its tree, and differences asked of btrfs. */
  const counted = (root: string, fromFilesystem: boolean): { history: FileHistory; walks: string[]; asked: string[] } => {
    const walks: string[] = [];
    const asked: string[] = [];
    const provider = (name: SnapshotRecord['provider']): SnapshotProvider => {
      const real = service.provider(name);
      const wrapped: SnapshotProvider = Object.create(real) as SnapshotProvider;
      wrapped.listEntries = async (r) => { walks.push(r.id); return real.listEntries(r); };
      if (fromFilesystem && real.changesBetween) {
        const between = real.changesBetween.bind(real);
        wrapped.changesBetween = async (a, b, o) => { asked.push(b.id); return between(a, b, o); };
      } else {
        Object.defineProperty(wrapped, 'changesBetween', { value: undefined });
      }
      return wrapped;
    };
    const history = new FileHistory({ layout: new HomeLayout(root), store: service.store, provider, lock: async (_t, fn) => fn() });
    return { history, walks, asked };
  };

  test('after N snapshots it gives the answer a walk of every snapshot gives, walking only the first snapshot it ever indexed', async () => {
    const t = pe.target;
    await mkdir(path.join(t, 'src'), { recursive: true });
    for (let i = 0; i < 40; i++) await writeFile(path.join(t, 'src', `m${i}.ts`), `export const v = ${i};\n`);
    await writeFile(path.join(t, 'README'), 'v1\n');
    const ids: string[] = [];
    const step = async (change: () => void): Promise<void> => { change(); ids.push((await createSnapshot(service, { path: t, provider: 'btrfs' })).id); };
    await step(() => undefined);
    await step(() => writeFileSync(path.join(t, 'README'), 'v2, longer\n'));
    await step(() => renameSync(path.join(t, 'src'), path.join(t, 'lib')));
    const fast = counted(path.join(pe.root, 'home-fast'), true);
    const slow = counted(path.join(pe.root, 'home-walk'), false);
    const queries = ['README', 'lib/m3.ts', 'src/m3.ts'];
    for (const q of queries) assert.deepEqual(await fast.history.history(t, q), await slow.history.history(t, q), q);
    assert.deepEqual(fast.walks, [ids[0]], 'the first snapshot indexed is walked, the others read from btrfs send');
    assert.deepEqual(fast.asked, ids.slice(1));
    assert.equal(slow.walks.length, 3);
    // More snapshots after the index exists: not one of them is walked.
    await step(() => writeFileSync(path.join(t, 'README'), 'v3\n'));
    await step(() => { rmSync(path.join(t, 'lib', 'm5.ts')); linkSync(path.join(t, 'README'), path.join(t, 'lib', 'readme-link')); });
    await step(() => { chmodSync(path.join(t, 'lib', 'm6.ts'), 0o600); symlinkSync('m7.ts', path.join(t, 'lib', 'alias')); });
    await step(() => appendFileSync(path.join(t, 'README'), 'v4 through the other name\n'));
    for (const q of [...queries, 'lib/m5.ts', 'lib/readme-link', 'lib/alias', 'lib/m6.ts']) assert.deepEqual(await fast.history.history(t, q), await slow.history.history(t, q), q);
    assert.deepEqual(fast.walks, [ids[0]], 'no snapshot tree walked after the first');
    assert.deepEqual(fast.asked, ids.slice(1));
    const paths = path.join(pe.root, 'home-fast', 'paths');
    const log = readdirSync(paths).find((f) => f.endsWith('.log.ndjson'));
    assert.equal(log && readFileSync(path.join(paths, log), 'utf8').split('\n').length - 1, 4, 'the index caught up by appending one line per snapshot to its log, not by writing it again');
    // What the index gives back of a snapshot (for a preview's changesBetween): the versions a walk gives.
    const third = (await listSnapshots(service, { target: t })).find((r) => r.id === ids[4]) as SnapshotRecord;
    const keys = (es: readonly ManifestEntry[] | null): string[][] => (es ?? []).map((e) => [e.path, versionKey(e)]);
    assert.deepEqual(keys(await fast.history.snapshotEntries(third)), keys(await service.provider('btrfs').listEntries(third)));
    const everything = async (h: FileHistory): Promise<unknown> => (await h.find(t, '*', () => true)).matches;
    assert.deepEqual(await everything(fast.history), await everything(slow.history));
    assert.ok(existsSync(path.join(pe.root, 'home-fast', 'paths')));
  });
});
