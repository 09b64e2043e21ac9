import { isObject } from '../../base/checks.js';
import { checkManifest, diffEntries, isSafeRelativePath, pathsBeneathLinks, type Manifest, type ManifestEntry } from '../../tree/manifest.js';

/**
 * A manifest kept as what changed since another one (its `base`, a snapshot of the same folder): the entries
 * that are new or differ, and the paths that are gone. A repeat snapshot of 200,000 files with 200 changed
 * writes 200 entries instead of a 50 MB list (bench/README.md, "Issue 30": manifests as deltas).
 *
 * On disk (`manifests/<id>.json`, as a whole manifest): `{"version":2,"base":…,"id":…,"target":…,
 * "createdAt":…,"depth":…,"chain":…,"entries":[changed],"removed":[paths],"problems":[…],"owner"?}`; `base`
 * comes right after `version` so the store finds which manifests build on which from their first bytes.
 * `depth` counts the deltas down to a whole manifest and `chain` the changes they hold together: the store
 * writes a whole manifest again once either passes its limit, so reading one never applies more than that.
 * Readers get the whole manifest (readManifest in manifest-store.ts); only the store sees this form.
 */
export interface ManifestDelta {
  version: 2;
  base: string;
  id: string;
  target: string;
  createdAt: string;
  depth: number;
  chain: number;
  /** New or changed entries, sorted by path. */
  entries: ManifestEntry[];
  /** Paths of the base that the snapshot no longer holds, sorted. */
  removed: string[];
  problems: { path: string; reason: string }[];
}

/** A chain of deltas ends at a whole manifest within this many links. */
export const MAX_DEPTH = 32;
/** The changes a chain holds, at most this fraction of the snapshot's entries (else it is written whole). */
export const MAX_CHAIN_SHARE = 0.25;

const byPathText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Entries strictly sorted by path (as every walk lists them): the only ones a delta is made from or applied to. */
export function sortedByPath(entries: readonly ManifestEntry[]): boolean {
  for (let i = 1; i < entries.length; i++) if ((entries[i - 1] as ManifestEntry).path >= (entries[i] as ManifestEntry).path) return false;
  return true;
}

/**
 * The changes of `deltas` (oldest first) folded into one: each path's last word, an entry or its removal.
 * Removing a path the base never held is harmless (applyChanges skips it), so no base is needed here.
 */
export function composeChanges(deltas: readonly Pick<ManifestDelta, 'entries' | 'removed'>[]): { changed: ManifestEntry[]; removed: string[] } {
  const last = new Map<string, ManifestEntry | null>();
  for (const d of deltas) {
    for (const p of d.removed) last.set(p, null);
    for (const e of d.entries) last.set(e.path, e);
  }
  const changed: ManifestEntry[] = [];
  const removed: string[] = [];
  for (const [p, e] of last) if (e === null) removed.push(p); else changed.push(e);
  changed.sort((a, b) => byPathText(a.path, b.path));
  removed.sort(byPathText);
  return { changed, removed };
}

/**
 * `base` (sorted by path) with `changed` put in and `removed` taken out: one merge, the base's entry objects
 * shared. Null when the result would put a path beneath a symlink (damaged or forged; see checkManifest).
 */
export function applyChanges(base: readonly ManifestEntry[], changed: readonly ManifestEntry[], removed: readonly string[]): ManifestEntry[] | null {
  const gone = new Set(removed);
  const out: ManifestEntry[] = [];
  let i = 0;
  let j = 0;
  while (i < base.length || j < changed.length) {
    const b = base[i];
    const c = changed[j];
    if (c === undefined || (b !== undefined && b.path < c.path)) {
      const e = b as ManifestEntry;
      if (!gone.has(e.path)) out.push(e);
      i++;
    } else if (b === undefined || c.path < b.path) {
      out.push(c); j++;
    } else {
      out.push(c); i++; j++;
    }
  }
  return pathsBeneathLinks(out, changed) ? null : out;
}

/** A delta read back from disk, checked as checkManifest checks a whole one; null when it is not one. */
export function checkDelta(raw: unknown): ManifestDelta | null {
  if (!isObject(raw) || raw['version'] !== 2 || typeof raw['base'] !== 'string') return null;
  const { depth, chain, removed } = raw;
  if (!Number.isSafeInteger(depth) || (depth as number) < 1 || !Number.isSafeInteger(chain) || (chain as number) < 0) return null;
  if (!Array.isArray(removed) || !removed.every((p) => typeof p === 'string' && isSafeRelativePath(p))) return null;
  // The entries and problems are checked (and filled in) as a whole manifest's are.
  const asWhole = checkManifest({ version: 1, id: raw['id'], target: raw['target'], createdAt: raw['createdAt'], entries: raw['entries'], problems: raw['problems'], ...(raw['owner'] !== undefined ? { owner: raw['owner'] } : {}) });
  if (!asWhole || !sortedByPath(asWhole.entries)) return null;
  const sortedRemoved = (removed as string[]).every((p, k, all) => k === 0 || (all[k - 1] as string) < p);
  if (!sortedRemoved) return null;
  return { version: 2, base: raw['base'], id: asWhole.id, target: asWhole.target, createdAt: asWhole.createdAt, depth: depth as number, chain: chain as number, entries: asWhole.entries, removed: removed as string[], problems: asWhole.problems };
}

