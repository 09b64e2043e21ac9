import { constants as fsc } from 'node:fs';
import { open } from 'node:fs/promises';
import { dataRegions, mayHaveHoles, type Region } from './holes.js';
import type { LiveEntry } from './walk.js';
import { diffEntries, sameEntry, sameMtime, type EntryMeta, type FileEntry, type ManifestEntry } from './manifest.js';
import { hashKindOf } from './content-hash.js';

type LiveFile = Extract<LiveEntry, { type: 'file' }>;
type DirEntry = Extract<ManifestEntry, { type: 'dir' }>;

/**
 * What size, mtime, inode and ctime say about a file on disk against a snapshot's entry, as git's index
 * decides: `same` when all agree; `differs` when the size does; `check` when the size agrees but the mtime,
 * the inode or the ctime does not, since content can change with size and mtime kept (`cp -p`, `rsync -t`,
 * `tar x`, `touch -r`): only its bytes can tell. Entries without inode and ctime (manifests written before
 * they were recorded) are judged by size and mtime alone.
 */
export function quickMatch(live: LiveFile, entry: FileEntry): 'same' | 'differs' | 'check' {
  if (live.size !== entry.size) return 'differs';
  if (!sameMtime(live.mtimeNs, entry.mtimeNs)) return 'check';
  if (entry.ino === undefined || entry.ctimeNs === undefined) return 'same';
  return live.ino === entry.ino && live.ctimeNs === entry.ctimeNs ? 'same' : 'check';
}

/**
 * Whether `entry` holds the content of the file `now`, told by hashes alone, or null when hashes cannot tell.
 * `reference` is the same path in a newer snapshot of the folder: when it recorded this very file (inode,
 * ctime, size and mtime all agree) its hash is the file's content, so a rollback's candidates need no byte
 * read. Only SHA-256 against SHA-256: a `blocks1:` hash depends on where the holes are, not only the bytes.
 */
export function sameByHash(now: LiveEntry | undefined, entry: FileEntry, reference: ManifestEntry | undefined): boolean | null {
  if (now?.type !== 'file' || reference?.type !== 'file' || reference.hash === null || entry.hash === null) return null;
  if (reference.ino === undefined || reference.ctimeNs === undefined || quickMatch(now, reference) !== 'same') return null;
  if (hashKindOf(reference.hash) !== 'sha256' || hashKindOf(entry.hash) !== 'sha256') return null;
  return reference.hash === entry.hash;
}

/** The mode a restored entry gets: set-id bits only where its owner comes back with it (see setMeta). */
export function finalMode(e: DirEntry | FileEntry): number {
  if ((e.mode & 0o6000) === 0 || canRestoreOwner(e)) return e.mode;
  return e.mode & ~0o6000;
}

/** Running as root, every owner is restored; otherwise only entries that were ours keep set-id bits. */
export function canRestoreOwner(e: EntryMeta): boolean {
  const uid = process.getuid?.();
  if (uid === undefined || e.uid === undefined) return false;
  return uid === 0 || (e.uid === uid && (e.gid === undefined || (process.getgroups?.() ?? []).includes(e.gid) || e.gid === process.getgid?.()));
}

/** This process's user id, asked once: sameMeta runs for every entry of a comparison, and each ask is a system call. */
let ownUid: number | undefined | null = null;
function processUid(): number | undefined {
  if (ownUid === null) ownUid = process.getuid?.();
  return ownUid;
}

/** Whether an entry's extended attributes and (as root) owner are already the recorded ones. */
export function sameMeta(now: LiveEntry, e: EntryMeta): boolean {
  if ((now.xattrs !== undefined || e.xattrs !== undefined) && JSON.stringify(now.xattrs ?? {}) !== JSON.stringify(e.xattrs ?? {})) return false;
  // Owners are only restored as root; as anyone else, whatever owner a file has now is the one it can have.
  if (processUid() !== 0 || e.uid === undefined) return true;
  return now.uid === e.uid && now.gid === e.gid;
}

const CHUNK = 256 * 1024;

/**
 * True when the two files hold the same bytes. Where either has holes, only what either holds as data is
 * read (outside both, both read as zeros): two 10 GB sparse files are compared by their data.
 */
