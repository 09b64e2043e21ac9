import { constants as fsConstants, type BigIntStats } from 'node:fs';
import { appendFile, lstat, open, readFile, readlink, realpath, rename, rm, stat, utimes } from 'node:fs/promises';
import path from 'node:path';
import { SnapctlError, errnoCode, nullIfMissing, usageError } from '../base/errors.js';
import { mkdirPrivate } from '../base/private-fs.js';
import { nodeCrypto } from '../base/lazy-crypto.js';
import { writeFileAtomic } from '../state/atomic-write.js';
import { targetKey } from '../state/journal.js';
import { isWithin, type HomeLayout } from '../state/paths.js';
import { quarantine, type SnapshotStore } from '../state/store.js';
import { leaveAloneFilter } from '../tree/excludes.js';
import { isSafeRelativePath, nsToSeconds } from '../tree/manifest.js';
import { hashFile, hashKindOf, type HashKind } from '../tree/content-hash.js';
import { fromBytes, fsPath, shownName, toBytes } from '../tree/names.js';
import { entriesAt, addSnapshot, applyDelta, emptyIndex, findPathLine, liveSeqs, makeDelta, parseHeader, parseIndex, parseLog, removeSnapshots, serialiseDelta, serialiseIndex, type IndexHeader, type IndexedVersion, type PathIndexData } from '../history/path-index.js';
import type { ManifestEntry } from '../tree/manifest.js';
import type { ProviderName, SnapshotRecord } from '../../shared/model.js';
import type { FileHistoryView, FileMatch, SnapshotRef } from '../../shared/api.js';
import type { EntryChanges, SnapshotProvider } from '../providers/provider.js';
import type { Trace } from '../base/trace.js';
import { catchUp, covers, headerOf, newestFirstRecord, type IndexKeeper, type IndexState } from './index-catch-up.js';

// Over 400 lines: the path index's keeper is one class over one file format (read, fold in the log, compact);
// its catch-up from snapshots (walked, or btrfs/ZFS changesBetween) is in index-catch-up.ts.

export interface HistoryDeps {
  layout: HomeLayout;
  store: SnapshotStore;
  provider: (name: ProviderName) => SnapshotProvider;
  /** Runs `fn` holding the folder's lock (the one creates and deletes hold while they update the index). */
  lock: <T>(target: string, fn: () => Promise<T>) => Promise<T>;
  /** Told how each snapshot a query catches up with was read: from the filesystem's difference, or walked and why. */
  trace?: Trace;
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
/** Creates whose deltas the log holds before a create writes the index again with them folded in. */
const COMPACT_AT = 64;

/**
 * Finds files across a folder's snapshots through the folder's path index (history/path-index.ts), kept in
 * the state folder's `paths/`. A create appends what it changed to the index's log (`<key>.log.ndjson`)
 * rather than rewrite the index (a 20,000-path index costs 0.25-0.5 s to parse and write again); queries
 * fold the log in, and the index is written again, the log emptied, every COMPACT_AT creates, on a delete
 * or when a query catches up. A query checks that index and log cover exactly the folder's snapshots (by
 * id) and catches up from the snapshots themselves when they do not, so a missing, stale or damaged index
 * (kept aside) is mended by the next query.
 */
export class FileHistory {
  private cache: { file: string; key: string; text: string; header: IndexHeader } | null = null;
  private parsedCache: { text: string; log: string; index: PathIndexData } | null = null;
  readonly notices: string[] = [];

  /** The index's files, for the catch-up (index-catch-up.ts). */
  private readonly keeper: IndexKeeper = {
    readState: (target) => this.readState(target),
    loadParsed: (target) => this.loadParsed(target),
    write: (index) => this.write(index),
    compactLog: (target) => this.compactLog(target),
    logFile: (target) => this.logFile(target),
  };

  constructor(private readonly deps: HistoryDeps) {}

  private file(target: string): string {
    return path.join(this.deps.layout.root, 'paths', `${targetKey(target)}.ndjson`);
  }

  private logFile(target: string): string {
    return path.join(this.deps.layout.root, 'paths', `${targetKey(target)}.log.ndjson`);
  }

