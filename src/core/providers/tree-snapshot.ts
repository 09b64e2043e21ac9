import path from 'node:path';
import { compare, type DiffResult } from '../tree/compare.js';
import { fileEntry, treeEntry, type ContentSource, type FileEntry, type Manifest, type ManifestEntry, type PathFilter } from '../tree/manifest.js';
import { fsPath } from '../tree/names.js';
import { restore } from '../tree/restore.js';
import { walk } from '../tree/walk.js';
import type { SnapshotRecord } from '../../shared/model.js';
import { bothFilters } from '../tree/compare.js';
import { readTreeFile } from './snapshot-files.js';
import type { CreateRequest, CreatedSnapshot, Detection, ProviderCapabilities, ProviderDiffOptions, ProviderRestoreOptions, RestoreResult, SnapshotChangesOptions, SnapshotFile, SnapshotProvider, SnapshotReader } from './provider.js';
import type { ChangeHints } from './change-hints.js';
import { resolveChanges, type SnapshotChanges } from './snapshot-changes.js';

/** A read-only snapshot directory read in place: a file's bytes are at the same relative path inside it. */
export class DirectorySource implements ContentSource {
  constructor(readonly root: string) {}
  contentPath(entry: FileEntry): string | Buffer {
    return fsPath(path.join(this.root, entry.path));
  }
}

/** Describes a snapshot directory as a manifest, so the clone engine's restore and compare apply to it. */
export async function manifestFromTree(dir: string, id: string, target: string, exclude?: PathFilter): Promise<Manifest> {
  const { entries, skipped, notes } = await walk(dir, exclude ? { exclude } : {});
  return {
    version: 1, id, target, createdAt: new Date().toISOString(), problems: [...skipped, ...notes],
    // Contents are read from the directory itself (DirectorySource), so there is no pool object or hash. A
    // snapshot keeps its files' inode numbers and ctimes, so they tell an untouched file from a rewritten one.
    entries: entries.map((e) => (e.type === 'file' ? fileEntry(e, { oid: '', hash: null }) : treeEntry(e))),
  };
}

/** A snapshot's read-only view of the record's target folder, and how to let it go (unmount). */
export interface SnapshotView {
  dir: string;
  release: () => Promise<void>;
}

/**
 * Providers whose snapshots are read-only directory trees (btrfs, ZFS, APFS): rollback and diff read the
 * snapshot's view of the folder and use the same crash-safe, idempotent restore and the same compare as the
 * clone provider, so every provider behaves the same from the user's side.
 */
export abstract class TreeSnapshotProvider implements SnapshotProvider {
  abstract readonly name: SnapshotProvider['name'];
  abstract readonly capabilities: ProviderCapabilities;
  abstract detect(target: string): Promise<Detection>;
  abstract create(request: CreateRequest): Promise<CreatedSnapshot>;
  abstract remove(record: SnapshotRecord): Promise<void>;
  protected abstract open(record: SnapshotRecord): Promise<SnapshotView>;

  /** Paths inside the target that belong to the provider itself and must survive a rollback. */
  protected async exclude(_record: SnapshotRecord): Promise<PathFilter | undefined> {
    return undefined;
  }

  async settle(): Promise<void> { /* nothing is pending: the snapshot exists once create returns */ }
  async collectGarbage(): Promise<void> { /* removing a snapshot frees its space at once */ }

  async verify(record: SnapshotRecord): Promise<void> {
    await this.withView(record, async () => undefined);
  }

  async restore(record: SnapshotRecord, paths: string[] | null, options: ProviderRestoreOptions): Promise<RestoreResult> {
    return this.withView(record, async (dir, own) => {
      const exclude = bothFilters(bothFilters(own, options.exclude), options.leaveAlone);
      return restore(record.target, await manifestFromTree(dir, record.id, record.target, exclude), new DirectorySource(dir), paths, {
        token: options.token, ...(exclude ? { exclude } : {}), ...(options.protect ? { protect: options.protect } : {}),
        ...(options.live ? { walked: options.live } : {}), ...(options.plan ? { plan: options.plan } : {}),
      });
    });
  }

  async diff(record: SnapshotRecord, paths: string[] | null, options: ProviderDiffOptions = {}): Promise<DiffResult> {
    return this.withView(record, async (dir, own) => {
      const exclude = bothFilters(own, options.exclude);
      const all = bothFilters(exclude, options.leaveAlone);
      return compare(record.target, await manifestFromTree(dir, record.id, record.target, all), new DirectorySource(dir), paths, { exclude, walked: options.live, leaveAlone: options.leaveAlone });
    });
  }

  async read<T>(record: SnapshotRecord, fn: (reader: SnapshotReader) => Promise<T>): Promise<T> {
    return this.withView(record, (dir, own) => fn({
      readFile: async (p, maxBytes) => (own?.(p) ? { kind: 'missing' } : readTreeFile(dir, p, maxBytes)),
    }));
  }

  /** A walk of the snapshot's read-only tree, never of the folder: what the path index takes of it. */
  async listEntries(record: SnapshotRecord): Promise<readonly ManifestEntry[]> {
    return this.withView(record, async (dir, own) => (await manifestFromTree(dir, record.id, record.target, own)).entries);
  }

  /**
   * The filesystem's own difference of two of its snapshots (see SnapshotProvider.changesBetween), relative to
   * the folder; `{ why }` when it has none to give or cannot be vouched for. Providers without one (APFS) walk.
   */
  protected async changeHints(_older: SnapshotRecord, _newer: SnapshotRecord, _trace: (phase: string) => void): Promise<ChangeHints | { why: string }> {
    return { why: `${this.name} cannot tell what differs between two snapshots` };
  }

  async changesBetween(older: SnapshotRecord, newer: SnapshotRecord, options: SnapshotChangesOptions = {}): Promise<SnapshotChanges | null> {
    const trace = options.trace ?? (() => undefined);
    if (older.provider !== this.name || newer.provider !== this.name || older.target !== newer.target) {
      trace(`changes between ${older.id} and ${newer.id}: walked (not two ${this.name} snapshots of one folder)`);
      return null;
    }
    try {
      const hints = await this.changeHints(older, newer, trace);
      if ('why' in hints) { trace(`changes between ${older.id} and ${newer.id}: walked (${hints.why})`); return null; }
      const made = await this.withView(older, (olderDir, own) => this.withView(newer, (newerDir) => resolveChanges(olderDir, newerDir, hints, { exclude: own, olderEntries: options.olderEntries })));
      if ('why' in made) { trace(`changes between ${older.id} and ${newer.id}: walked (${made.why})`); return null; }
      trace(`changes between ${older.id} and ${newer.id}: from ${this.name}, ${made.looked} paths looked at, ${made.changed.length} changed, ${made.removed.length} removed`);
      return made;
    } catch (err) {
      trace(`changes between ${older.id} and ${newer.id}: walked (${err instanceof Error ? err.message : String(err)})`);
      return null;
    }
  }

  async differingPaths(a: SnapshotRecord, b: SnapshotRecord): Promise<string[] | null> {
    const made = await this.changesBetween(a, b);
    return made ? [...made.changed.map((e) => e.path), ...made.removed] : null;
  }

  async readFile(record: SnapshotRecord, p: string, maxBytes: number): Promise<SnapshotFile> {
    return this.read(record, (r) => r.readFile(p, maxBytes));
  }

  private async withView<T>(record: SnapshotRecord, fn: (dir: string, exclude: PathFilter | undefined) => Promise<T>): Promise<T> {
    const view = await this.open(record);
    try {
      return await fn(view.dir, await this.exclude(record));
    } finally {
      await view.release();
    }
  }
}
