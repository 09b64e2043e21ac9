import { mkdir, readFile, rename, stat } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from './atomic-write.js';
import { SnapctlError, nullIfMissing } from '../base/errors.js';
import { withLock } from './locks.js';
import { type HomeLayout } from './paths.js';
import { emptyStore, type StoreFile } from '../../shared/model.js';
import { checkStoreFile } from './store-file.js';

/**
 * The snapshot records, in one JSON file. Readers never lock (writes are atomic renames, so a reader sees
 * the old or the new file, never half of one); writers take the store lock for read-modify-write so that
 * concurrent creates from the CLI, the scheduler and the popover all land.
 */
export class SnapshotStore {
  /** The last file read, by identity: a write is an atomic rename, so a new inode means new contents. */
  private cache: { key: string; store: StoreFile } | null = null;

  constructor(readonly layout: HomeLayout) {}

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
    if (st === null) return emptyStore();
    const key = `${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}`;
    if (this.cache?.key === key) return this.cache.store;
    const store = await this.readFresh();
    this.cache = { key, store };
    return store;
  }

  private async readFresh(): Promise<StoreFile> {
    const text = await readFile(this.layout.storeFile, 'utf8').catch(nullIfMissing);
    return text === null ? emptyStore() : parseStore(text, this.layout.storeFile);
  }

  /** Runs `fn` on the current contents under the store lock, without writing: nothing else commits meanwhile. */
  async withLock<T>(fn: (store: StoreFile) => Promise<T>): Promise<T> {
    await mkdir(this.layout.root, { recursive: true });
    return withLock(this.lockPath, { waitMs: 60_000, what: 'the snapshot store' }, async () => fn(await this.readFresh()));
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
    `nothing was changed; move it aside (the snapshot data under ${path.dirname(file)} is kept) or restore it from a backup`,
  );
}

/** Moves a damaged file aside with a timestamp so that nothing is lost when defaults replace it. */
export async function quarantine(file: string): Promise<string> {
  const aside = `${file}.corrupt-${new Date().toISOString().replace(/[:.]/g, '-')}`;
  await rename(file, aside);
  return aside;
}
