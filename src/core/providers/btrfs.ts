import { stat, statfs } from 'node:fs/promises';
import path from 'node:path';
import { SnapctlError, nullIfMissing } from '../base/errors.js';
import { BTRFS_SUPER_MAGIC } from '../base/fs-types.js';
import { isWithin } from '../state/paths.js';
import type { SnapshotRecord } from '../../shared/model.js';
import type { CreateRequest, CreatedSnapshot, Detection, ProviderCapabilities } from './provider.js';
import { ToolRunner, unrecognised } from './tools.js';
import { TreeSnapshotProvider, type SnapshotView } from './tree-snapshot.js';
import type { PathFilter } from '../tree/manifest.js';

/** Every btrfs subvolume's root directory has this inode number. */
const SUBVOLUME_ROOT_INO = 256;
/** Where snapshots live: a subvolume of its own, so later snapshots of the parent do not contain them. */
export const BTRFS_SNAPSHOT_DIR = '.snapctl-snapshots';

/**
 * btrfs: a read-only snapshot (`btrfs subvolume snapshot -r`) of the subvolume holding the folder, kept in
 * `<subvolume>/.snapctl-snapshots/<id>`. Taking one is constant time whatever the folder's size; rollback
 * and diff read the snapshot in place.
 */
export class BtrfsProvider extends TreeSnapshotProvider {
  readonly name = 'btrfs' as const;
  readonly capabilities: ProviderCapabilities = { wholeVolume: true, partialRestore: true, needsAdmin: false, mayVanish: false };

  constructor(private readonly tools: ToolRunner = new ToolRunner()) { super(); }

  async detect(target: string): Promise<Detection> {
    const fs = await statfs(target).catch(() => null);
    if (!fs || fs.type !== BTRFS_SUPER_MAGIC) return { usable: false, reason: 'the folder is not on a btrfs filesystem' };
    if (!(await this.tools.has('btrfs'))) return { usable: false, reason: 'the folder is on btrfs, but the btrfs tool is not installed (apt-get install btrfs-progs)' };
    const root = await subvolumeRoot(target);
    return { usable: true, reason: `the folder is in the btrfs subvolume ${root}: snapshots are instant and read-only, kept in ${path.join(root, BTRFS_SNAPSHOT_DIR)}; their sizes are known when btrfs quotas are on` };
  }

  async create(request: CreateRequest): Promise<CreatedSnapshot> {
    const root = await subvolumeRoot(request.target);
    const dir = path.join(root, BTRFS_SNAPSHOT_DIR);
    if (!(await isDirectory(dir))) {
      // Another folder of the same subvolume may be creating it at this moment: losing that race is fine.
      await this.tools.check('btrfs', ['subvolume', 'create', dir], 'snapctl keeps btrfs snapshots in this subvolume')
        .catch(async (err: unknown) => { if (!(await isDirectory(dir))) throw err; });
    }
    if ((await stat(dir)).ino !== SUBVOLUME_ROOT_INO) {
      throw new SnapctlError('failed', `${dir} exists but is not a btrfs subvolume`, 'move it aside so snapctl can create its snapshot subvolume there');
    }
    const dest = path.join(dir, request.id);
    await this.tools.check('btrfs', ['subvolume', 'snapshot', '-r', root, dest], 'taking a btrfs snapshot needs write access to the subvolume (root, or a subvolume you own)');
    // With quotas on (as snapper setups have them), btrfs knows at once what the snapshot references and what
    // only it holds (which grows as the folder moves on). Without them the size stays unknown (0, shown as
    // '?'): walking the folder would make a constant-time snapshot linear in its size.
    const sizes = await this.qgroupSizes(dest);
    return { ref: dest, size: sizes?.referenced ?? 0, addedBytes: sizes?.exclusive ?? 0, files: 0, problems: [] };
  }

  /** The snapshot's sizes from its quota group, or null when quotas are off or their report is not understood. */
  private async qgroupSizes(subvolume: string): Promise<QgroupSizes | null> {
    const r = await this.tools.run('btrfs', ['qgroup', 'show', '--raw', '-f', subvolume]);
    if (r.exitCode !== 0) return null; // "quotas not enabled", the usual case
    try {
      return parseQgroupShow(r.stdout);
    } catch {
      // The snapshot exists already: an unknown size is not worth failing it, and leaving it unrecorded, over.
      return null;
    }
  }

