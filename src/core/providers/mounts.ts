import { readFile } from 'node:fs/promises';
import { isWithin } from '../state/paths.js';
import { parseMountinfo, type Mount } from '../tree/mount-points.js';

export type { Mount };

/** The mounts this process sees (Linux); empty where there is no /proc. */
export async function readMounts(file = '/proc/self/mountinfo'): Promise<Mount[]> {
  return parseMountinfo(await readFile(file).catch(() => Buffer.alloc(0)));
}

/** The mount holding `p`: the one with the longest mount point above it (the last such, if mounted over). */
export function mountOf(mounts: readonly Mount[], p: string): Mount | null {
  let best: Mount | null = null;
  for (const m of mounts) if (isWithin(m.mountPoint, p) && (!best || m.mountPoint.length >= best.mountPoint.length)) best = m;
  return best;
}
