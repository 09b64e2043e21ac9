import * as nodeFs from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { isFresh } from '../base/private-fs.js';
import { installLayout } from '../base/install.js';
import type { SnapshotRecord } from '../../shared/model.js';
import { writeFileAtomic } from './atomic-write.js';
import type { HomeLayout } from './paths.js';

/**
 * `snapctl list --json` as it was last printed, kept beside `store.json` with the identity of everything the
 * listing was computed from, so a fresh process prints it without parsing the index, checking 10,000 records
 * and building them again with their costs (bench/README.md: `list` must start within 2x `node -e 0`).
 *
 * Only `list` writes it, from what it has just printed, and only when nothing it read changed while it ran;
 * a reader takes it only when every input is still the very file it was (device, inode, size, mtime and
 * ctime, which no edit, copy or restore by hand keeps), so nothing ever has to remember to refresh it: a
 * write of the index, a crash between that write and anything else, another process, an older index put
 * back, or another version of snapctl all leave it unused until the next full `list` writes it again.
 */
export type ListingFs = Pick<typeof nodeFs, 'statSync' | 'readdirSync' | 'readFileSync' | 'openSync' | 'closeSync'>;

/** Bumped when what the cache holds, or what it is keyed by, changes. */
const FORMAT = 1;

/**
 * A change this close to the time a listing was computed may share its timestamp with a later change of the
 * same size (coarse clocks, filesystems that keep seconds): such a listing is not kept, as git treats a
 * "racily clean" index entry.
 */
const SETTLED_MS = 2_000;

/** What a listing depends on, as of now; null when it cannot be answered from a cache at all. */
export interface ListingInputs {
  key: string;
  /** The latest mtime or ctime among the inputs, in ms. */
  newestChangeMs: number;
  /** clone's manifests are there and its space index is not. */
  costsUnindexed: boolean;
}

/**
 * The files `list --json` reads, or whose absence it reads: the index and its generation count (an older
 * index put back is mended by a full read), clone's space index and its manifests (the costs; a manifest
 * added or removed changes the folder), and the settings (an invalid free-space floor is said on stderr).
 */
function keyedFiles(layout: HomeLayout): { store: string; generation: string; spaceIndex: string; manifests: string; settings: string } {
  return { store: layout.storeFile, generation: layout.storeGenerationFile, spaceIndex: path.join(layout.cloneDir, 'space.json'), manifests: path.join(layout.cloneDir, 'manifests'), settings: layout.settingsFile };
}

/**
 * The identity of `list`'s inputs. Null (never cached) when there is no index (the full path rebuilds or
 * reports it), when a create was interrupted (`pending/`: the next command finishes it, and says so), when a
 * rollback journal is there (the command says the rollback is unfinished), or when an input cannot be looked at.
 */
export function listingInputs(layout: HomeLayout, fs: ListingFs = nodeFs): ListingInputs | null {
  try {
    if (hasEntries(fs, path.join(layout.root, 'pending'), () => true)) return null;
    if (hasEntries(fs, layout.journalDir, (name) => name.endsWith('.json'))) return null;
    const files = keyedFiles(layout);
    const parts = [`${FORMAT}`, buildStamp(fs)];
    let newest = 0;
    const absent = new Set<string>();
    for (const file of Object.values(files)) {
      const st = fs.statSync(file, { bigint: true, throwIfNoEntry: false });
      if (!st) {
        if (file === files.store) return null;
        absent.add(file);
        parts.push('-');
        continue;
      }
      parts.push(`${st.dev}:${st.ino}:${st.mode}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`);
      newest = Math.max(newest, Number(st.mtimeNs / 1_000_000n), Number(st.ctimeNs / 1_000_000n));
    }
    // Manifests without a space index after a listing: it was rebuilt from them and could not be written, so
    // the costs came from the manifests themselves, whose contents no stat here vouches for.
    return { key: parts.join('|'), newestChangeMs: newest, costsUnindexed: absent.has(files.spaceIndex) && !absent.has(files.manifests) };
  } catch {
    return null;
  }
}