export async function sameContent(a: string | Buffer, b: string | Buffer): Promise<boolean> {
  // Opened one after the other: when the second cannot be opened, the first is closed, not left to the GC.
  // O_NONBLOCK: a FIFO swapped in is never waited on.
  const fa = await open(a, fsc.O_RDONLY | fsc.O_NONBLOCK);
  const fb = await open(b, fsc.O_RDONLY | fsc.O_NONBLOCK).catch(async (err: unknown) => { await fa.close(); throw err; });
  try {
    const [sa, sb] = await Promise.all([fa.stat(), fb.stat()]);
    if (sa.size !== sb.size) return false;
    const size = sa.size;
    const ranges = mayHaveHoles(sa) || mayHaveHoles(sb) ? union(await dataRegions(fa.fd, size), await dataRegions(fb.fd, size)) : [[0, size] as const];
    const ba = Buffer.allocUnsafe(CHUNK);
    const bb = Buffer.allocUnsafe(CHUNK);
    const sameAt = async (position: number, length: number): Promise<'same' | 'differ' | 'end'> => {
      const [ra, rb] = await Promise.all([fa.read(ba, 0, length, position), fb.read(bb, 0, length, position)]);
      if (ra.bytesRead !== rb.bytesRead) return 'differ';
      if (ra.bytesRead === 0) return 'end';
      return ba.subarray(0, ra.bytesRead).equals(bb.subarray(0, rb.bytesRead)) ? 'same' : 'differ';
    };
    for (const [start, end] of ranges) {
      for (let at = start; at < end; at += CHUNK) {
        const r = await sameAt(at, Math.min(CHUNK, end - at));
        if (r === 'differ') return false;
        if (r === 'end') break;
      }
    }
    // Whatever either holds past the length both had (grown meanwhile) must match too.
    for (let at = size; ; at += CHUNK) {
      const r = await sameAt(at, CHUNK);
      if (r !== 'same') return r === 'end';
    }
  } finally {
    await Promise.all([fa.close(), fb.close()]);
  }
}

/** The regions in either list, merged, in order. */
function union(a: readonly Region[], b: readonly Region[]): Region[] {
  const all = [...a, ...b].sort((x, y) => x[0] - y[0]);
  const out: [number, number][] = [];
  for (const [start, end] of all) {
    const last = out[out.length - 1];
    if (last && start <= last[1]) last[1] = Math.max(last[1], end);
    else out.push([start, end]);
  }
  return out;
}

/** Where a file lives and what its object is named (a restore puts back neither), and its mtime (compared apart). */
const WHERE_IT_LIVES = new Set(['ino', 'ctimeNs', 'oid', 'hash', 'mtimeNs']);

/**
 * Two entries of one path (in two snapshots) that a restore of either leaves the other as it is: equal in all a
 * restore sets (kind, content, mode, times, owner, attributes, link target, links) but where the file lives
 * (inode, ctime). A file rewritten by a rollback with the bytes it had keeps its path off this list, and with
 * it every file any rollback has ever put back.
 */
export function sameToRestore(a: ManifestEntry, b: ManifestEntry): boolean {
  if (a.type === 'file' && b.type === 'file') {
    const sameBytes = a.oid === b.oid || (a.hash !== null && a.hash === b.hash && hashKindOf(a.hash) === 'sha256');
    if (!sameBytes) return false;
  }
  // Times are compared as a restore can set them (sameMtime); where it lives is not compared at all.
  return sameMtime(a.mtimeNs, b.mtimeNs) && sameEntry(a, b, WHERE_IT_LIVES);
}

/** Every path whose entries differ between two path-sorted lists of one folder (sameToRestore), either order, sorted. */
export function pathsToRestore(a: readonly ManifestEntry[], b: readonly ManifestEntry[]): string[] {
  const { changed, removed } = diffEntries(a, b, sameToRestore);
  const out = [...changed.map((e) => e.path), ...removed];
  // Names regrouped into other hard links can each look the same (bytes, mode, times, link count): the
  // groups tell them apart, and a restore links them as the snapshot's groups say (linkMismatches).
  const before = linkPeers(a);
  const after = linkPeers(b);
  if (before.size > 0 || after.size > 0) {
    const listed = new Set(out);
    for (const p of new Set([...before.keys(), ...after.keys()])) if (!listed.has(p) && before.get(p) !== after.get(p)) out.push(p);
  }
  return out.sort();
}

/** Each file with several names, mapped to all the names of its inode in the same list (joined, in order). */
function linkPeers(entries: readonly ManifestEntry[]): Map<string, string> {
  const byInode = new Map<string, string[]>();
  for (const e of entries) {
    if (e.type !== 'file' || (e.nlink ?? 1) < 2 || e.ino === undefined) continue;
    const names = byInode.get(e.ino);
    if (names) names.push(e.path); else byInode.set(e.ino, [e.path]);
  }
  const peers = new Map<string, string>();
  for (const names of byInode.values()) {
    const key = names.join('\0');
    for (const n of names) peers.set(n, key);
  }
  return peers;
}
