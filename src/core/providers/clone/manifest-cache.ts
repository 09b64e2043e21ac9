import type { Manifest } from '../../tree/manifest.js';

/**
 * Entries of manifests kept in memory at most: a rollback reads four or so (the snapshot, the newest one, its
 * safety snapshot, a base) and each is read once per operation, but the tray app runs all day, and keeping every
 * manifest it wrote or read would grow by a whole folder's listing with each snapshot (hourly snapshots of a
 * 200,000-file project: gigabytes by evening).
 */
export const MANIFEST_CACHE_ENTRIES = 800_000;

/** Manifests by id, the least recently used let go first once their entries pass `maxEntries` (the last one read always stays). */
export class ManifestCache {
  private readonly byId = new Map<string, Manifest>();
  private held = 0;

  constructor(private readonly maxEntries = MANIFEST_CACHE_ENTRIES) {}

  get(id: string): Manifest | undefined {
    const manifest = this.byId.get(id);
    if (manifest) { this.byId.delete(id); this.byId.set(id, manifest); }
    return manifest;
  }

  /** A manifest as read, without making it the most recent (a query reading every one must not push the others out). */
  peek(id: string): Manifest | undefined {
    return this.byId.get(id);
  }

  set(id: string, manifest: Manifest): void {
    this.delete(id);
    this.byId.set(id, manifest);
    this.held += manifest.entries.length;
    for (const [oldest, m] of this.byId) {
      if (this.held <= this.maxEntries || oldest === id) break;
      this.byId.delete(oldest);
      this.held -= m.entries.length;
    }
  }

  delete(id: string): void {
    const manifest = this.byId.get(id);
    if (!manifest) return;
    this.byId.delete(id);
    this.held -= manifest.entries.length;
  }
}