/** The whole manifest a delta stands for, given its base's. */
export function materialize(delta: ManifestDelta, base: Manifest): Manifest | null {
  if (base.target !== delta.target) return null;
  const entries = applyChanges(base.entries, delta.entries, delta.removed);
  if (!entries) return null;
  // The owner a whole manifest's reading gives back: the first owned entry's (see manifestJson).
  const owned = entries.find((e) => e.uid !== undefined && e.gid !== undefined);
  const owner = owned?.uid !== undefined && owned.gid !== undefined ? { owner: { uid: owned.uid, gid: owned.gid } } : {};
  return { version: 1, id: delta.id, target: delta.target, createdAt: delta.createdAt, entries, problems: delta.problems, ...owner };
}

/** The JSON of a delta: `base` first, so its first bytes say what it builds on (see baseOfHead). */
export function deltaText(delta: ManifestDelta, entriesJson: (m: Manifest) => string): string {
  // The entries are written as a whole manifest's are (manifestJson leaves out what reading gives back).
  const whole = JSON.parse(entriesJson({ version: 1, id: delta.id, target: delta.target, createdAt: delta.createdAt, entries: delta.entries, problems: delta.problems })) as Record<string, unknown>;
  return JSON.stringify({ version: 2, base: delta.base, id: delta.id, target: delta.target, createdAt: delta.createdAt, depth: delta.depth, chain: delta.chain, entries: whole['entries'], removed: delta.removed, problems: delta.problems, ...(whole['owner'] !== undefined ? { owner: whole['owner'] } : {}) });
}

const HEAD = /^\{"version":2,"base":"([^"\\]{1,200})"/;

/** The base a manifest file's first bytes name, or null: a whole manifest (or not one this version wrote). */
export function baseOfHead(head: string): string | null {
  return HEAD.exec(head)?.[1] ?? null;
}

/**
 * Entry arrays known to be sorted by path (read back and checked, or built by a merge of sorted ones): a
 * repeat snapshot of 200,000 files then checks no order again. Kept beside the arrays, not in them, so a
 * manifest stays a plain object.
 */
const sortedArrays = new WeakSet<readonly ManifestEntry[]>();

export function markSorted(entries: readonly ManifestEntry[]): void {
  sortedArrays.add(entries);
}

/** Whether `entries` are sorted by path: remembered, or checked once and remembered. */
export function isSortedByPath(entries: readonly ManifestEntry[]): boolean {
  if (sortedArrays.has(entries)) return true;
  const sorted = sortedByPath(entries);
  if (sorted) sortedArrays.add(entries);
  return sorted;
}

/**
 * What a manifest changed since its base, as the snapshot that made it knew it (capture.ts, from a narrowed
 * walk): the store writes its delta from this instead of comparing 200,000 entries with the base's. Kept
 * beside the manifest (keyed by it) so the manifest and the calls that pass it stay as they are.
 */
const knownChanges = new WeakMap<Manifest, { base: string; changed: ManifestEntry[]; removed: string[] }>();

export function rememberChange(manifest: Manifest, base: string, changed: ManifestEntry[], removed: string[]): void {
  knownChanges.set(manifest, { base, changed, removed });
}

/** The change `manifest` made since `base`: as remembered, else from both lists (diffEntries). */
export function changeSince(base: Manifest, manifest: Manifest): { changed: ManifestEntry[]; removed: string[] } {
  const known = knownChanges.get(manifest);
  return known?.base === base.id ? known : diffEntries(base.entries, manifest.entries);
}

/**
 * `base` (sorted by path) with `changed` (sorted) put in and `removed` (sorted) taken out, like applyChanges,
 * but found by bisection: the cost is the changes' (plus copying the array), not a comparison per entry.
 * For entries a walk listed (never a path beneath a symlink).
 */
export function spliceChanges(base: readonly ManifestEntry[], changed: readonly ManifestEntry[], removed: readonly string[]): ManifestEntry[] {
  const out: ManifestEntry[] = [];
  let at = 0;
  let c = 0;
  let r = 0;
  for (;;) {
    const cp = changed[c]?.path;
    const rp = removed[r];
    if (cp === undefined && rp === undefined) break;
    const p = (rp === undefined || (cp !== undefined && cp <= rp) ? cp : rp) as string;
    let lo = at;
    let hi = base.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((base[mid] as ManifestEntry).path < p) lo = mid + 1; else hi = mid;
    }
    for (let i = at; i < lo; i++) out.push(base[i] as ManifestEntry);
    at = lo;
    if (base[at]?.path === p) at++;
    if (cp === p) { out.push(changed[c] as ManifestEntry); c++; }
    if (rp === p) r++;
  }
  for (let i = at; i < base.length; i++) out.push(base[i] as ManifestEntry);
  sortedArrays.add(out);
  return out;
}
