import { readFile, statfs } from 'node:fs/promises';
import path from 'node:path';
import { humanBytes } from '../../shared/format.js';
import { SnapctlError } from '../base/errors.js';
import { FLOOR_PERCENT, type FloorSetting } from '../state/floor-setting.js';

export type { FloorSetting } from '../state/floor-setting.js';

/** A gigabyte as every size snapctl shows counts it (shared/format.ts humanBytes): 1000³ bytes. */
export const GB = 1e9;

/** A filesystem's size and the bytes an unprivileged user can still write on it. */
export interface FsSpace {
  size: number;
  free: number;
}


/**
 * The free space snapshots leave on a filesystem. The default, 5% of it and at least 1 GB, is what a
 * developer's laptop can spare; capped at a tenth of the filesystem, so a small one (a 2 GB partition, a
 * test's tmpfs) is not declared full from the start. A percentage is of the filesystem's size.
 */
export function floorBytes(setting: FloorSetting, fsSize: number): number {
  if (typeof setting === 'number') return setting;
  if (typeof setting === 'string' && setting.endsWith('%')) return Math.ceil((fsSize * Number(setting.slice(0, -1))) / 100);
  return Math.floor(Math.min(Math.max(fsSize * 0.05, GB), fsSize / 10));
}

/** The space of the filesystem holding `dir` (or its nearest existing parent: a store not made yet). */
export async function fsSpace(dir: string): Promise<FsSpace | null> {
  for (let at = path.resolve(dir); ; at = path.dirname(at)) {
    const fs = await statfs(at).catch(() => null);
    if (fs) return { size: fs.blocks * fs.bsize, free: fs.bavail * fs.bsize };
    if (path.dirname(at) === at) return null;
  }
}

/** What a snapshot that needs `need` bytes would leave: negative when it would go below the floor. */
export function roomAfter(need: number, space: FsSpace, floor: number): number {
  return space.free - need - floor;
}

/** "needs about 120 MB, 80 MB free above the 1.0 GB floor" (or "… is already below the … floor"). */
export function lowSpaceWords(need: number, space: FsSpace, floor: number): string {
  const above = space.free - floor;
  const room = above > 0 ? `${humanBytes(above)} free above the ${humanBytes(floor)} floor` : `${humanBytes(space.free)} free, below the ${humanBytes(floor)} floor`;
  return `needs about ${humanBytes(need)}, ${room}`;
}

/**
 * Thrown from a create's budget check before anything is written: the snapshot would take the filesystem
 * below its floor. A scheduled snapshot prunes and tries once more, then skips; a manual one is refused.
 */
export class LowSpace extends SnapctlError {
  /** Snapshots a scheduled snapshot pruned before it gave up. */
  pruned = 0;

  /** The same refusal after `count` snapshots were pruned to make room: said, since they are gone. */
  afterPruning(count: number): this {
    this.pruned = count;
    this.message += ` (after deleting ${count === 1 ? 'the 1 older snapshot' : `${count} older snapshots`} retention allowed, which was not enough)`;
    return this;
  }

  constructor(readonly need: number, readonly space: FsSpace, readonly floor: number, target: string) {
    super('failed', `not enough free space for a snapshot of ${target}: it ${lowSpaceWords(need, space, floor)}`,
      "nothing was written; free some space, delete old snapshots ('snapctl prune', 'snapctl delete ID'), add excludes for caches, or lower the floor in Settings");
  }
}


/**
 * The floor as the settings file says, read without loading the settings' schema (`snapctl list` shows it
 * and must start fast): anything but bytes or a percentage, or no readable file, is the default.
 */
export async function floorSettingIn(settingsFile: string, onInvalid?: (given: string) => void): Promise<FloorSetting> {
  const text = await readFile(settingsFile, 'utf8').catch(() => null);
  if (text === null) return null;
  let raw: unknown;
  try { raw = JSON.parse(text); } catch { return null; }
  const v = typeof raw === 'object' && raw !== null && 'freeSpaceFloor' in raw ? raw.freeSpaceFloor : null;
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return v;
  if (typeof v === 'string' && FLOOR_PERCENT.test(v)) return v;
  if (v !== null) onInvalid?.(JSON.stringify(v));
  return null;
}
