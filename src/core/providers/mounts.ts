import { readFile } from 'node:fs/promises';
import { isWithin } from '../state/paths.js';

/** One line of /proc/self/mountinfo: where a filesystem is mounted, from what, and which part of it. */
export interface Mount {
  mountPoint: string;
  /** The folder of the filesystem mounted there (a btrfs subvolume's path, `/` for its top). */
  root: string;
  fsType: string;
  source: string;
}

/** Octal escapes (`\040` for a space) as mountinfo writes them. */
function unescape(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_m, octal: string) => String.fromCharCode(Number.parseInt(octal, 8)));
}

/** The mounts this process sees (Linux); empty where there is no /proc. */
export async function readMounts(file = '/proc/self/mountinfo'): Promise<Mount[]> {
  const text = await readFile(file, 'utf8').catch(() => '');
  const out: Mount[] = [];
  for (const line of text.split('\n')) {
    const fields = line.split(' ');
    const dash = fields.indexOf('-');
    const [root, mountPoint] = [fields[3], fields[4]];
    const [fsType, source] = [fields[dash + 1], fields[dash + 2]];
    if (dash < 6 || !root || !mountPoint || !fsType || !source) continue;
    out.push({ mountPoint: unescape(mountPoint), root: unescape(root), fsType, source: unescape(source) });
  }
  return out;
}

/** The mount holding `p`: the one with the longest mount point above it (the last such, if mounted over). */
export function mountOf(mounts: readonly Mount[], p: string): Mount | null {
  let best: Mount | null = null;
  for (const m of mounts) if (isWithin(m.mountPoint, p) && (!best || m.mountPoint.length >= best.mountPoint.length)) best = m;
  return best;
}
