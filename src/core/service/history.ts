import { chmod, lstat, open, readFile, realpath, rename, rm, stat, utimes } from 'node:fs/promises';
import path from 'node:path';
import { SnapctlError, describeError, nullIfMissing, usageError } from '../base/errors.js';
import { mkdirPrivate } from '../base/private-fs.js';
import { nodeCrypto } from '../base/lazy-crypto.js';
import { writeFileAtomic } from '../state/atomic-write.js';
import { targetKey } from '../state/journal.js';
import { isWithin, type HomeLayout } from '../state/paths.js';
import { quarantine, type SnapshotStore } from '../state/store.js';
import { isSafeRelativePath, nsToSeconds } from '../tree/manifest.js';
import { shownName, toBytes } from '../tree/names.js';
import { addSnapshot, emptyIndex, findPathLine, liveSeqs, markSkipped, parseHeader, parseIndex, removeSnapshots, serialiseIndex, type IndexHeader, type IndexedVersion, type PathIndexData } from '../history/path-index.js';
import type { ManifestEntry } from '../tree/manifest.js';
import type { ProviderName, SnapshotRecord } from '../../shared/model.js';
import type { FileHistoryView, FileMatch, SnapshotRef } from '../../shared/api.js';
import type { SnapshotProvider } from '../providers/provider.js';

export interface HistoryDeps {
  layout: HomeLayout;
  store: SnapshotStore;
  provider: (name: ProviderName) => SnapshotProvider;
  /** Runs `fn` holding the folder's lock (the one creates and deletes hold while they update the index). */
  lock: <T>(target: string, fn: () => Promise<T>) => Promise<T>;
}

/** Consecutive snapshots of the folder (in time) holding a path: newest and oldest of the run, and how many. */
export interface SnapshotSpan { newest: SnapshotRef; oldest: SnapshotRef; count: number }

export interface FindResult {
  target: string;
  pattern: string;
  matches: (FileMatch & { spans?: SnapshotSpan[] })[];
  skipped: { id: string; reason: string }[];
}

/** The largest file `cat` and `restore --to` read into memory at once. */
const MAX_READ = 2 ** 31 - 1;
/** Written again every so many snapshots while the index is built, so a killed build keeps its work. */
const CHECKPOINT = 100;

/**
 * Finds files across a folder's snapshots through the folder's path index (history/path-index.ts), kept in
 * the state folder's `paths/`. Creates and deletes update it under the folder's lock; a query checks it
 * covers exactly the folder's snapshots (by id) and catches up from the snapshots themselves when it does
 * not, so a missing, stale or damaged index (kept aside) is mended by the next query.
 */
export class FileHistory {
  private cache: { file: string; key: string; text: string; header: IndexHeader; parsed: PathIndexData | null } | null = null;
  readonly notices: string[] = [];

  constructor(private readonly deps: HistoryDeps) {}

  private file(target: string): string {
    return path.join(this.deps.layout.root, 'paths', `${targetKey(target)}.ndjson`);
  }

  /** A new snapshot's entries; the caller holds the folder's lock. */
  async added(record: SnapshotRecord, entries: readonly ManifestEntry[]): Promise<void> {
    const index = (await this.loadParsed(record.target)) ?? emptyIndex(record.target);
    addSnapshot(index, record.id, entries);
    await this.write(index);
  }

  /** Deleted snapshots; the caller holds the folder's lock. An index that is not there is built later. */
  async removed(target: string, ids: readonly string[]): Promise<void> {
    const index = await this.loadParsed(target);
    if (index && removeSnapshots(index, ids)) await this.write(index);
  }

  /** Every distinct version of `rel` in the folder's snapshots, newest first, and where it was deleted. */
  async history(target: string, rel: string): Promise<FileHistoryView> {
    const { text, header, records } = await this.fresh(target);
    const name = await this.nameIn(target, rel, text);
    const found = findPathLine(text, name);
    if (found === null) { await this.damagedLine(target); return this.history(target, rel); }
    const live = liveOf(header, records);
    const versions = (found ?? []).map((v) => ({ v, holders: liveSeqs(v, new Set(live.keys())).map((s) => live.get(s)).filter((r): r is SnapshotRecord => r !== undefined).sort(newestFirstRecord) }))
      .filter((x) => x.holders.length > 0)
      .sort((a, b) => newestFirstRecord(a.holders[0] as SnapshotRecord, b.holders[0] as SnapshotRecord));
    const skipped = skippedOf(header, records);
    if (versions.length === 0) {
      throw new SnapctlError('not-found', `${shownName(name)} is in none of the ${live.size} snapshot(s) of ${target}${skipped.length ? ` that could be read (${skipped.length} skipped: ${skipped.map((s) => s.id).join(', ')})` : ''}`, `'snapctl find "*${path.posix.basename(shownName(name))}*" --path ${target}' finds names like it`);
    }
    const present = new Set<string>();
    for (const x of versions) for (const r of x.holders) present.add(r.id);
    const deletions: SnapshotRef[] = [];
    let before = false;
    for (const r of [...live.values()].sort((a, b) => -newestFirstRecord(a, b))) {
      const here = present.has(r.id);
      if (before && !here) deletions.push(ref(r));
      before = here;
    }
    return {
      target, path: name,
      versions: versions.map(({ v, holders }) => ({ type: v.type, size: v.type === 'file' ? v.size : null, mtime: isoOfNs(v.mtimeNs), mode: v.mode, snapshots: holders.map(ref) })),
      deletions: deletions.reverse(), deletedNow: !before, skipped,
    };
  }

