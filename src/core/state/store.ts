import { readFile, rename, stat } from 'node:fs/promises';
import { mkdirPrivate } from '../base/private-fs.js';
import path from 'node:path';
import { writeFileAtomic } from './atomic-write.js';
import { SnapctlError, describeError, nullIfMissing } from '../base/errors.js';
import { withLock } from './locks.js';
import { type HomeLayout } from './paths.js';
import { emptyStore, newestFirst, type SnapshotRecord, type StoreFile } from '../../shared/model.js';
import { checkStoreFile } from './store-file.js';
import { plural } from '../../shared/format.js';

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
 */
export class SnapshotStore {
  /** The last file read, by identity: a write is an atomic rename, so a new inode means new contents. */
  private cache: { key: string; store: StoreFile } | null = null;
  /** What a rebuild did, for the command to tell the user. */
  readonly notices: string[] = [];

  constructor(readonly layout: HomeLayout, private readonly source: IndexSource | null = null) {}

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
        return parseStore(text, file);
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
    await writeFileAtomic(this.layout.storeFile, JSON.stringify(store, null, 1) + '\n', { fsync: true });
    this.notices.push(`${notice} (${plural(store.snapshots.length, 'snapshot')})`);
    for (const file of damaged) this.notices.push(`${file} is damaged and could not be read; the file is kept (a snapshot whose own record it was is listed from its data, without its tag)`);
    return store;
  }

  /** Runs `fn` on the current contents under the store lock, without writing: nothing else commits meanwhile. */
  async withLock<T>(fn: (store: StoreFile) => Promise<T>): Promise<T> {
    await mkdirPrivate(this.layout.root);
    return withLock(this.lockPath, { waitMs: 60_000, what: 'the snapshot store' }, async () => fn(await this.readLocked()));
  }

  /** Applies `change` to the current contents under the store lock and writes the result atomically. */
  async update<T>(change: (store: StoreFile) => T | Promise<T>): Promise<T> {
    return this.withLock(async (store) => {
      const result = await change(store);
      await writeFileAtomic(this.layout.storeFile, JSON.stringify(store, null, 1) + '\n', { fsync: true });
      return result;
    });
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
