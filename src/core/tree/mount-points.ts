import { execFileSync } from 'node:child_process';
import { lstatSync, readFileSync } from 'node:fs';
import { fromBytes, fsPath } from './names.js';

/** One line of /proc/self/mountinfo: where a filesystem is mounted, from what, and which part of it. */
export interface Mount {
  mountPoint: string;
  /** The folder of the filesystem mounted there (a btrfs subvolume's path, `/` for its top). */
  root: string;
  fsType: string;
  source: string;
}

/** Octal escapes (`\040` for a space) as mountinfo writes them, back to bytes, then to a name (names.ts). */
function unescape(field: string): string {
  const bytes = field.replace(/\\([0-7]{3})/g, (_m, octal: string) => String.fromCharCode(Number.parseInt(octal, 8)));
  return fromBytes(Buffer.from(bytes, 'latin1'));
}

/** The lines of a mountinfo file (read as bytes: a mount point's name need not be UTF-8). */
export function parseMountinfo(text: Buffer): Mount[] {
  const out: Mount[] = [];
  for (const line of text.toString('latin1').split('\n')) {
    const fields = line.split(' ');
    const dash = fields.indexOf('-');
    const [root, mountPoint] = [fields[3], fields[4]];
    const [fsType, source] = [fields[dash + 1], fields[dash + 2]];
    if (dash < 6 || !root || !mountPoint || !fsType || !source) continue;
    out.push({ mountPoint: unescape(mountPoint), root: unescape(root), fsType, source: unescape(source) });
  }
  return out;
}

/** `mount` on macOS and the BSDs: `/dev/disk3s1 on /Volumes/x (apfs, local)`, one line each. */
function parseMountOutput(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const m = / on (\/.*) \([^()]*\)$/.exec(line);
    if (m?.[1]) out.push(m[1]);
  }
  return out;
}

/** Every btrfs subvolume's root directory has this inode number. */
const SUBVOLUME_ROOT_INO = 256n;

/**
 * The edge of a folder's own filesystem, as `rsync -x` and `restic --one-file-system` keep it: a filesystem
 * mounted inside the folder (a bind mount, a devcontainer volume, a tmpfs, a file bind-mounted over a file)
 * is never descended by a snapshot nor entered by a rollback. Known two ways: the system's table of mounts
 * (which also names a bind mount of a folder of the same filesystem, whose device id is the folder's), and a
 * folder's device id that is not the folder's. A btrfs subvolume inside the folder has a device id of its own
 * but is no mount: it is part of the folder, as it always was (clone snapshots it with the rest).
 */
export class MountBoundary {
  private constructor(
    /** The folder's device id, or null when the folder cannot be read. */
    readonly rootDev: bigint | null,
    /** Mount points strictly inside the folder, relative to it (names as in manifests). */
    readonly points: ReadonlySet<string>,
    /** Whether `points` is the whole truth (the system's table was read). */
    readonly complete: boolean,
  ) {}

  /** The mounts inside `root` (an absolute, resolved path), read now. */
  static of(root: string): MountBoundary {
    const st = lstatSync(fsPath(root), { bigint: true, throwIfNoEntry: false });
    const table = mountPointsNow();
    const points = new Set<string>();
    const prefix = root.endsWith('/') ? root : `${root}/`;
    for (const p of table ?? []) if (p.startsWith(prefix) && p.length > prefix.length) points.add(p.slice(prefix.length));
    return new MountBoundary(st?.dev ?? null, points, table !== null);
  }

  /** A boundary that knows of no mount (for tests and callers that walk a snapshot's own tree). */
  static none(): MountBoundary {
    return new MountBoundary(null, new Set(), true);
  }

  /** Whether `rel` is a mount point by the system's table. */
  listed(rel: string): boolean {
    return this.points.size > 0 && this.points.has(rel);
  }

  /**
   * Whether a folder found by lstat at `rel` is on another filesystem than the folder's: another device, and
   * not the root of a btrfs subvolume (those are part of the folder's filesystem).
   */
  crosses(st: { dev: bigint; ino: bigint }): boolean {
    return this.rootDev !== null && st.dev !== this.rootDev && st.ino !== SUBVOLUME_ROOT_INO;
  }
}

/** Absolute mount points this process sees, or null when the system does not say. */
function mountPointsNow(): string[] | null {
  if (process.platform === 'linux') {
    try {
      return parseMountinfo(readFileSync('/proc/self/mountinfo')).map((m) => m.mountPoint);
    } catch {
      return null;
    }
  }
  if (process.platform === 'win32') return null;
  try {
    return parseMountOutput(execFileSync('/sbin/mount', [], { encoding: 'utf8', timeout: 5000, stdio: ['ignore', 'pipe', 'ignore'] }));
  } catch {
    return null;
  }
}

/** What a snapshot's problems and a preview say of a mount point inside the folder. */
export const MOUNT_NOTE = 'another filesystem is mounted here: left out, as rsync -x does, and a rollback leaves it alone';