  /**
   * A new snapshot's entries, and the snapshot it was compared with (`base`); the caller holds the folder's
   * lock. Appends to the log; `compact: false` (a rollback's safety snapshot) never rewrites the index.
   */
  async added(record: SnapshotRecord, entries: readonly ManifestEntry[], base: { id: string; entries: readonly ManifestEntry[]; changes?: EntryChanges } | null, options: { compact?: boolean } = {}): Promise<void> {
    // Only whether the index is there: reading it (25 MB at 1,000 snapshots) is what the log saves; a damaged
    // one is found, kept aside and rebuilt (its log with it) by the next query.
    const main = await stat(this.file(record.target)).catch(() => null);
    if (!main?.isFile()) {
      if (options.compact === false) return;
      // No index yet (or a damaged one): one holding this snapshot; the next query adds the others.
      const index = (await this.loadParsed(record.target)) ?? emptyIndex(record.target);
      addSnapshot(index, record.id, entries);
      await this.write(index);
      return;
    }
    const log = this.logFile(record.target);
    // Never through a link put in its place: the log is appended to where it is, or not at all.
    await appendFile(log, serialiseDelta(makeDelta(record.target, record.id, entries, base)), { mode: 0o600, flag: fsConstants.O_WRONLY | fsConstants.O_APPEND | fsConstants.O_CREAT | fsConstants.O_NOFOLLOW });
    if (options.compact === false) return;
    await this.compactLog(record.target);
  }

  /** Deleted snapshots; the caller holds the folder's lock. An index that is not there is built later. */
  async removed(target: string, ids: readonly string[]): Promise<void> {
    const hadLog = await stat(this.logFile(target)).then(() => true, () => false);
    const index = await this.loadParsed(target);
    if (!index) { if (hadLog) await rm(this.logFile(target), { force: true }); return; }
    // With a log, written even when no id was covered: the log is folded in first, so no delta is left
    // built on a snapshot that is gone.
    if (removeSnapshots(index, ids) || hadLog) await this.write(index);
  }