function hasEntries(fs: ListingFs, dir: string, counts: (name: string) => boolean): boolean {
  try {
    return fs.readdirSync(dir).some(counts);
  } catch (err) {
    // Missing: nothing there. Anything else (a file in its place, no permission): the full path says what.
    return (err as NodeJS.ErrnoException).code !== 'ENOENT';
  }
}

/**
 * Which build printed it: the version and the CLI's main file (the bundle, or tsc's output), so a listing
 * printed by another version or build, whose records may hold other fields, is never shown by this one.
 */
function buildStamp(fs: ListingFs): string {
  const { cliRoot, version } = installLayout();
  for (const file of [path.join(cliRoot, 'dist', 'src', 'cli-bundle', 'main.cjs'), path.join(cliRoot, 'dist', 'src', 'cli', 'main.js')]) {
    const st = fs.statSync(file, { bigint: true, throwIfNoEntry: false });
    if (st) return `${version}:${st.size}:${st.mtimeNs}`;
  }
  return version;
}

/**
 * Only records whose listing is fixed by the keyed files: clone's, whose costs come from its space index. A
 * btrfs or ZFS snapshot's cost grows as the folder moves on, and an APFS one may be removed by macOS, both
 * asked of the system by every `list`; a vanished record of any provider is asked nothing.
 */
export function listingIsFixed(records: readonly SnapshotRecord[]): boolean {
  return records.every((r) => r.provider === 'clone' || r.state === 'vanished');
}

interface CacheHeader { format: number; key: string; bytes: number }

/** The listing as `list --json` would print it now, or null when the cache cannot vouch for it. */
export function cachedListing(layout: HomeLayout, fs: ListingFs = nodeFs): Buffer | null {
  let data: Buffer;
  try {
    // Never through a link put in its place, as nothing in the state folder is written through one.
    const fd = fs.openSync(layout.listingCacheFile, nodeFs.constants.O_RDONLY | nodeFs.constants.O_NOFOLLOW);
    try {
      data = fs.readFileSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return null;
  }
  const end = data.indexOf(0x0a);
  if (end < 0) return null;
  let header: CacheHeader;
  try {
    header = JSON.parse(data.subarray(0, end).toString('utf8')) as CacheHeader;
  } catch {
    return null;
  }
  const payload = data.subarray(end + 1);
  if (header.format !== FORMAT || header.bytes !== payload.length) return null;
  const now = listingInputs(layout, fs);
  return now !== null && now.key === header.key ? payload : null;
}

/**
 * Keeps `text`, the listing computed between `before` and now, when nothing it was read from changed meanwhile
 * and no input had changed just before (see SETTLED_MS). Best effort: a listing not kept is computed again.
 * Fsynced before it is renamed into place: after a power cut the cache is whole or the old one.
 */
export async function keepListing(layout: HomeLayout, before: ListingInputs, startedMs: number, text: string): Promise<boolean> {
  const after = listingInputs(layout);
  if (after === null || after.key !== before.key || after.costsUnindexed || before.newestChangeMs >= startedMs - SETTLED_MS) return false;
  await removeLeftovers(layout);
  const header: CacheHeader = { format: FORMAT, key: before.key, bytes: Buffer.byteLength(text) };
  return writeFileAtomic(layout.listingCacheFile, `${JSON.stringify(header)}\n${text}`, { fsync: true }).then(() => true, () => false);
}

/** The temporary files of writes killed part way (a listing is as large as the index): not left to pile up. */
async function removeLeftovers(layout: HomeLayout): Promise<void> {
  const prefix = `${path.basename(layout.listingCacheFile)}.tmp-`;
  for (const name of await readdir(layout.root).catch(() => [])) {
    const file = path.join(layout.root, name);
    if (name.startsWith(prefix) && !(await isFresh(file))) await rm(file, { force: true }).catch(() => undefined);
  }
}
