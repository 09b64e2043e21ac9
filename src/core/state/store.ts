import { constants as fsc } from 'node:fs';
import { open, readFile, rename, stat } from 'node:fs/promises';
import { mkdirPrivate } from '../base/private-fs.js';
import path from 'node:path';
import { writeFileAtomic } from './atomic-write.js';
import { SnapctlError, describeError, nullIfMissing } from '../base/errors.js';
import { withLock } from './locks.js';
import { type HomeLayout } from './paths.js';
import { emptyStore, newestFirst, type SnapshotRecord, type StoreFile } from '../../shared/model.js';
import { checkStoreFile } from './store-file.js';
import { plural } from '../../shared/format.js';
import { PRIVATE_FILE_MODE } from '../base/private-fs.js';
import { SpaceReserve, isNoSpace } from './space-reserve.js';

/** Where the index is rebuilt from: every snapshot's own record (see RecordFiles and the providers). */
export type IndexSource = () => Promise<{ records: SnapshotRecord[]; damaged: string[] }>;

/**
 * The index of snapshot records, in one JSON file. Readers never lock (writes are atomic renames, so a reader
 * sees the old or the new file, never half of one); writers take the store lock for read-modify-write so
 * that concurrent creates from the CLI, the scheduler and the popover all land.
 *
 * The snapshots are the truth: each carries its own record beside its data, so an index that is missing,
 * damaged or not JSON at all is rebuilt from them by the next command (under the store lock, which garbage
 * collection also holds), the damaged file kept aside. Rollback history is not in the snapshots and starts
 * empty again.
 *
 * Each index written carries a generation, also kept in a file of its own (store.generation): an index older
 * than the last one written (a copy put back by hand, a backup of it restored alone) is found on the next read,
 * and the snapshots it does not know, found beside their data, are listed again and named.
 */
export class SnapshotStore {
  /** The last file read, by identity: a write is an atomic rename, so a new inode means new contents. */
  private cache: { key: string; store: StoreFile } | null = null;
  /** What a rebuild did, for the command to tell the user. */
  readonly notices: string[] = [];

  private readonly reserve: SpaceReserve;

  constructor(readonly layout: HomeLayout, private readonly source: IndexSource | null = null) {
    this.reserve = new SpaceReserve(layout.reserveFile);
  }

  private get lockPath(): string {
    return path.join(this.layout.locksDir, 'store.lock');
  }

  /**
   * The current records. The result is shared with later reads of the same file and must not be changed;
   * `update` reads afresh under the lock. Re-reading an unchanged file costs one stat, which matters for
   * commands that read it twice (reconcile, then list) with 10,000 records.
   */
  async read(): Promise<StoreFile> {
    const file = this.layout.storeFile;
    const st = await stat(file, { bigint: true }).catch(nullIfMissing);
    // No state folder at all is a new user: nothing to rebuild, and a listing must not make one.
    if (st === null) return this.source && (await stat(this.layout.root).catch(nullIfMissing)) ? this.withLock(async (store) => store) : emptyStore();
    const key = `${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}`;
    if (this.cache?.key === key) return this.cache.store;
    let store: StoreFile;
    try {
      store = parseStore(await readFile(file, 'utf8'), file);
    } catch (err) {
      if (!(err instanceof SnapctlError && err.kind === 'corrupt') || !this.source) throw err;
      return this.withLock(async (rebuilt) => rebuilt);
    }
    if (this.source && (store.generation ?? 0) < (await this.lastGeneration())) return this.withLock(async (mended) => mended);
    this.cache = { key, store };
    return store;
  }

  async exists(): Promise<boolean> {
    return (await stat(this.layout.storeFile).catch(nullIfMissing)) !== null;
  }

  /** The index as it is on disk, rebuilt first if it is missing or damaged; the caller holds the store lock. */
  private async readLocked(): Promise<StoreFile> {
    const file = this.layout.storeFile;
    const text = await readFile(file, 'utf8').catch(nullIfMissing);
    if (text !== null) {
      try {
        const store = parseStore(text, file);
        const last = this.source ? await this.lastGeneration() : 0;
        return (store.generation ?? 0) < last ? await this.putBack(store, last) : store;
      } catch (err) {
        if (!this.source) throw err;
        const aside = await quarantine(file);
        return this.rebuild(`the snapshot index ${file} was damaged (${err instanceof Error ? err.message : describeError(err)}); it was kept as ${aside} and rebuilt from the snapshots`);
      }
    }
    return this.source ? this.rebuild(`the snapshot index ${file} was missing; it was rebuilt from the snapshots`) : emptyStore();
  }

  private async rebuild(notice: string): Promise<StoreFile> {
    const store = emptyStore();
    const { records, damaged } = await (this.source ?? (async () => ({ records: [], damaged: [] })))();
    store.snapshots = records.sort((a, b) => -newestFirst(a, b));
    // A missing index and no snapshot anywhere is a new state folder: nothing to write or say.
    if (store.snapshots.length === 0 && damaged.length === 0 && notice.includes('was missing')) return store;
    await this.write(store);
    this.notices.push(`${notice} (${plural(store.snapshots.length, 'snapshot')})`);
    for (const file of damaged) this.notices.push(`${file} is damaged and could not be read; the file is kept (a snapshot whose own record it was is listed from its data, without its tag)`);
    return store;
  }

