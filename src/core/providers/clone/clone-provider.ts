import { unlink } from 'node:fs/promises';
import path from 'node:path';
import { capture } from './capture.js';
import { compare } from '../../tree/compare.js';
import { ClonePool } from './pool.js';
import { restore } from '../../tree/restore.js';
import type { Manifest } from '../../tree/manifest.js';
import type { LiveEntry } from '../../tree/walk.js';
import type { SnapshotRecord } from '../../../shared/model.js';
import type { CreateRequest, CreatedSnapshot, Detection, DiffResult, ProviderCapabilities, RestoreResult, SnapshotProvider } from '../provider.js';

/**
 * The portable provider: copies the folder into snapctl's own store, sharing unchanged files between
 * snapshots and cloning copy-on-write where the filesystem can. Works on any filesystem.
 */
export class CloneProvider implements SnapshotProvider {
  readonly name = 'clone' as const;
  readonly capabilities: ProviderCapabilities = { wholeVolume: false, partialRestore: true, needsAdmin: false, mayVanish: false };
  private readonly pool: ClonePool;

  constructor(storeRoot: string) {
    this.pool = new ClonePool(storeRoot);
  }

  async detect(): Promise<Detection> {
    return { usable: true, reason: 'clone works on any filesystem: it copies the folder into the snapctl store, sharing unchanged files' };
  }

  async create(request: CreateRequest): Promise<CreatedSnapshot> {
    await this.pool.takeLease(request.id);
    const added: string[] = [];
    try {
      const bases = await Promise.all(request.bases.map((b) => this.pool.readManifest(b.ref).catch(() => null)));
      const copiesAreClones = await this.pool.copiesAreClones(request.target);
      const result = await capture(request.target, this.pool, request.id, bases.filter((m): m is Manifest => m !== null), { added, copiesAreClones });
      await this.pool.writeManifest(result.manifest);
      return { ref: request.id, size: result.size, addedBytes: result.addedBytes, files: result.files, problems: result.manifest.problems, live: result.live };
    } catch (err) {
      // A failed snapshot (disk full, most often) gives back the space it took, at once.
      await Promise.all(added.map((oid) => unlink(this.pool.objectPath(oid)).catch(() => undefined)));
      await this.pool.dropLease(request.id);
      throw err;
    }
  }

  async settle(ref: string): Promise<void> {
    await this.pool.dropLease(ref);
  }

  async remove(record: SnapshotRecord): Promise<void> {
    await this.pool.removeManifest(record.ref);
  }

  async verify(record: SnapshotRecord): Promise<void> {
    await this.pool.readManifest(record.ref);
  }

  async restore(record: SnapshotRecord, paths: string[] | null, live?: readonly LiveEntry[]): Promise<RestoreResult> {
    const manifest = await this.pool.readManifest(record.ref);
    return restore(record.target, manifest, this.pool, paths, undefined, live);
  }

  async diff(record: SnapshotRecord, paths: string[] | null): Promise<DiffResult> {
    const manifest = await this.pool.readManifest(record.ref);
    return compare(record.target, manifest, this.pool, paths);
  }

  async collectGarbage(recordedRefs: ReadonlySet<string>): Promise<void> {
    await this.pool.collectGarbage(recordedRefs);
  }

  /** For tests and the benchmark: where a snapshot's data lives. */
  manifestPath(ref: string): string {
    return path.resolve(this.pool.manifestPath(ref));
  }
}
