import path from 'node:path';
import { errnoCode } from '../base/errors.js';
import { excludeMatcher } from './excludes.js';
import type { Manifest } from './manifest.js';
import { listingFromManifest, walkChanged, type ChangedPaths, type WalkSide } from './walk-changed.js';
import { readNames, type LiveEntry } from './walk.js';

/** A folder as it is now, without walking it: see listedNow. */
export interface ListedNow {
  entries: LiveEntry[];
  /** What the listing leaves out that a comparison counts as left alone: what the excludes skipped, and what cache folders hold. */
  unlisted: { paths: string[]; mounts: string[] };
}

/**
 * The folder `root` as it is now, from a snapshot's manifest (taken with the excludes `patterns`, its walk's
 * side lists `side`) and the paths the change journal saw change since: those are looked at again
 * (walkChanged), the rest is as the snapshot listed it. Null when the manifest cannot be listed from (one
 * written before inodes were recorded): the caller walks.
 */
export async function listedNow(root: string, manifest: Manifest, changed: ChangedPaths, side: WalkSide, patterns: readonly string[]): Promise<ListedNow | null> {
  const listing = listingFromManifest(manifest, side);
  if (!listing) return null;
  const skip = await excludeMatcher(patterns);
  const result = await walkChanged(root, listing, changed, { ...(skip ? { skip } : {}), cacheDirs: true });
  // A comparison's own walk lists a cache folder's contents and leaves each one alone: named here the same.
  const inCacheDirs: string[] = [];
  for (const dir of result.cacheDirs) {
    try {
      for (const name of readNames(path.join(root, dir))) inCacheDirs.push(`${dir}/${name}`);
    } catch (err) {
      if (errnoCode(err) !== 'ENOENT' && errnoCode(err) !== 'ENOTDIR') throw err;
    }
  }
  return { entries: result.entries, unlisted: { paths: [...result.excluded, ...inCacheDirs], mounts: result.mounts } };
}