  /** Runs `fn` on the current contents under the store lock, without writing: nothing else commits meanwhile. */
  async withLock<T>(fn: (store: StoreFile) => Promise<T>): Promise<T> {
    await mkdirPrivate(this.layout.root, { mayBeLink: true });
    await this.layout.assertFolders();
    return withLock(this.lockPath, { waitMs: 60_000, what: 'the snapshot store' }, async () => fn(await this.readLocked()));
  }

  /**
   * Applies `change` to the current contents under the store lock and writes the result atomically.
   * `givesSpaceBack`: a deletion, which may use the reserve on a full disk (see SpaceReserve).
   */
  async update<T>(change: (store: StoreFile) => T | Promise<T>, options: { givesSpaceBack?: boolean } = {}): Promise<T> {
    return this.withLock(async (store) => {
      const result = await change(store);
      await this.write(store, options.givesSpaceBack ?? false);
      return result;
    });
  }

  /** Grows the reserve back once a deletion has freed space (never fails). */
  async keepReserve(): Promise<void> {
    const st = await stat(this.layout.storeFile).catch(() => null);
    if (st) await this.reserve.keep(st.size);
  }

  private async write(store: StoreFile, givesSpaceBack = false): Promise<void> {
    store.generation = Math.max(store.generation ?? 0, await this.lastGeneration()) + 1;
    const text = JSON.stringify(store, null, 1) + '\n';
    try {
      await writeFileAtomic(this.layout.storeFile, text, { fsync: true });
    } catch (err) {
      // A full disk: a deletion, which frees far more than it writes, takes the reserve for its record.
      if (!givesSpaceBack || !isNoSpace(err) || !(await this.reserve.release().catch(() => false))) throw err;
      await writeFileAtomic(this.layout.storeFile, text, { fsync: true });
    }
    await this.writeGeneration(store.generation);
    await this.reserve.keep(Buffer.byteLength(text));
  }

  /** The generation of the last index written; 0 when none was counted. */
  private async lastGeneration(): Promise<number> {
    const text = await readFile(this.layout.storeGenerationFile, 'utf8').catch(() => '');
    const n = Number.parseInt(text.trim(), 10);
    return Number.isSafeInteger(n) && n > 0 ? n : 0;
  }

  /**
   * Rewritten in place, at a fixed width: after the first write it needs no free space (the blocks are its
   * own), so it keeps counting on a full disk. Best effort: an index newer than its count is never suspect.
   */
  private async writeGeneration(generation: number): Promise<void> {
    const handle = await open(this.layout.storeGenerationFile, fsc.O_RDWR | fsc.O_CREAT | fsc.O_NOFOLLOW, PRIVATE_FILE_MODE).catch(() => null);
    if (!handle) return;
    await handle.write(`${String(generation).padStart(20, '0')}\n`, 0).catch(() => undefined);
    await handle.close().catch(() => undefined);
  }

  /**
   * An index older than the last one written: the snapshots it does not know, found beside their data, are
   * listed again (they exist, and their data would otherwise be collected as no snapshot's); those it lists
   * whose data is gone are named. The caller holds the store lock.
   */
  private async putBack(store: StoreFile, last: number): Promise<StoreFile> {
    const { records } = await (this.source ?? (async () => ({ records: [], damaged: [] })))();
    const known = new Set(store.snapshots.map((s) => s.id));
    const hidden = records.filter((r) => !known.has(r.id));
    const onDisk = new Set(records.map((r) => r.id));
    const gone = store.snapshots.filter((s) => !onDisk.has(s.id) && s.state !== 'vanished');
    store.snapshots = [...store.snapshots, ...hidden].sort((a, b) => -newestFirst(a, b));
    store.generation = last;
    // On a full disk the mended index is used now and written by a later command.
    await this.write(store).catch(() => undefined);
    const ids = (list: readonly { id: string }[]): string => `${list.slice(0, 5).map((r) => r.id).join(', ')}${list.length > 5 ? ', …' : ''}`;
    this.notices.push(`the snapshot index ${this.layout.storeFile} is older than the last one snapctl wrote (put back from a copy?)` +
      (hidden.length > 0 ? `: ${plural(hidden.length, 'snapshot')} it did not list ${hidden.length === 1 ? 'was' : 'were'} found beside ${hidden.length === 1 ? 'its' : 'their'} data and ${hidden.length === 1 ? 'is' : 'are'} listed again (${ids(hidden)})` : ': no snapshot was missing from it') +
      (gone.length > 0 ? `; ${plural(gone.length, 'snapshot')} it lists ${gone.length === 1 ? 'has' : 'have'} no data left (deleted since?): ${ids(gone)}; 'snapctl verify' checks them` : '') +
      '; rollbacks recorded since are not in it');
    return store;
  }
}

function parseStore(text: string, file: string): StoreFile {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw corruptStore(file, 'it is not valid JSON');
  }
  const checked = checkStoreFile(raw);
  if (!checked.ok) throw corruptStore(file, `${checked.where}: ${checked.why}`);
  return checked.store;
}

function corruptStore(file: string, why: string): SnapctlError {
  return new SnapctlError(
    'corrupt',
    `the snapshot store ${file} is unreadable: ${why}`,
    `nothing was changed; move it aside: the next command rebuilds it from the snapshots under ${path.dirname(file)}`,
  );
}

/** Moves a damaged file aside with a timestamp so that nothing is lost when defaults replace it. */
export async function quarantine(file: string): Promise<string> {
  const aside = `${file}.corrupt-${new Date().toISOString().replace(/[:.]/g, '-')}`;
  await rename(file, aside);
  return aside;
}