  /**
   * Paths matching `matcher` across the folder's snapshots, deleted ones (not in the newest) marked. With
   * `spans`, each says which snapshots hold it as runs of consecutive snapshots (a file in a thousand
   * snapshots is one run, not a thousand ids).
   */
  async find(target: string, pattern: string, matcher: (p: string) => boolean, options: { limit?: number; spans?: boolean } = {}): Promise<FindResult & { total: number }> {
    const limit = options.limit ?? Number.POSITIVE_INFINITY;
    const { index, header, records } = await this.parsed(target);
    const live = liveOf(header, records);
    const liveSet = new Set(live.keys());
    const inOrder = [...live.entries()].sort((a, b) => -newestFirstRecord(a[1], b[1]));
    const position = new Map(inOrder.map(([seq], i) => [seq, i]));
    const newestSeq = inOrder[inOrder.length - 1]?.[0];
    const matches: FindResult['matches'] = [];
    let total = 0;
    for (const [p, versions] of index.paths) {
      if (!matcher(p)) continue;
      const held: number[] = [];
      let kept = 0;
      let latestType: IndexedVersion['type'] = 'file';
      let latest = -1;
      for (const v of versions) {
        const seqs = liveSeqs(v, liveSet);
        if (seqs.length > 0) kept++;
        for (const s of seqs) {
          const at = position.get(s) ?? -1;
          held.push(at);
          if (at > latest) { latest = at; latestType = v.type; }
        }
      }
      if (held.length === 0) continue;
      total++;
      if (matches.length >= limit) continue;
      const newest = inOrder[latest]?.[1];
      const match: FindResult['matches'][number] = { path: p, type: latestType, deleted: newestSeq === undefined || !held.includes(position.get(newestSeq) ?? -2), versions: kept, count: held.length, newest: newest?.createdAt ?? '' };
      if (options.spans) {
        held.sort((a, b) => b - a);
        const spans: SnapshotSpan[] = [];
        for (let i = 0; i < held.length;) {
          let j = i;
          while (j + 1 < held.length && held[j + 1] === (held[j] ?? 0) - 1) j++;
          const to = inOrder[held[i] ?? 0]?.[1];
          const from = inOrder[held[j] ?? 0]?.[1];
          if (to && from) spans.push({ newest: ref(to), oldest: ref(from), count: j - i + 1 });
          i = j + 1;
        }
        match.spans = spans;
      }
      matches.push(match);
    }
    matches.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    return { target, pattern, matches, total, skipped: skippedOf(header, records) };
  }

  /** The name the index knows `rel` by: itself, or the name whose bytes a terminal showed or passed as text. */
  async nameIn(target: string, rel: string, text?: string): Promise<string> {
    const body = text ?? (await this.fresh(target)).text;
    if (findPathLine(body, rel) !== undefined || !/\\x[89a-f][0-9a-f]|\ufffd/i.test(rel)) return rel;
    const { index } = await this.parsed(target);
    for (const p of index.paths.keys()) if (shownName(p) === rel || toBytes(p).toString('utf8') === rel) return p;
    return rel;
  }

