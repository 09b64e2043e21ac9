import { chmodSync, closeSync, constants as fsc, copyFileSync, ftruncateSync, lchownSync, lutimesSync, openSync, readdirSync, rmdirSync, unlinkSync, utimesSync } from 'node:fs';
import { errnoCode } from '../base/errors.js';
import { nodeCrypto } from '../base/lazy-crypto.js';
import { nsToSeconds, type ManifestEntry } from './manifest.js';
import type { FsPath } from './names.js';
import { copyKeepingHolesSync } from './holes.js';
import { finalMode } from './same-file.js';
import { isRestoreTemp, tempPrefix } from './temp-names.js';
import { writeXattrs } from './xattrs.js';

// The writes a restore makes from inside the folder it changes (see PathGuard.inside): each on a bare name,
// synchronous, and leaving no temporary file behind when it fails.

/**
 * Owner (as root), extended attributes and mode of an entry (`at` a bare name in its folder, see
 * PathGuard.inside), and for one written anew (`fresh`) its mtime too. chown comes first: it clears set-id
 * bits, which chmod then sets only where the owner came back with them.
 */
export function setMetaHere(at: FsPath, e: ManifestEntry, fresh: boolean): void {
  if (process.getuid?.() === 0 && e.uid !== undefined && e.gid !== undefined) { try { lchownSync(at, e.uid, e.gid); } catch { /* kept as it is */ } }
  if (typeof at === 'string') writeXattrs(at, e.xattrs);
  if (e.type !== 'symlink') chmodSync(at, finalMode(e));
  if (!fresh || e.type === 'dir') return;
  const t = nsToSeconds(e.mtimeNs);
  if (e.type === 'symlink') { try { lutimesSync(at, t, t); } catch { /* links without times on some systems */ } } else utimesSync(at, t, t);
}

const COPY_CHUNK = 1024 * 1024;

/**
 * Copies `from` to the new file `to`, made 0600, with the holes the file it came from had: with `clone`, a
 * clone where the filesystem makes one (it shares the blocks, holes included; copyFile gives it the source's
 * mode, so never for a set-id file), else only the data is read and written, and runs of zeros are left as
 * holes (a 10 GB sparse disk image with a few megabytes of data costs those megabytes).
 */
export function copySparseSync(from: string | Buffer, to: FsPath, size: number, clone: boolean): void {
  if (clone) {
    try {
      copyFileSync(from, to, fsc.COPYFILE_FICLONE_FORCE | fsc.COPYFILE_EXCL);
      return;
    } catch {
      // No clone here (another filesystem, or one without them): copied below. A real failure fails there too.
      try { unlinkSync(to); } catch { /* never made */ }
    }
  }
  const input = openSync(from, fsc.O_RDONLY | fsc.O_NOFOLLOW);
  try {
    const output = openSync(to, 'wx', 0o600);
    try {
      copyKeepingHolesSync(input, output, COPY_CHUNK);
      ftruncateSync(output, size);
    } finally {
      closeSync(output);
    }
  } finally {
    closeSync(input);
  }
}

/** Runs `fn`, which writes `tmp` and renames it into place; when it fails, `tmp` is not left behind. */
export function removingOnFailure(tmp: FsPath, fn: () => void): void {
  try {
    fn();
  } catch (err) {
    try { unlinkSync(tmp); } catch { /* never made, or already renamed */ }
    throw err;
  }
}

/** Removes an empty folder; a restore's leftover temporary files (which no walk lists) do not keep it. */
export function removeDirHere(at: FsPath): void {
  try {
    rmdirSync(at);
  } catch (err) {
    if (errnoCode(err) !== 'ENOTEMPTY' && errnoCode(err) !== 'EEXIST') throw err;
    const names = readdirSync(at, { encoding: 'buffer' });
    if (names.length === 0 || !names.every((n) => isRestoreTemp(n.toString('latin1')))) throw err;
    for (const n of names) unlinkSync(Buffer.concat([Buffer.from(at), Buffer.from('/'), n]));
    rmdirSync(at);
  }
}

/** A name for a file written beside its final place (see temp-names.ts). */
export function tempName(token: string): string {
  return `${tempPrefix(token)}${nodeCrypto().randomBytes(6).toString('hex')}`;
}
