import { constants as fsc } from 'node:fs';
import { lstat, open } from 'node:fs/promises';
import { SnapctlError, nullIfMissing } from '../base/errors.js';
import { hashBytes, hashKindOf } from '../tree/content-hash.js';
import { isSafeRelativePath, type ManifestEntry } from '../tree/manifest.js';
import { fsPath, shownName } from '../tree/names.js';
import type { SnapshotFile } from './provider.js';

/** Reads at most `maxBytes` of a file already opened without following a link; the size decides first. */
async function readCapped(abs: string | Buffer, maxBytes: number): Promise<SnapshotFile> {
  const handle = await open(abs, fsc.O_RDONLY | fsc.O_NOFOLLOW);
  try {
    const st = await handle.stat({ bigint: true });
    if (!st.isFile()) return { kind: 'not-a-file', type: st.isDirectory() ? 'dir' : 'other' };
    if (st.size > BigInt(maxBytes)) return { kind: 'too-large', size: Number(st.size) };
    const bytes = await handle.readFile();
    if (bytes.length > maxBytes) return { kind: 'too-large', size: bytes.length };
    return { kind: 'file', bytes, size: bytes.length, mode: Number(st.mode & 0o7777n), mtimeNs: st.mtimeNs.toString(), uid: Number(st.uid), gid: Number(st.gid) };
  } finally {
    await handle.close();
  }
}

/**
 * A file inside a directory tree (a tree provider's read-only view of a snapshot, or the folder itself),
 * reached one name at a time by lstat: a link anywhere on the way is never followed out of the tree.
 */
export async function readTreeFile(root: string, rel: string, maxBytes: number): Promise<SnapshotFile> {
  if (!isSafeRelativePath(rel)) throw new SnapctlError('usage', `not a path inside the folder: ${shownName(rel)}`);
  const parts = rel.split('/');
  let at = root;
  for (let i = 0; i < parts.length; i++) {
    at = `${at}/${parts[i] ?? ''}`;
    const st = await lstat(fsPath(at)).catch(nullIfMissing);
    if (st === null) return { kind: 'missing' };
    const last = i === parts.length - 1;
    if (st.isSymbolicLink()) return last ? { kind: 'not-a-file', type: 'symlink' } : { kind: 'missing' };
    if (!last && !st.isDirectory()) return { kind: 'missing' };
    if (last && st.isDirectory()) return { kind: 'not-a-file', type: 'dir' };
    if (last && !st.isFile()) return { kind: 'not-a-file', type: 'other' };
  }
  return readCapped(fsPath(at), maxBytes).catch((err: unknown) => {
    // Swapped for a link between the lstat and the open: O_NOFOLLOW refused it.
    if ((err as NodeJS.ErrnoException).code === 'ELOOP') return { kind: 'not-a-file', type: 'symlink' } as const;
    throw err;
  });
}

/** A file of a clone snapshot: its pool object, checked against the hash (or size) the manifest recorded. */
export async function readStoredFile(entry: ManifestEntry | undefined, objectPath: (oid: string) => string, maxBytes: number, snapshotId: string): Promise<SnapshotFile> {
  if (!entry) return { kind: 'missing' };
  if (entry.type !== 'file') return { kind: 'not-a-file', type: entry.type };
  if (entry.size > maxBytes) return { kind: 'too-large', size: entry.size };
  // A link in place of an object (ELOOP under O_NOFOLLOW) is damage like any other, never followed.
  const found = await readCapped(objectPath(entry.oid), maxBytes).catch((err: unknown) => ((err as NodeJS.ErrnoException).code === 'ELOOP' ? ({ kind: 'not-a-file', type: 'symlink' } as const) : nullIfMissing(err)));
  const damaged = (why: string): SnapctlError => new SnapctlError('corrupt', `the stored copy of ${shownName(entry.path)} in snapshot ${snapshotId} ${why}`, `'snapctl verify ${snapshotId}' checks the whole snapshot`);
  if (found === null) throw damaged('is missing');
  if (found.kind !== 'file') throw damaged('is not a file');
  if (found.size !== entry.size) throw damaged(`is ${found.size} bytes, not ${entry.size}`);
  if (entry.hash !== null && hashBytes(found.bytes, hashKindOf(entry.hash)) !== entry.hash) throw damaged('was changed: its content no longer matches its SHA-256');
  // The pool object is shared by every snapshot holding these bytes: its mode, times and owner are nobody's.
  return { ...found, mode: entry.mode & 0o7777, mtimeNs: entry.mtimeNs, uid: entry.uid, gid: entry.gid };
}