  /** Writes one version of a file beside the folder's: its bytes, mode and mtime, never through a link. */
  async restoreTo(record: SnapshotRecord, rel: string, dest: string, options: { force: boolean; within?: string }): Promise<{ written: string; size: number }> {
    const name = await this.nameIn(record.target, rel);
    const got = await this.deps.provider(record.provider).readFile(record, name, MAX_READ);
    if (got.kind !== 'file') throw notAFile(record, name, got.kind === 'not-a-file' ? got.type : got.kind);
    let out = path.resolve(dest);
    let st = await lstat(out).catch(nullIfMissing);
    if (st?.isDirectory()) { out = path.join(out, path.posix.basename(name)); st = await lstat(out).catch(nullIfMissing); }
    const dir = path.dirname(out);
    const parent = await stat(dir).catch(nullIfMissing);
    if (!parent?.isDirectory()) throw usageError(`the folder ${dir} does not exist`, 'make it first, or choose another place');
    if (options.within !== undefined && !isWithin(options.within, await realpath(dir))) throw usageError(`${out} is not inside ${options.within}`);
    if (isWithin(this.deps.layout.root, await realpath(dir))) throw usageError(`${out} is inside snapctl's own data folder`, 'choose a place outside it');
    if (st && !options.force) throw usageError(`${out} already exists${st.isSymbolicLink() ? ' (a symbolic link)' : ''}: nothing was written`, 'choose another place, or pass --force to replace it (a link is replaced, never written through)');
    if (st?.isDirectory()) throw usageError(`${out} is a folder: nothing was written`);
    const version = await this.versionAt(record, name);
    const tmp = path.join(dir, `.${path.basename(out)}.snapctl-${nodeCrypto().randomBytes(6).toString('hex')}`);
    const handle = await open(tmp, 'wx', 0o600);
    try {
      try {
        await handle.writeFile(got.bytes);
        await handle.sync();
      } finally {
        await handle.close();
      }
      await chmod(tmp, (version?.mode ?? 0o644) & 0o7777);
      if (version) await utimes(tmp, new Date(), nsToSeconds(version.mtimeNs));
      // A rename replaces whatever stands at `out`, a link included, and never writes through it.
      await rename(tmp, out);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
    return { written: out, size: got.size };
  }

  /** The bytes of `rel` in `record`, or a clear error when it is not a file there. */
  async read(record: SnapshotRecord, rel: string): Promise<Buffer> {
    const name = await this.nameIn(record.target, rel).catch(() => rel);
    const got = await this.deps.provider(record.provider).readFile(record, name, MAX_READ);
    if (got.kind !== 'file') throw notAFile(record, name, got.kind === 'not-a-file' ? got.type : got.kind);
    return got.bytes;
  }

  private async versionAt(record: SnapshotRecord, name: string): Promise<IndexedVersion | null> {
    const { text, header } = await this.fresh(record.target);
    const seq = header.snapshots.get(record.id);
    if (seq === undefined) return null;
    return findPathLine(text, name)?.find((v) => liveSeqs(v, new Set([seq])).length > 0) ?? null;
  }

  /** The index text, covering exactly the folder's readable snapshots (caught up first when it does not). */
  private async fresh(target: string): Promise<{ text: string; header: IndexHeader; records: SnapshotRecord[] }> {
    const records = await this.recordsOf(target);
    const cached = await this.readCached(target);
    if (cached && covers(cached.header, records)) return { text: cached.text, header: cached.header, records };
    await this.deps.lock(target, async () => {
      const again = await this.recordsOf(target);
      const index = (await this.loadParsed(target)) ?? emptyIndex(target);
      if (covers(headerOf(index), again)) return;
      const wanted = new Set(again.map((r) => r.id));
      removeSnapshots(index, [...index.snapshots.keys()].filter((id) => !wanted.has(id)));
      let sinceWrite = 0;
      for (const r of [...again].sort((a, b) => -newestFirstRecord(a, b))) {
        if (index.snapshots.has(r.id)) continue;
        try {
          addSnapshot(index, r.id, await this.deps.provider(r.provider).listEntries(r));
        } catch (err) {
          markSkipped(index, r.id, describeError(err));
        }
        if (++sinceWrite >= CHECKPOINT) { await this.write(index); sinceWrite = 0; }
      }
      await this.write(index);
    });
    const done = await this.readCached(target);
    if (!done) throw new SnapctlError('failed', `the path index of ${target} could not be written`);
    return { text: done.text, header: done.header, records: await this.recordsOf(target) };
  }

  private async parsed(target: string): Promise<{ index: PathIndexData; header: IndexHeader; records: SnapshotRecord[] }> {
    const { text, header, records } = await this.fresh(target);
    const c = this.cache;
    if (c && c.text === text && c.parsed) return { index: c.parsed, header, records };
    const index = parseIndex(text);
    if (!index) return this.parsed(await this.damagedLine(target));
    if (c && c.text === text) c.parsed = index;
    return { index, header, records };
  }

  /** A damaged line found by a query: the file is kept aside and the index rebuilt. */
  private async damagedLine(target: string): Promise<string> {
    await this.deps.lock(target, async () => {
      const file = this.file(target);
      const text = await readFile(file, 'utf8').catch(nullIfMissing);
      if (text !== null && parseIndex(text) === null) this.notices.push(`the path index ${file} was damaged; it was kept as ${await quarantine(file)} and rebuilt from the snapshots`);
    });
    this.cache = null;
    return target;
  }

  /** The folder's snapshots an index covers: every one whose data exists. */
  private async recordsOf(target: string): Promise<SnapshotRecord[]> {
    return (await this.deps.store.read()).snapshots.filter((s) => s.target === target && s.state !== 'vanished');
  }

  private async readCached(target: string): Promise<{ text: string; header: IndexHeader } | null> {
    const file = this.file(target);
    const st = await stat(file, { bigint: true }).catch(nullIfMissing);
    if (!st) return null;
    const key = `${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}`;
    if (this.cache?.file === file && this.cache.key === key) return this.cache;
    const text = await readFile(file, 'utf8').catch(nullIfMissing);
    const header = text === null ? null : parseHeader(text);
    if (text === null || header === null || header.target !== target) return null;
    this.cache = { file, key, text, header, parsed: null };
    return this.cache;
  }

  /** The index as it is on disk; a damaged one is kept aside (null: build it again). */
  private async loadParsed(target: string): Promise<PathIndexData | null> {
    const file = this.file(target);
    const text = await readFile(file, 'utf8').catch(nullIfMissing);
    if (text === null) return null;
    const index = parseIndex(text);
    if (index && index.target === target) return index;
    this.notices.push(`the path index ${file} was damaged; it was kept as ${await quarantine(file)} and rebuilt from the snapshots`);
    return null;
  }

  private async write(index: PathIndexData): Promise<void> {
    const file = this.file(index.target);
    await mkdirPrivate(path.dirname(file));
    // No fsync: the index is rebuilt from the snapshots whenever it is lost or damaged.
    await writeFileAtomic(file, serialiseIndex(index), { fsync: false });
  }
}

function headerOf(index: PathIndexData): IndexHeader {
  return { target: index.target, nextSeq: index.nextSeq, snapshots: index.snapshots, skipped: index.skipped };
}

function covers(header: IndexHeader, records: readonly SnapshotRecord[]): boolean {
  if (header.snapshots.size !== records.length) return false;
  return records.every((r) => header.snapshots.has(r.id));
}

/** Seq -> record for the covered snapshots that could be read. */
function liveOf(header: IndexHeader, records: readonly SnapshotRecord[]): Map<number, SnapshotRecord> {
  const out = new Map<number, SnapshotRecord>();
  for (const r of records) {
    const seq = header.snapshots.get(r.id);
    if (seq !== undefined && !header.skipped.has(r.id)) out.set(seq, r);
  }
  return out;
}

function skippedOf(header: IndexHeader, records: readonly SnapshotRecord[]): { id: string; reason: string }[] {
  const ids = new Set(records.map((r) => r.id));
  return [...header.skipped].filter(([id]) => ids.has(id)).map(([id, reason]) => ({ id, reason }));
}

function ref(r: SnapshotRecord): SnapshotRef {
  return { id: r.id, createdAt: r.createdAt, tag: r.tag, trigger: r.trigger };
}

function newestFirstRecord(a: SnapshotRecord, b: SnapshotRecord): number {
  return a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}

function isoOfNs(ns: string): string {
  return new Date(Number(BigInt(ns) / 1_000_000n)).toISOString();
}

function notAFile(record: SnapshotRecord, name: string, kind: string): SnapctlError {
  const what = kind === 'dir' ? 'a folder' : kind === 'symlink' ? 'a symbolic link' : kind === 'missing' ? 'not there' : kind === 'too-large' ? 'too large to read at once' : 'not a regular file';
  return new SnapctlError(kind === 'missing' ? 'not-found' : 'usage', `${shownName(name)} is ${what} in snapshot ${record.id}${kind === 'missing' ? '' : ': there are no file bytes to give'}`, `'snapctl history ${shownName(name)}' lists the snapshots that hold it`);
}

/** The path of `input` relative to the deepest of `targets` holding it; the file itself need not exist. */
export async function locateFile(input: string, cwd: string, targets: readonly string[]): Promise<{ target: string; rel: string }> {
  if (input === '' || input.includes('\0')) throw usageError('a file path is required');
  const abs = path.resolve(cwd, input);
  const real = path.join(await realpathOfNearest(path.dirname(abs)), path.basename(abs));
  const holding = [abs, real].flatMap((p) => targets.filter((t) => p !== t && isWithin(t, p)).map((t) => ({ t, p }))).sort((a, b) => b.t.length - a.t.length)[0];
  if (!holding) throw usageError(`${input} is not inside a folder snapctl has snapshots of`, 'pass --path DIR to name the folder, or run the command inside it');
  const rel = path.relative(holding.t, holding.p).split(path.sep).join('/');
  if (!isSafeRelativePath(rel)) throw usageError(`invalid path: ${input}`);
  return { target: holding.t, rel };
}

async function realpathOfNearest(p: string): Promise<string> {
  const real = await realpath(p).catch(() => null);
  if (real !== null) return real;
  const parent = path.dirname(p);
  return parent === p ? p : path.join(await realpathOfNearest(parent), path.basename(p));
}
