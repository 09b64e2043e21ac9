import { constants as fsc } from 'node:fs';
import { listDir, jsonOrNull } from '../../base/quiet-reads.js';
import { open, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { mkdirPrivate } from '../../base/private-fs.js';
import { writeFileAtomic } from '../../state/atomic-write.js';
import { SnapctlError, errnoCode } from '../../base/errors.js';
import { manifestFaultPoint } from '../../base/faults.js';
import { checkManifest, manifestJson, type Manifest } from '../../tree/manifest.js';
import { MANIFEST_CACHE_ENTRIES, ManifestCache } from './manifest-cache.js';
import { baseOfHead, changeSince, checkDelta, composeChanges, deltaText, isSortedByPath, markSorted, materialize, MAX_CHAIN_SHARE, MAX_DEPTH, type ManifestDelta } from './manifest-delta.js';

/**
 * Below this many entries a manifest is written whole: a few hundred KB at most, which a chain of deltas would
 * save little of and cost a read of its base.
 */
export const DELTA_MIN_ENTRIES = 2000;

/**
 * The clone store's manifests (`manifests/<id>.json` under its root): what each snapshot holds, whole or as
 * what changed since an earlier snapshot's manifest (manifest-delta.ts), which is then kept until no delta
 * builds on it (removeManifest rebases them first). Read through a bounded cache (manifest-cache.ts); the
 * objects they name are the pool's (pool.ts).
 */
export class ManifestStore {
  private readonly manifests: ManifestCache;
  /** How each manifest read or written here is kept: whole (depth 0) or a delta `depth` links from a whole one. */
  private readonly shapes = new Map<string, { depth: number; chain: number; sorted: boolean }>();
  /** The last manifests readManifestOnce materialized: the next delta read builds on one of them. */
  private readonly recent: Manifest[] = [];

  constructor(readonly root: string, private readonly deltaMinEntries = DELTA_MIN_ENTRIES, cachedEntries = MANIFEST_CACHE_ENTRIES) {
    this.manifests = new ManifestCache(cachedEntries);
  }

  get dir(): string { return path.join(this.root, 'manifests'); }

  manifestPath(id: string): string {
    return path.join(this.dir, `${id}.json`);
  }

  /**
   * Writes a snapshot's manifest, fsynced. Given the snapshot it was taken from (`baseId`, a snapshot of the
   * same folder), it is written as what changed since (manifest-delta.ts) while the chain stays within
   * MAX_DEPTH links and MAX_CHAIN_SHARE of the entries; otherwise, and for small folders, whole. Returns the
   * delta written, or null.
   */
  async writeManifest(manifest: Manifest, baseId: string | null = null): Promise<ManifestDelta | null> {
    await mkdirPrivate(this.dir);
    const delta = baseId !== null && baseId !== manifest.id ? await this.deltaOn(manifest, baseId).catch(() => null) : null;
    manifestFaultPoint();
    await writeFileAtomic(this.manifestPath(manifest.id), delta ? deltaText(delta, manifestJson) : manifestJson(manifest), { fsync: true });
    manifestFaultPoint();
    this.manifests.set(manifest.id, manifest);
    this.shapes.set(manifest.id, { depth: delta?.depth ?? 0, chain: delta?.chain ?? 0, sorted: delta !== null || isSortedByPath(manifest.entries) });
    return delta;
  }

  private async deltaOn(manifest: Manifest, baseId: string): Promise<ManifestDelta | null> {
    if (manifest.entries.length < this.deltaMinEntries) return null;
    const base = await this.readManifest(baseId);
    const shape = this.shapes.get(baseId);
    if (!shape?.sorted || shape.depth + 1 > MAX_DEPTH || base.target !== manifest.target || !isSortedByPath(manifest.entries)) return null;
    const { changed, removed } = changeSince(base, manifest);
    const chain = shape.chain + changed.length + removed.length;
    if (chain > manifest.entries.length * MAX_CHAIN_SHARE) return null;
    return { version: 2, base: baseId, id: manifest.id, target: manifest.target, createdAt: manifest.createdAt, depth: shape.depth + 1, chain, entries: changed, removed, problems: manifest.problems };
  }

  /**
   * A manifest never changes once written, so one read serves a whole operation: a rollback reads the same
   * manifest to verify it, as the base of its safety snapshot and to restore from (20,000 entries each).
   */
  async readManifest(id: string): Promise<Manifest> {
    const cached = this.manifests.get(id);
    if (cached) return cached;
    const manifest = await this.readManifestFile(id);
    this.manifests.set(id, manifest);
    return manifest;
  }

  /**
   * A manifest read without keeping it: the path index reads every snapshot's once, and a thousand
   * 20,000-entry manifests kept in memory would not fit. The last two are kept, for the delta read next.
   */
  async readManifestOnce(id: string): Promise<Manifest> {
    const known = this.manifests.peek(id) ?? this.recent.find((m) => m.id === id);
    if (known) return known;
    const manifest = await this.readManifestFile(id);
    this.recent.unshift(manifest);
    this.recent.length = Math.min(this.recent.length, 2);
    return manifest;
  }

  /**
   * The whole manifest of `id`: its file, and when that is a delta, the deltas down to a whole manifest (or
   * to one in memory), their changes folded into one and applied in one pass.
   */
  private async readManifestFile(id: string): Promise<Manifest> {
    const chain: ManifestDelta[] = [];
    let at = id;
    for (;;) {
      const known = chain.length > 0 ? this.manifests.get(at) ?? this.recent.find((m) => m.id === at) : undefined;
      const stored = known ?? await this.readStored(at, chain.length > 0 ? id : null);
      if ('entries' in stored && stored.version === 1) {
        if (chain.length === 0) { this.shapes.set(id, { depth: 0, chain: 0, sorted: isSortedByPath(stored.entries) }); return stored; }
        const head = chain[0] as ManifestDelta;
        const { changed, removed } = composeChanges([...chain].reverse());
        const whole = materialize({ ...head, entries: changed, removed }, stored);
        if (!whole || !(this.shapes.get(at)?.sorted ?? isSortedByPath(stored.entries))) throw this.damaged(id, `it builds on snapshot ${at}, which does not fit it`);
        markSorted(whole.entries);
        this.shapes.set(id, { depth: head.depth, chain: head.chain, sorted: true });
        return whole;
      }
      const delta = stored as ManifestDelta;
      if (chain.some((d) => d.id === delta.base) || delta.base === id || chain.length > MAX_DEPTH * 4) throw this.damaged(id, 'its chain of changes loops');
      if (chain.length > 0 && (chain[chain.length - 1] as ManifestDelta).target !== delta.target) throw this.damaged(id, `it builds on snapshot ${at}, of another folder`);
      chain.push(delta);
      at = delta.base;
    }
  }

  /** One manifest file as stored: whole, or a delta. `of`: the snapshot whose chain this is read for. */
  private async readStored(id: string, of: string | null): Promise<Manifest | ManifestDelta> {
    let text: string;
    try {
      text = await readFile(this.manifestPath(id), 'utf8');
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') {
        if (of !== null) throw this.damaged(of, `the snapshot it builds on (${id}) is missing`);
        throw new SnapctlError('not-found', `the data of snapshot ${id} is missing from ${this.dir}`, `delete the record with 'snapctl delete ${id}'`);
      }
      throw err;
    }
    const raw = jsonOrNull(text);
    const stored = isDeltaJson(raw) ? checkDelta(raw) : checkManifest(raw);
    if (!stored || stored.id !== id) throw this.damaged(of ?? id, of === null ? null : `the snapshot it builds on (${id}) is damaged`);
    return stored;
  }

  private damaged(id: string, why: string | null): SnapctlError {
    return new SnapctlError('corrupt', `the data of snapshot ${id} is damaged (${this.manifestPath(id)}${why ? `: ${why}` : ''})`, 'it cannot be restored; other snapshots are unaffected');
  }

  async manifestIds(): Promise<string[]> {
    return (await listDir(this.dir)).filter((n) => n.endsWith('.json')).map((n) => n.slice(0, -5));
  }

  /**
   * Removes a snapshot's manifest. Deltas that build on it are first written again without it (its changes
   * folded into theirs, or whole where it was whole), each renamed into place fsynced before it goes: killed
   * at any point, every manifest left reads whole. A delta that cannot be read keeps it (nothing is lost; the
   * next collection tries again).
   */
  async removeManifest(id: string): Promise<void> {
    for (const child of await this.dependents(id)) {
      if (!(await this.rebase(child, id).then(() => true, () => false))) return;
    }
    this.manifests.delete(id);
    this.shapes.delete(id);
    this.forgetRecent(id);
    manifestFaultPoint();
    await rm(this.manifestPath(id), { force: true });
  }

  /** The manifests whose first bytes name `id` as their base. */
  async dependents(id: string): Promise<string[]> {
    const out: string[] = [];
    const head = Buffer.alloc(256);
    for (const name of await listDir(this.dir)) {
      if (!name.endsWith('.json') || name === `${id}.json`) continue;
      const n = await open(path.join(this.dir, name), fsc.O_RDONLY | fsc.O_NOFOLLOW)
        .then(async (h) => { try { return (await h.read(head, 0, head.length, 0)).bytesRead; } finally { await h.close(); } }, () => 0);
      if (baseOfHead(head.toString('utf8', 0, n)) === id) out.push(name.slice(0, -5));
    }
    return out;
  }

  /** The delta `child` written again so it no longer builds on `parent`. */
  private async rebase(child: string, parent: string): Promise<void> {
    const mine = await this.readStored(child, null);
    const theirs = await this.readStored(parent, child);
    let text: string;
    let shape: { depth: number; chain: number; sorted: boolean };
    if ('base' in theirs && 'base' in mine) {
      // Both deltas: one delta on the parent's base, the parent's changes with the child's over them.
      const { changed, removed } = composeChanges([theirs, mine]);
      const below = theirs.chain - theirs.entries.length - theirs.removed.length;
      const folded: ManifestDelta = { ...mine, base: theirs.base, depth: theirs.depth, chain: Math.max(0, below) + changed.length + removed.length, entries: changed, removed };
      text = deltaText(folded, manifestJson);
      shape = { depth: folded.depth, chain: folded.chain, sorted: true };
    } else {
      text = manifestJson(await this.readManifestOnce(child));
      shape = { depth: 0, chain: 0, sorted: true };
    }
    manifestFaultPoint();
    await writeFileAtomic(this.manifestPath(child), text, { fsync: true });
    manifestFaultPoint();
    this.shapes.set(child, shape);
  }

  private forgetRecent(id: string): void {
    const at = this.recent.findIndex((m) => m.id === id);
    if (at >= 0) this.recent.splice(at, 1);
  }

  /**
   * For a garbage collection: removes each manifest `keep` refuses (removeManifest) and gathers the object
   * ids the others name. A damaged manifest (verify names it) still keeps every object it may name: any
   * object id in its text counts. Null `referenced` when one cannot be read at all: nothing may be collected.
   */
  async sweep(keep: (id: string) => boolean): Promise<{ referenced: Set<string> | null; removed: number }> {
    let removed = 0;
    const referenced = new Set<string>();
    for (const id of await this.manifestIds()) {
      if (!keep(id)) {
        await this.removeManifest(id);
        removed++;
        continue;
      }
      const manifest = await this.readManifest(id).catch(() => null);
      if (manifest) {
        for (const e of manifest.entries) if (e.type === 'file') referenced.add(e.oid);
        continue;
      }
      const text = await readFile(this.manifestPath(id), 'latin1').catch(() => null);
      if (text === null) return { referenced: null, removed };
      for (const m of text.matchAll(/[0-9a-f]{32,64}/g)) referenced.add(m[0]);
    }
    return { referenced, removed };
  }
}

function isDeltaJson(raw: unknown): boolean {
  return typeof raw === 'object' && raw !== null && (raw as Record<string, unknown>)['version'] === 2;
}


