import { constants as fsc } from 'node:fs';
import { open } from 'node:fs/promises';
import { PRIVATE_FILE_MODE } from '../base/private-fs.js';

/** What the reserve keeps beyond the index's own size: the rest of a delete's small writes. */
const SLACK = 64 * 1024;

/**
 * Space the state folder keeps aside for the one thing a delete must write on a full disk: the index without
 * the deleted snapshots (a new file of about the index's size, renamed over it; the lock needs no space, see
 * locks.ts, and everything else a delete does frees space). A file of zeros a little larger than the index,
 * grown when the index outgrows it while there is room, emptied (given back) only when a delete or a prune
 * finds the disk full, and grown again by the next write once the delete has freed space.
 */
export class SpaceReserve {
  constructor(readonly file: string) {}

  /** Grows the reserve to hold a write of `bytes` when it is smaller and there is room; never fails. */
  async keep(bytes: number): Promise<void> {
    const want = bytes + SLACK;
    const handle = await open(this.file, fsc.O_RDWR | fsc.O_CREAT | fsc.O_NOFOLLOW, PRIVATE_FILE_MODE).catch(() => null);
    if (!handle) return;
    try {
      const { size } = await handle.stat();
      if (size >= want) return;
      // Real zeros, not a hole: a sparse file would give nothing back. Grown to twice the slack past the
      // need, so an index growing by a record at a time does not write it again on each create.
      const zeros = Buffer.alloc(want + SLACK - size);
      await handle.write(zeros, 0, zeros.length, size);
    } catch {
      // A full disk: it stays as it is, and grows on a later write.
    } finally {
      await handle.close().catch(() => undefined);
    }
  }

  /** Gives the reserve's space back to the filesystem; false when it held none. */
  async release(): Promise<boolean> {
    const handle = await open(this.file, fsc.O_RDWR | fsc.O_NOFOLLOW).catch(() => null);
    if (!handle) return false;
    try {
      const { size } = await handle.stat();
      if (size === 0) return false;
      await handle.truncate(0);
      return true;
    } finally {
      await handle.close().catch(() => undefined);
    }
  }
}

/** Errors a full disk or quota raises. */
export function isNoSpace(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT';
}
