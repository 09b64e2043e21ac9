import { chmod, lstat, readdir, stat, statfs } from 'node:fs/promises';
import path from 'node:path';
import { SnapctlError, nullIfMissing } from '../base/errors.js';
import { BTRFS_SUPER_MAGIC } from '../base/fs-types.js';
import { isWithin } from '../state/paths.js';
import type { SnapshotRecord } from '../../shared/model.js';
import type { CreateRequest, CreatedSnapshot, Detection, ProviderCapabilities, SpaceCosts } from './provider.js';
import { readMounts, mountOf } from './mounts.js';
import { ToolRunner, unrecognised } from './tools.js';
import { TreeSnapshotProvider, type SnapshotView } from './tree-snapshot.js';
import { SendStreamReader, SendStreamUnreadable } from './btrfs-send.js';
import { hintsWithin, type ChangeHints } from './change-hints.js';
import type { PathFilter } from '../tree/manifest.js';

/** Every btrfs subvolume's root directory has this inode number. */
const SUBVOLUME_ROOT_INO = 256;
/** Where snapshots lived before they were moved out of the folder: `<subvolume>/.snapctl-snapshots/<id>`. */
export const LEGACY_SNAPSHOT_DIR = '.snapctl-snapshots';
/**
 * Where snapshots live: `.snapctl` at the top of the folder's mounted btrfs filesystem, or `btrfs` in the
 * state folder when the top is the folder itself and the state folder shares the filesystem. Never inside
 * a watched folder (`git status`, editors and watchers would walk every snapshot). A subvolume, so that a
 * snapshot of the subvolume it sits in does not contain the snapshots.
 */
export const BTRFS_SNAPSHOT_DIR = '.snapctl';
const STATE_SNAPSHOT_DIR = 'btrfs';

export interface BtrfsOptions {
  /** The state folder: snapshots may live in it when the top of the folder's filesystem is the folder. */
  stateDir?: string;
  /** /proc/self/mountinfo, for tests. */
  mountinfo?: string;
}

/**
 * btrfs: a read-only snapshot (`btrfs subvolume snapshot -r`) of the subvolume holding the folder, kept
 * outside the folder (see BTRFS_SNAPSHOT_DIR); its ref is the folder's view inside the snapshot. Taking one
 * is constant time whatever the folder's size; rollback and diff read the snapshot in place. A folder holding
 * a subvolume of its own (a database's data, say) is not snapshotted whole by btrfs: it gets clone instead.
 */
export class BtrfsProvider extends TreeSnapshotProvider {
  readonly name = 'btrfs' as const;
  readonly capabilities: ProviderCapabilities = { wholeVolume: true, partialRestore: true, needsAdmin: false, mayVanish: false, walksOnCreate: false };

  constructor(private readonly tools: ToolRunner = new ToolRunner(), private readonly options: BtrfsOptions = {}) { super(); }

  async detect(target: string): Promise<Detection> {
    const fs = await statfs(target).catch(() => null);
    if (!fs || fs.type !== BTRFS_SUPER_MAGIC) return { usable: false, reason: 'the folder is not on a btrfs filesystem' };
    if (!(await this.tools.has('btrfs'))) return { usable: false, reason: 'the folder is on btrfs, but the btrfs tool is not installed (apt-get install btrfs-progs)' };
    const place = await this.placeFor(target);
    if ('why' in place) return { usable: false, reason: place.why };
    const nested = await this.nestedSubvolumes(target);
    if (nested.length > 0) return { usable: false, reason: nestedReason(target, nested) };
    return { usable: true, reason: `the folder is in the btrfs subvolume ${place.root}: snapshots are instant and read-only, kept outside the folder in ${place.dir}; their sizes are known when btrfs quotas are on` };
  }