  /** Every distinct version of `rel` in the folder's snapshots, newest first, and where it was deleted. */
  async history(target: string, rel: string): Promise<FileHistoryView> {
    const { text, main, deltas, records } = await this.fresh(target);
    const name = await this.nameIn(target, rel);
    const line = findPathLine(text, name);
    if (line === null) { await this.damagedLine(target); return this.history(target, rel); }
    // The log folded into this one path's line only: the other lines are never parsed.
    const one: PathIndexData = { ...headerOf(main), version: 1, snapshots: new Map(main.snapshots), skipped: new Map(main.skipped), paths: new Map(line ? [[name, line]] : []) };
    for (const d of deltas) applyDelta(one, d, name);
    const found = one.paths.get(name);
    const live = liveOf(one, records);
    const versions = (found ?? []).map((v) => ({ v, holders: liveSeqs(v, new Set(live.keys())).map((s) => live.get(s)).filter((r): r is SnapshotRecord => r !== undefined).sort(newestFirstRecord) }))
      .filter((x) => x.holders.length > 0)
      .sort((a, b) => newestFirstRecord(a.holders[0] as SnapshotRecord, b.holders[0] as SnapshotRecord));
    const skipped = skippedOf(one, records);
    if (versions.length === 0) {
      throw new SnapctlError('not-found', `${shownName(name)} ${live.size === 1 ? 'is not in the one snapshot' : `is in none of the ${live.size} snapshots`} of ${target}${skipped.length ? ` that could be read (${skipped.length} skipped: ${skipped.map((s) => s.id).join(', ')})` : ''}`, `'snapctl find "*${path.posix.basename(shownName(name))}*" --path ${target}' finds names like it`);
    }
    const present = new Set<string>();
    for (const x of versions) for (const r of x.holders) present.add(r.id);
    const deletions: SnapshotRef[] = [];
    let leftOut = 0;
    let before = false;
    const leavesOut = leftOutBy(name);
    for (const r of [...live.values()].sort((a, b) => -newestFirstRecord(a, b))) {
      const here = present.has(r.id);
      // A snapshot that excluded the path never looked at it: its absence there is no deletion.
      if (!here && (await leavesOut(r))) { leftOut++; continue; }
      if (before && !here) deletions.push(ref(r));
      before = here;
    }
    const now = await standingNow(target, name);
    const current = now === null ? -1 : await heldNow(path.join(target, name), versions.map((x) => x.v), now);
    return {
      target, path: name,
      versions: versions.map(({ v, holders }) => ({
        type: v.type, size: v.type === 'file' ? v.size : null, mtime: isoOfNs(v.mtimeNs), mode: v.mode, snapshots: holders.map(ref),
        knownBy: ref(holders.find((r) => r.trigger !== 'safety') ?? holders[0] as SnapshotRecord),
      })),
      deletions: deletions.reverse(), deletedNow: now === null, currentVersion: current < 0 ? null : current, excludedIn: leftOut, skipped,
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
      // Deleted is what the folder holds now, not the newest snapshot: a file deleted a minute ago is gone,
      // and one brought back by a restore is not, whatever the snapshots say until the next one.
      const match: FindResult['matches'][number] = { path: p, type: latestType, deleted: (await lstatNow(target, p)) === null, versions: kept, count: held.length, newest: newest?.createdAt ?? '' };
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

  /**
   * What `record` holds as the folder's path index keeps it (caught up first): each path with the version key
   * the snapshot gave it, so a tree file keeps its inode. Null where the index cannot give it back (clone's
   * content hashes, a snapshot it skipped). What `changesBetween` takes as `olderEntries` (a rollback's preview).
   */
  async snapshotEntries(record: SnapshotRecord): Promise<ManifestEntry[] | null> {
    const { index } = await this.parsed(record.target);
    return entriesAt(index, record.id);
  }

  /** Whether any snapshot of the folder holds `rel` (false when the folder has none). */
  async holds(target: string, rel: string): Promise<boolean> {
    return this.parsed(target).then(({ index }) => index.paths.has(rel), () => false);
  }

  /** The name the index knows `rel` by: itself, or the name whose bytes a terminal showed or passed as text. */
  async nameIn(target: string, rel: string): Promise<string> {
    if (!/\\x[89a-f][0-9a-f]|\ufffd/i.test(rel)) return rel;
    const { index } = await this.parsed(target);
    const literal = index.paths.has(rel);
    const exact = [...index.paths.keys()].find((p) => p !== rel && shownName(p) === rel);
    // A name holding a real backslash and x ('lit\xe9') is shown as a name with a byte that is not UTF-8 is:
    // typed, it could be either, so neither is guessed.
    if (literal && exact !== undefined) throw usageError(`${rel} names two files: one with a backslash in its name and one with a byte that is not UTF-8`, `for the one that is not UTF-8, give its byte itself (in a shell: "$(printf '${rel.replace(/'/g, '')}')")`);
    if (literal) return rel;
    if (exact !== undefined) return exact;
    // A terminal hands a name that is not UTF-8 over as text, each bad byte a U+FFFD: café and cafè in
    // Latin-1 arrive as the same text, so a name it fits together with another is refused, never guessed.
    const fits = [...index.paths.keys()].filter((p) => toBytes(p).toString('utf8') === rel);
    if (fits.length > 1) throw usageError(`${shownName(rel)} could be any of ${fits.length} names that are not UTF-8: ${fits.map((p) => `'${shownName(p)}'`).join(', ')}`, 'type the one you mean as it is shown, with its \\x escapes');
    return fits[0] ?? rel;
  }

  /** Writes one version of a file beside the folder's: its bytes, mode and mtime, never through a link. */
  async restoreTo(record: SnapshotRecord, rel: string, dest: string, options: { force: boolean; within?: string }): Promise<{ written: string; size: number }> {
    const name = await this.nameIn(record.target, rel);
    const got = await this.deps.provider(record.provider).readFile(record, name, MAX_READ);
    if (got.kind !== 'file') throw notAFile(record, name, got.kind === 'not-a-file' ? got.type : got.kind);
    let out = path.resolve(dest);
    let st = await lstat(fsPath(out)).catch(nullIfMissing);
    // A folder, or a link to one (as cp and mv take it), gets the file inside under its own name.
    if (st?.isDirectory() || (st?.isSymbolicLink() && (await stat(out).catch(nullIfMissing))?.isDirectory())) {
      out = path.join(await realpath(out), path.posix.basename(name));
      st = await lstat(fsPath(out)).catch(nullIfMissing);
    } else if (/\/\.?$/.test(dest)) {
      throw usageError(`the folder ${dest} does not exist`, 'make it first, or choose another place');
    }
    const dir = path.dirname(out);
    const parent = await stat(dir).catch(nullIfMissing);
    if (!parent?.isDirectory()) throw usageError(`the folder ${dir} does not exist`, 'make it first, or choose another place');
    if (options.within !== undefined && !isWithin(options.within, await realpath(dir))) throw usageError(`${shownName(out)} is not inside ${options.within}`);
    if (isWithin(this.deps.layout.root, await realpath(dir))) throw usageError(`${shownName(out)} is inside snapctl's own data folder`, 'choose a place outside it');
    // A device, a pipe or a socket is never replaced by a file (as root, --to /dev/null would take the system's).
    if (st && !st.isFile() && !st.isSymbolicLink() && !st.isDirectory()) throw usageError(`${shownName(out)} is ${st.isFIFO() ? 'a named pipe' : st.isSocket() ? 'a socket' : 'a device'}: nothing was written`, 'choose a file or a folder');
    if (st && !options.force) throw usageError(`${shownName(out)} already exists${st.isSymbolicLink() ? ' (a symbolic link)' : ''}: nothing was written`, 'choose another place, or pass --force to replace it (a link is replaced, never written through)');
    if (st?.isDirectory()) throw usageError(`${shownName(out)} is a folder: nothing was written`);
    const tmp = fsPath(path.join(dir, `.${path.basename(out)}.snapctl-${nodeCrypto().randomBytes(6).toString('hex')}`));
    const handle = await open(tmp, 'wx', 0o600);
    try {
      try {
        await handle.writeFile(got.bytes);
        // The mode of this snapshot's copy (an index version is shared by every snapshot with the same bytes),
        // as the copy's owner may have it: the file is made by whoever runs this, not by the recorded owner.
        const made = await handle.stat();
        await handle.chmod(copyMode(got.mode, got, made));
        await handle.sync();
      } finally {
        await handle.close();
      }
      await utimes(tmp, new Date(), nsToSeconds(got.mtimeNs));
      // A rename replaces whatever stands at `out`, a link included, and never writes through it.
      await rename(tmp, fsPath(out));
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
    return { written: out, size: got.size };
  }

  /** The bytes of `rel` in `record`, or a clear error when it is not a file there. */
  async read(record: SnapshotRecord, rel: string): Promise<Buffer> {
    // Without an index (it cannot be built) the name is taken as given; a name that fits several is refused.
    const name = await this.nameIn(record.target, rel).catch((err: unknown) => { if (err instanceof SnapctlError && err.kind === 'usage') throw err; return rel; });
    const got = await this.deps.provider(record.provider).readFile(record, name, MAX_READ);
    if (got.kind !== 'file') throw notAFile(record, name, got.kind === 'not-a-file' ? got.type : got.kind);
    return got.bytes;
  }

  /**
   * The index text and its log's deltas, covering exactly the folder's snapshots (caught up first when they
   * do not). `header` is the index's with the deltas folded in.
   */
  private async fresh(target: string): Promise<IndexState & { records: SnapshotRecord[] }> {
    const records = await this.recordsOf(target);
    if (records.length === 0) throw await this.noSnapshots(target);
    const state = await this.readState(target);
    if (state && covers(state.header, records)) return { ...state, records };
    await this.deps.lock(target, async () => catchUp(this.keeper, this.deps, target, await this.recordsOf(target)));
    const done = await this.readState(target);
    if (!done) throw new SnapctlError('failed', `the path index of ${target} could not be written`);
    return { ...done, records: await this.recordsOf(target) };
  }

  /** Writes the index whole again, the log folded in, once the log holds COMPACT_AT snapshots. */
  private async compactLog(target: string): Promise<void> {
    const text = await readFile(this.logFile(target), 'utf8').catch(nullIfMissing);
    if (text !== null && countLines(text) >= COMPACT_AT) {
      const index = await this.loadParsed(target);
      if (index) await this.write(index);
    }
  }

  /** The index (text, header) and the deltas of its log that fold in; null when there is no whole index. */
  private async readState(target: string): Promise<IndexState | null> {
    const main = await this.readCached(target);
    if (!main) return null;
    const log = (await readFile(this.logFile(target), 'utf8').catch(() => null)) ?? '';
    const deltas = parseLog(log, target);
    if (deltas.length === 0) return { text: main.text, main: main.header, header: main.header, deltas, log };
    // The header with the deltas' snapshots: what index and log cover together.
    const folded: PathIndexData = { ...headerOf(main.header), version: 1, snapshots: new Map(main.header.snapshots), paths: new Map() };
    const applied = deltas.filter((d) => applyDelta(folded, d, ''));
    return { text: main.text, main: main.header, header: headerOf(folded), deltas: applied, log };
  }

  private async parsed(target: string): Promise<{ index: PathIndexData; header: IndexHeader; records: SnapshotRecord[] }> {
    const { text, header, deltas, log, records } = await this.fresh(target);
    const c = this.parsedCache;
    if (c && c.text === text && c.log === log) return { index: c.index, header, records };
    const index = parseIndex(text);
    if (!index) return this.parsed(await this.damagedLine(target));
    for (const d of deltas) applyDelta(index, d);
    this.parsedCache = { text, log, index };
    return { index, header, records };
  }

  /** Why a folder without snapshots has no history: none taken, or the folder named is inside one that has. */
  private async noSnapshots(target: string): Promise<SnapctlError> {
    const holder = [...new Set((await this.deps.store.read()).snapshots.map((s) => s.target))].filter((t) => t !== target && isWithin(t, target)).sort((a, b) => b.length - a.length)[0];
    if (holder) return usageError(`snapctl has no snapshots of ${target}: it is inside ${holder}, which has`, `pass --path ${holder}`);
    return new SnapctlError('not-found', `snapctl has no snapshots of ${target}`, `take one with 'snapctl create --path ${target}'`);
  }

  /** A damaged line found by a query: the file is kept aside and the index rebuilt. */
  private async damagedLine(target: string): Promise<string> {
    await this.deps.lock(target, async () => {
      const file = this.file(target);
      const text = await readFile(file, 'utf8').catch(nullIfMissing);
      if (text !== null && parseIndex(text) === null) this.notices.push(`the path index ${file} was damaged; it was kept as ${await quarantine(file)} and rebuilt from the snapshots`);
    });
    this.cache = null;
    this.parsedCache = null;
    return target;
  }

  /** The folder's snapshots an index covers: every one whose data exists. */
  private async recordsOf(target: string): Promise<SnapshotRecord[]> {
    return (await this.deps.store.read()).snapshots.filter((s) => s.target === target && s.state !== 'vanished');
  }

  /** The index file when it is whole and of this folder; null otherwise (missing, damaged, unreadable). */
  private async readCached(target: string): Promise<{ text: string; header: IndexHeader } | null> {
    const file = this.file(target);
    const st = await stat(file, { bigint: true }).catch(() => null);
    if (!st?.isFile()) return null;
    const key = `${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}`;
    if (this.cache?.file === file && this.cache.key === key) return this.cache;
    const text = await readFile(file, 'utf8').catch(() => null);
    const header = text === null ? null : parseHeader(text);
    if (text === null || header === null || header.target !== target) return null;
    this.cache = { file, key, text, header };
    return this.cache;
  }

  /** The index as it is on disk with its log folded in; a damaged one is kept aside (null: build it again). */
  private async loadParsed(target: string): Promise<PathIndexData | null> {
    const file = this.file(target);
    const text = await readFile(file, 'utf8').catch((err: unknown) => (errnoCode(err) === 'ENOENT' ? null : DAMAGED));
    if (text === null) return null;
    const index = text === DAMAGED ? null : parseIndex(text);
    if (index && index.target === target) {
      const log = await readFile(this.logFile(target), 'utf8').catch(() => '');
      for (const d of parseLog(log, target)) applyDelta(index, d);
      return index;
    }
    this.notices.push(`the path index ${file} was damaged; it was kept as ${await quarantine(file)} and rebuilt from the snapshots`);
    return null;
  }

  /** The index written whole; the log, folded into it, is emptied. */
  private async write(index: PathIndexData): Promise<void> {
    const file = this.file(index.target);
    await mkdirPrivate(path.dirname(file));
    // No fsync: the index is rebuilt from the snapshots whenever it is lost or damaged.
    await writeFileAtomic(file, serialiseIndex(index), { fsync: false });
    // After the index: a log left by a kill here holds only snapshots the index has, which fold in as nothing.
    await rm(this.logFile(index.target), { force: true });
  }
}

/** What a read of the index file gives when it is there but cannot be read as a file (a folder, say). */
const DAMAGED = '\0damaged';

function countLines(text: string): number {
  let n = 0;
  for (let at = text.indexOf('\n'); at >= 0; at = text.indexOf('\n', at + 1)) n++;
  return n;
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

/** Whether a snapshot left `rel` out (its excludes, a folder holding a CACHEDIR.TAG); one filter per set of excludes. */
function leftOutBy(rel: string): (r: SnapshotRecord) => Promise<boolean> {
  const answers = new Map<string, boolean>();
  return async (r) => {
    if (!r.excluded) return false;
    const key = JSON.stringify(r.excluded);
    let known = answers.get(key);
    if (known === undefined) {
      known = (await leaveAloneFilter([r.excluded]))?.(rel) ?? false;
      answers.set(key, known);
    }
    return known;
  };
}

/**
 * The mode a copy of a file gets, as cp without -p gives it: set-uid and set-gid only when the copy's owner
 * is the owner the snapshot recorded (root's copy of another user's set-uid tool would run as root, whoever
 * starts it), set-gid only with the recorded group too, and never the sticky bit, which a file has no use for.
 */
export function copyMode(mode: number, recorded: { uid?: number | undefined; gid?: number | undefined }, copy: { uid: number; gid: number }): number {
  let out = mode & 0o6777;
  if (recorded.uid !== copy.uid) out &= ~0o6000;
  else if (recorded.gid !== copy.gid) out &= ~0o2000;
  return out;
}

/** The largest file whose bytes `history` hashes to tell the version held now (a larger one is judged by size and mtime). */
const HASH_NOW_MAX = 256 * 1024 * 1024;

/** What stands at `rel` in the folder now, as lstat tells it; null when nothing does. */
function lstatNow(target: string, rel: string): Promise<BigIntStats | null> {
  return lstat(fsPath(path.join(target, rel)), { bigint: true }).catch(() => null);
}

/** What stands at `rel` in the folder now, in the index's terms; null when nothing does. */
async function standingNow(target: string, rel: string): Promise<{ type: IndexedVersion['type']; size: number; mtimeNs: string; link: string | null } | null> {
  const st = await lstatNow(target, rel);
  if (!st) return null;
  const at = fsPath(path.join(target, rel));
  const type = st.isDirectory() ? 'dir' : st.isSymbolicLink() ? 'symlink' : 'file';
  const link = type === 'symlink' ? await readlink(at, { encoding: 'buffer' }).then(fromBytes, () => null) : null;
  return { type, size: Number(st.size), mtimeNs: st.mtimeNs.toString(), link };
}

/**
 * Which of `versions` (newest first) the folder holds now, or -1. Where the snapshots keep the content's hash
 * (clone), the bytes decide among those of the same size and mtime: a file rewritten with its mtime set back
 * is not the version it imitates, and may well be an older one with that size and mtime. The file is hashed
 * once, and only when such a version is there.
 */
async function heldNow(abs: string, versions: readonly IndexedVersion[], now: NonNullable<Awaited<ReturnType<typeof standingNow>>>): Promise<number> {
  // In the kind each recorded hash is in (a large file with holes has the blocks hash), once per kind.
  const bytes = new Map<HashKind, Promise<string | null>>();
  for (const [i, v] of versions.entries()) {
    if (!sameAsNow(v, now)) continue;
    if (!v.key.startsWith('h:') || v.size > HASH_NOW_MAX) return i;
    const recorded = v.key.slice(2);
    const kind = hashKindOf(recorded);
    let hashed = bytes.get(kind);
    if (!hashed) {
      hashed = hashFile(fsPath(abs), { flags: fsConstants.O_RDONLY | fsConstants.O_NOFOLLOW, kind }).catch(() => null);
      bytes.set(kind, hashed);
    }
    if ((await hashed) === recorded) return i;
  }
  return -1;
}

/** The version the folder holds now: a file of the same size and mtime (as make and git judge it), the same link, a folder. */
function sameAsNow(v: IndexedVersion, now: NonNullable<Awaited<ReturnType<typeof standingNow>>>): boolean {
  if (v.type !== now.type) return false;
  if (v.type === 'dir') return true;
  if (v.type === 'symlink') return now.link !== null && v.key === `l:${now.link}`;
  // Within a microsecond: a restore sets the mtime through a double, which does not carry every nanosecond.
  const apart = BigInt(v.mtimeNs) - BigInt(now.mtimeNs);
  return v.size === now.size && apart < 1000n && apart > -1000n;
}

function isoOfNs(ns: string): string {
  return new Date(Number(BigInt(ns) / 1_000_000n)).toISOString();
}

function notAFile(record: SnapshotRecord, name: string, kind: string): SnapctlError {
  const what = kind === 'dir' ? 'a folder' : kind === 'symlink' ? 'a symbolic link' : kind === 'missing' ? 'not there' : kind === 'too-large' ? 'too large to read at once' : 'not a regular file';
  return new SnapctlError(kind === 'missing' ? 'not-found' : 'usage', `${shownName(name)} is ${what} in snapshot ${record.id}${kind === 'missing' ? '' : ': there are no file bytes to give'}`, `'snapctl history ${shownName(name)}' lists the snapshots that hold it`);
}

/**
 * The path of `input` relative to the deepest of `targets` holding it; the file itself need not exist. `named`:
 * the one target is the folder the user named (--path), so a path outside it is said to be outside it.
 */
export async function locateFile(input: string, cwd: string, targets: readonly string[], options: { named?: boolean } = {}): Promise<{ target: string; rel: string; typed?: string }> {
  if (input === '' || input.includes('\0')) throw usageError('a file path is required');
  const abs = path.resolve(cwd, input);
  const real = path.join(await realpathOfNearest(path.dirname(abs)), path.basename(abs));
  if (targets.includes(abs) || targets.includes(real)) throw usageError(`${input} is the watched folder itself, not a file in it`, "name a file inside it; 'snapctl find' lists them");
  // The real path first: a link inside the folder (src -> lib) leads to the file the snapshots hold as lib/...
  const holding = [real, abs].flatMap((p) => targets.filter((t) => isWithin(t, p)).map((t) => ({ t, p }))).sort((a, b) => b.t.length - a.t.length)[0];
  if (!holding && options.named) throw usageError(`${input} is not inside ${targets[0] ?? 'the folder'}`, 'give a path inside that folder: relative to it, or absolute');
  if (!holding) throw usageError(`${input} is not inside a folder snapctl has snapshots of`, 'pass --path DIR to name the folder, or run the command inside it');
  const rel = path.relative(holding.t, holding.p).split(path.sep).join('/');
  if (!isSafeRelativePath(rel)) throw usageError(`invalid path: ${input}`);
  // The path as typed, when a link now on the way makes it another: the snapshots may hold it under this name.
  const typed = holding.p !== abs && isWithin(holding.t, abs) ? path.relative(holding.t, abs).split(path.sep).join('/') : undefined;
  return { target: holding.t, rel, ...(typed !== undefined && typed !== rel && isSafeRelativePath(typed) ? { typed } : {}) };
}

async function realpathOfNearest(p: string): Promise<string> {
  const real = await realpath(p).catch(() => null);
  if (real !== null) return real;
  const parent = path.dirname(p);
  return parent === p ? p : path.join(await realpathOfNearest(parent), path.basename(p));
}
