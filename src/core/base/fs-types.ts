import { stat, statfs } from 'node:fs/promises';

/** statfs f_type values (Linux, linux/magic.h) of the filesystems snapctl treats specially. */
export const BTRFS_SUPER_MAGIC = 0x9123683e;
export const ZFS_SUPER_MAGIC = 0x2fc12fc1;
export const XFS_SUPER_MAGIC = 0x58465342;

/** Filesystems where COPYFILE_FICLONE makes a copy-on-write clone: a copy is a metadata change, not I/O. */
const REFLINK_FILESYSTEMS = new Set([BTRFS_SUPER_MAGIC, XFS_SUPER_MAGIC]);

/** Whether copies made on the filesystem of `dir` may be copy-on-write clones (APFS on macOS: copyfile clones). */
export async function clonesOnFilesystemOf(dir: string): Promise<boolean> {
  if (process.platform === 'darwin') return true;
  if (process.platform !== 'linux') return false;
  return statfs(dir).then((fs) => REFLINK_FILESYSTEMS.has(fs.type), () => false);
}

/**
 * True when copies from `source` into `dest` (both existing folders) are reflink clones: the same Linux
 * btrfs or XFS filesystem. Anything unknown answers false, which only costs speed.
 */
export async function copiesAreClones(source: string, dest: string): Promise<boolean> {
  if (process.platform !== 'linux') return false;
  try {
    const [fs, a, b] = await Promise.all([statfs(dest), stat(source), stat(dest)]);
    return REFLINK_FILESYSTEMS.has(fs.type) && a.dev === b.dev;
  } catch {
    return false;
  }
}