  async create(request: CreateRequest): Promise<CreatedSnapshot> {
    const place = await this.placeFor(request.target);
    if ('why' in place) throw new SnapctlError('unsupported', place.why, 'use the clone provider for this folder');
    const nested = await this.nestedSubvolumes(request.target);
    if (nested.length > 0) throw new SnapctlError('unsupported', nestedReason(request.target, nested), 'use the clone provider for this folder (snapctl create --provider clone)');
    const { dir, root } = place;
    if (!(await isDirectory(dir))) {
      // Another folder of the same filesystem may be creating it at this moment: losing that race is fine.
      await this.tools.check('btrfs', ['subvolume', 'create', dir], 'snapctl keeps btrfs snapshots in a subvolume at the top of the filesystem')
        .catch(async (err: unknown) => { if (!(await isDirectory(dir))) throw err; });
    }
    if ((await stat(dir)).ino !== SUBVOLUME_ROOT_INO) {
      throw new SnapctlError('failed', `${dir} exists but is not a btrfs subvolume`, 'move it aside so snapctl can create its snapshot subvolume there');
    }
    // Snapshots are no easier to read than the folders they came from, whose parents may be private.
    await chmod(dir, 0o700);
    const dest = path.join(dir, request.id);
    await this.tools.check('btrfs', ['subvolume', 'snapshot', '-r', root, dest], 'taking a btrfs snapshot needs write access to the subvolume (root, or a subvolume you own)');
    // With quotas on (as snapper setups have them), btrfs knows at once what the snapshot references and what
    // only it holds (which grows as the folder moves on). Without them the size stays unknown (0, shown as
    // '?'): walking the folder would make a constant-time snapshot linear in its size.
    const sizes = await this.qgroupSizes(dest);
    return { ref: path.join(dest, path.relative(root, request.target)), size: sizes?.referenced ?? 0, addedBytes: sizes?.exclusive ?? 0, files: 0, problems: [] };
  }

  /**
   * Subvolumes inside `target`. Asked of btrfs, whose answer does not grow with the folder (snapshots stay
   * constant time); `btrfs subvolume list` needs root, so anyone else gets a walk of the folders.
   */
  private async nestedSubvolumes(target: string): Promise<string[]> {
    const listed = await this.tools.run('btrfs', ['subvolume', 'list', '-o', target]).catch(() => null);
    const mount = listed?.exitCode === 0 ? mountOf(await readMounts(this.options.mountinfo), target) : null;
    if (!listed || listed.exitCode !== 0 || !mount) return nestedSubvolumes(target);
    const found: string[] = [];
    for (const line of listed.stdout.split('\n')) {
      if (line.trim() === '') continue;
      const m = /^ID \d+ gen \d+ (?:cgen \d+ )?(?:parent \d+ )?top level \d+ (?:parent_uuid \S+ )?(?:uuid \S+ )?path (.+)$/.exec(line);
      if (!m?.[1]) throw unrecognised('btrfs', 'subvolume list -o', listed.stdout);
      // Paths are from the top of the filesystem; the mount shows the part below its root.
      const inMount = path.relative(mount.root, `/${m[1]}`);
      if (inMount.startsWith('..')) continue;
      const abs = path.join(mount.mountPoint, inMount);
      if (abs !== target && isWithin(target, abs) && path.basename(abs) !== LEGACY_SNAPSHOT_DIR) found.push(abs);
    }
    return found.sort();
  }