  async discard(id: string, target: string): Promise<void> {
    const root = await subvolumeRoot(target).catch(() => null);
    if (!root) return;
    const dest = path.join(root, BTRFS_SNAPSHOT_DIR, id);
    if (await isDirectory(dest)) await this.tools.check('btrfs', ['subvolume', 'delete', dest], 'deleting a btrfs snapshot needs root, or the user_subvol_rm_allowed mount option');
  }

  async remove(record: SnapshotRecord): Promise<void> {
    const dest = this.snapshotPath(record);
    if (!(await isDirectory(dest))) return; // already gone: nothing to free
    await this.tools.check('btrfs', ['subvolume', 'delete', dest], 'deleting a btrfs snapshot needs root, or the user_subvol_rm_allowed mount option');
  }

  protected async open(record: SnapshotRecord): Promise<SnapshotView> {
    const snap = this.snapshotPath(record);
    if (!(await isDirectory(snap))) throw new SnapctlError('not-found', `the btrfs snapshot ${snap} is gone`, `delete the record with 'snapctl delete ${record.id}'`);
    const root = path.dirname(path.dirname(snap));
    return { dir: path.join(snap, path.relative(root, record.target)), release: async () => undefined };
  }

  protected override exclude(record: SnapshotRecord): PathFilter | undefined {
    const root = path.dirname(path.dirname(this.snapshotPath(record)));
    if (root !== record.target) return undefined;
    return (p) => p === BTRFS_SNAPSHOT_DIR || p.startsWith(`${BTRFS_SNAPSHOT_DIR}/`);
  }

  /** The record's ref, checked: it must be `<subvolume>/.snapctl-snapshots/<id>` around the target. */
  private snapshotPath(record: SnapshotRecord): string {
    const ref = path.resolve(record.ref);
    const root = path.dirname(path.dirname(ref));
    if (path.basename(ref) !== record.id || path.basename(path.dirname(ref)) !== BTRFS_SNAPSHOT_DIR || !isWithin(root, record.target)) {
      throw new SnapctlError('corrupt', `snapshot ${record.id} has an unexpected btrfs path ${JSON.stringify(record.ref)}`, 'it was not touched');
    }
    return ref;
  }
}

/** The root of the subvolume holding `target`: the nearest folder up with the subvolume root inode. */
export async function subvolumeRoot(target: string): Promise<string> {
  let dir = target;
  for (;;) {
    const st = await stat(dir);
    if (st.ino === SUBVOLUME_ROOT_INO) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) throw new SnapctlError('unsupported', `no btrfs subvolume holds ${target}`, 'use the clone provider');
    dir = parent;
  }
}

async function isDirectory(p: string): Promise<boolean> {
  return (await stat(p).catch(nullIfMissing))?.isDirectory() ?? false;
}

export interface QgroupSizes {
  /** Bytes the subvolume references (shared or not): what a full copy would take, as btrfs stores it. */
  referenced: number;
  /** Bytes only this subvolume references. */
  exclusive: number;
}

const QGROUP_HEADER = /^qgroupid\s+(referenced|rfer)\s+(exclusive|excl)(\s+path)?$/i;

/**
 * `btrfs qgroup show --raw -f SUBVOLUME`: a header (`Qgroupid Referenced Exclusive Path` from btrfs-progs
 * 5.x, `qgroupid rfer excl` before), a rule of dashes, then the quota groups that count the subvolume; its
 * own is the one at level 0 (`0/<subvolume id>`). Anything else is an error that quotes the output.
 */
export function parseQgroupShow(output: string): QgroupSizes {
  const fail = (): SnapctlError => unrecognised('btrfs', 'qgroup show --raw -f', output);
  const [header, rule, ...rows] = output.split('\n').map((l) => l.trim()).filter((l) => l !== '');
  if (!header || !QGROUP_HEADER.test(header) || !rule || !/^-+(\s+-+)*$/.test(rule)) throw fail();
  const own: QgroupSizes[] = [];
  for (const row of rows) {
    const m = /^(\d+)\/\d+\s+(\d+)\s+(\d+)(\s+.*)?$/.exec(row);
    if (!m) throw fail();
    if (m[1] === '0') own.push({ referenced: Number(m[2]), exclusive: Number(m[3]) });
  }
  if (own.length !== 1 || !own.every((q) => Number.isSafeInteger(q.referenced) && Number.isSafeInteger(q.exclusive))) throw fail();
  return own[0] as QgroupSizes;
}