  /** Where snapshots of `target` go, and the subvolume they are of; or why there is no such place. */
  private async placeFor(target: string): Promise<{ dir: string; root: string } | { why: string }> {
    const root = await subvolumeRoot(target);
    const mounts = await readMounts(this.options.mountinfo);
    const mount = mountOf(mounts, target);
    if (!mount || mount.fsType !== 'btrfs') return { why: 'the folder is not on a mounted btrfs filesystem' };
    const top = path.join(mount.mountPoint, BTRFS_SNAPSHOT_DIR);
    if (!isWithin(target, top)) return { dir: top, root };
    const state = this.options.stateDir;
    const stateMount = state ? mountOf(mounts, state) : null;
    if (state && stateMount?.fsType === 'btrfs' && stateMount.source === mount.source && stateMount.mountPoint === mount.mountPoint && !isWithin(target, state)) {
      return { dir: path.join(state, STATE_SNAPSHOT_DIR), root };
    }
    return { why: `the folder is the top of its btrfs filesystem (${mount.mountPoint}), so its snapshots would have to live inside it, and the state folder is on another filesystem` };
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

  /**
   * With quotas on, each snapshot's exclusive bytes (what deleting it frees), asked of btrfs now: they grow as
   * the folder moves on. Without quotas btrfs does not know, and neither does snapctl: null, never a guess.
   */
  async space(records: readonly SnapshotRecord[]): Promise<SpaceCosts> {
    const unique = new Map<string, number | null>();
    for (const r of records) {
      const subvolume = (() => { try { return this.parseRef(r).subvolume; } catch { return null; } })();
      unique.set(r.id, subvolume ? (await this.qgroupSizes(subvolume).catch(() => null))?.exclusive ?? null : null);
    }
    return { unique, folderBytes: new Map(), total: null };
  }

  async discard(id: string, target: string): Promise<void> {
    const place = await this.placeFor(target).catch(() => null);
    if (!place || 'why' in place) return;
    await this.deleteSubvolume(path.join(place.dir, id));
  }

  async remove(record: SnapshotRecord): Promise<void> {
    await this.deleteSubvolume(this.parseRef(record).subvolume);
  }

  private async deleteSubvolume(subvolume: string): Promise<void> {
    const st = await stat(subvolume).catch(nullIfMissing);
    if (!st) return; // already gone: nothing to free
    if (st.ino !== SUBVOLUME_ROOT_INO) throw new SnapctlError('corrupt', `${subvolume} is not a btrfs snapshot`, 'it was not touched');
    await this.tools.check('btrfs', ['subvolume', 'delete', subvolume], 'deleting a btrfs snapshot needs root, or the user_subvol_rm_allowed mount option');
  }

  /**
   * `btrfs send --no-data -p OLDER NEWER`: the kernel compares the two snapshots' trees and skips what they
   * share, so the stream follows the change, not the folder; `--no-data` leaves the file contents out. Read as
   * it comes (btrfs-send.ts); the paths it names below the folder are the hints. Needs root, as send does.
   */
  protected override async changeHints(older: SnapshotRecord, newer: SnapshotRecord, trace: (phase: string) => void): Promise<ChangeHints | { why: string }> {
    const a = this.parseRef(older);
    const b = this.parseRef(newer);
    const inside = path.relative(a.subvolume, a.view);
    if (inside !== path.relative(b.subvolume, b.view)) return { why: 'the two snapshots hold the folder at different places' };
    // A walk of a snapshot kept where they used to be leaves that folder out, and a walk of a newer one does not.
    if (a.legacyRoot !== b.legacyRoot) return { why: 'one of the two snapshots is kept where snapshots used to be' };
    const reader = new SendStreamReader();
    const sent = await this.tools.stream('btrfs', ['send', '--no-data', '-q', '-p', a.subvolume, b.subvolume], (chunk) => reader.feed(chunk))
      .catch((err: unknown) => { if (err instanceof SendStreamUnreadable) return { why: err.message }; throw err; });
    if ('why' in sent) return sent;
    if (sent.exitCode !== 0) return { why: `btrfs send failed: ${sent.stderr.trim().split('\n')[0] ?? `exit code ${sent.exitCode}`}` };
    let hints: ChangeHints;
    try {
      hints = reader.finish();
    } catch (err) {
      if (err instanceof SendStreamUnreadable) return { why: err.message };
      throw err;
    }
    trace(`btrfs send: ${reader.commands} commands`);
    return hintsWithin(hints, inside === '' ? '' : inside.split(path.sep).join('/'));
  }

  protected async open(record: SnapshotRecord): Promise<SnapshotView> {
    const { subvolume, view } = this.parseRef(record);
    if (!(await isDirectory(subvolume))) throw new SnapctlError('not-found', `the btrfs snapshot ${subvolume} is gone`, `delete the record with 'snapctl delete ${record.id}'`);
    return { dir: view, release: async () => undefined };
  }

  /**
   * Left alone by a restore: subvolumes inside the folder (a btrfs snapshot holds an empty folder in their
   * place, so restoring it would empty them), and, for snapshots taken where they used to be kept, the old
   * snapshot folder inside the subvolume.
   */
  protected override async exclude(record: SnapshotRecord): Promise<PathFilter | undefined> {
    const nested = (await this.nestedSubvolumes(record.target).catch(() => [])).map((p) => path.relative(record.target, p));
    const legacy = this.parseRef(record).legacyRoot === record.target ? [LEGACY_SNAPSHOT_DIR] : [];
    const left = [...nested, ...legacy];
    if (left.length === 0) return undefined;
    return (p) => left.some((l) => p === l || p.startsWith(`${l}/`));
  }

  /**
   * The record's ref, checked: `<snapshots>/<id>/<folder inside the subvolume>` under a snapshot folder of
   * snapctl's (`.snapctl` or the state folder's `btrfs`), or, as before, `<subvolume>/.snapctl-snapshots/<id>`
   * around the target. Anything else is refused, never deleted.
   */
  private parseRef(record: SnapshotRecord): { subvolume: string; view: string; legacyRoot: string | null } {
    const ref = path.resolve(record.ref);
    const parts = ref.split(path.sep);
    const at = parts.lastIndexOf(record.id);
    const parent = parts[at - 1];
    if (at > 1 && (parent === BTRFS_SNAPSHOT_DIR || parent === STATE_SNAPSHOT_DIR)) {
      return { subvolume: parts.slice(0, at + 1).join(path.sep), view: ref, legacyRoot: null };
    }
    const legacyRoot = path.dirname(path.dirname(ref));
    if (at === parts.length - 1 && parent === LEGACY_SNAPSHOT_DIR && isWithin(legacyRoot, record.target)) {
      return { subvolume: ref, view: path.join(ref, path.relative(legacyRoot, record.target)), legacyRoot };
    }
    throw new SnapctlError('corrupt', `snapshot ${record.id} has an unexpected btrfs path ${JSON.stringify(record.ref)}`, 'it was not touched');
  }
}

/** Subvolumes inside `target` (their root folders), found by inode; never descending into one. */
export async function nestedSubvolumes(target: string): Promise<string[]> {
  const found: string[] = [];
  const pending = [target];
  while (pending.length > 0) {
    const dir = pending.pop() as string;
    const dirents = await readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const d of dirents) {
      if (!d.isDirectory()) continue;
      const abs = path.join(dir, d.name);
      const st = await lstat(abs).catch(nullIfMissing);
      if (!st?.isDirectory()) continue;
      // Snapshots kept where they used to be, inside the subvolume, are snapctl's own, not the user's.
      if (st.ino === SUBVOLUME_ROOT_INO && d.name !== LEGACY_SNAPSHOT_DIR) found.push(abs);
      else if (st.ino === SUBVOLUME_ROOT_INO) continue;
      else pending.push(abs);
    }
  }
  return found.sort();
}

function nestedReason(target: string, nested: readonly string[]): string {
  const shown = nested.slice(0, 3).map((p) => path.relative(target, p)).join(', ');
  return `the folder holds ${nested.length === 1 ? 'a btrfs subvolume' : 'btrfs subvolumes'} of its own (${shown}${nested.length > 3 ? ', …' : ''}), which a btrfs snapshot leaves out: clone snapshots them with the rest`;
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
