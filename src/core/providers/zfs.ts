import { statfs } from 'node:fs/promises';
import path from 'node:path';
import { SnapctlError } from '../base/errors.js';
import { ZFS_SUPER_MAGIC } from '../base/fs-types.js';
import { isWithin } from '../state/paths.js';
import type { SnapshotRecord } from '../../shared/model.js';
import type { CreateRequest, CreatedSnapshot, Detection, ProviderCapabilities, SpaceCosts } from './provider.js';
import { ToolRunner, unrecognised } from './tools.js';
import { TreeSnapshotProvider, type SnapshotView } from './tree-snapshot.js';
import { hintsWithin, type ChangeHints } from './change-hints.js';
import { parseZfsDiff, ZfsDiffUnreadable } from './zfs-diff.js';

export const ZFS_SNAPSHOT_PREFIX = 'snapctl-';
const DATASET = /^[A-Za-z0-9][A-Za-z0-9_.:/-]*$/;

export interface ZfsDataset { name: string; mountpoint: string }
export interface ZfsSnapshot { name: string; used: number; referenced: number; creation: Date }

/** `zfs list -H -p -o name,mountpoint -t filesystem`: tab-separated, no header. */
export function parseZfsFilesystems(output: string): ZfsDataset[] {
  const out: ZfsDataset[] = [];
  for (const line of output.split('\n')) {
    if (line.trim() === '') continue;
    const fields = line.split('\t');
    if (fields.length !== 2 || !DATASET.test(fields[0] ?? '')) throw unrecognised('zfs', 'list', output);
    out.push({ name: fields[0] as string, mountpoint: fields[1] as string });
  }
  return out;
}

/** `zfs list -H -p -t snapshot -o name,used,referenced,creation`: exact bytes and epoch seconds. */
export function parseZfsSnapshots(output: string): ZfsSnapshot[] {
  const out: ZfsSnapshot[] = [];
  for (const line of output.split('\n')) {
    if (line.trim() === '') continue;
    const [name, used, referenced, creation, ...rest] = line.split('\t');
    if (rest.length > 0 || !name || !/^[^@\s]+@[^@\s]+$/.test(name) || ![used, referenced, creation].every((n) => /^\d+$/.test(n ?? ''))) {
      throw unrecognised('zfs', 'list -t snapshot', output);
    }
    out.push({ name, used: Number(used), referenced: Number(referenced), creation: new Date(Number(creation) * 1000) });
  }
  return out;
}

/**
 * ZFS: `zfs snapshot dataset@snapctl-<id>` of the dataset holding the folder. Rollback restores files from
 * `<mountpoint>/.zfs/snapshot/<name>` instead of `zfs rollback`: rolling back with zfs destroys every newer
 * snapshot (`-r`), including the safety snapshot taken just before, and a user must never lose a newer
 * snapshot by rolling back.
 */
export class ZfsProvider extends TreeSnapshotProvider {
  readonly name = 'zfs' as const;
  readonly capabilities: ProviderCapabilities = { wholeVolume: true, partialRestore: true, needsAdmin: false, mayVanish: false, walksOnCreate: false };

  /** `checkFsType: false` lets tests put a dataset stand-in on any filesystem. */
  constructor(private readonly tools: ToolRunner = new ToolRunner(), private readonly checkFsType = true) { super(); }

  async detect(target: string): Promise<Detection> {
    // The filesystem type first: running `zfs` (and loading execa) on every auto-detected snapshot of a
    // folder that is not on ZFS would cost more than the snapshot's own start-up.
    const fs = await statfs(target).catch(() => null);
    if (this.checkFsType && fs && fs.type !== ZFS_SUPER_MAGIC) return { usable: false, reason: 'the folder is not on a ZFS filesystem' };
    let dataset: ZfsDataset | null;
    try {
      dataset = await this.datasetFor(target);
    } catch (err) {
      return { usable: false, reason: err instanceof SnapctlError ? err.message : 'zfs is not available' };
    }
    if (!dataset) return { usable: false, reason: 'no mounted ZFS dataset holds the folder' };
    const children = await this.childrenInside(target);
    if (children.length > 0) return { usable: false, reason: childrenReason(children) };
    return { usable: true, reason: `the folder is in the ZFS dataset ${dataset.name} (mounted at ${dataset.mountpoint})` };
  }

  async create(request: CreateRequest): Promise<CreatedSnapshot> {
    const dataset = await this.requireDataset(request.target);
    const children = await this.childrenInside(request.target);
    if (children.length > 0) throw new SnapctlError('unsupported', childrenReason(children), 'use the clone provider for this folder (snapctl create --provider clone)');
    const name = `${dataset.name}@${ZFS_SNAPSHOT_PREFIX}${request.id}`;
    await this.tools.check('zfs', ['snapshot', name], "taking a ZFS snapshot needs root or 'zfs allow snapshot'");
    const [made] = parseZfsSnapshots((await this.tools.check('zfs', ['list', '-H', '-p', '-t', 'snapshot', '-o', 'name,used,referenced,creation', name])).stdout);
    if (!made || made.name !== name) throw new SnapctlError('failed', `zfs reported the snapshot ${name} as made, but does not list it`);
    return { ref: name, size: made.referenced, addedBytes: made.used, files: 0, problems: [] };
  }

  async discard(id: string, target: string): Promise<void> {
    const dataset = await this.datasetFor(target).catch(() => null);
    if (!dataset) return;
    const name = `${dataset.name}@${ZFS_SNAPSHOT_PREFIX}${id}`;
    const listed = await this.tools.run('zfs', ['list', '-H', '-p', '-t', 'snapshot', '-o', 'name', name]);
    if (listed.exitCode === 0) await this.tools.check('zfs', ['destroy', name], "destroying a ZFS snapshot needs root or 'zfs allow destroy'");
  }

  /**
   * Each snapshot's `used` (what destroying it alone frees), asked of ZFS in one call: it grows as the
   * dataset moves on. A snapshot ZFS does not name (destroyed meanwhile) or an answer not understood: null.
   */
  async space(records: readonly SnapshotRecord[]): Promise<SpaceCosts> {
    const unique = new Map<string, number | null>(records.map((r) => [r.id, null]));
    const names = new Map<string, string>();
    for (const r of records) {
      try { names.set(this.snapshotName(r), r.id); } catch { /* a damaged ref: unknown */ }
    }
    if (names.size > 0) {
      const r = await this.tools.run('zfs', ['get', '-H', '-p', '-o', 'name,value', 'used', ...names.keys()]).catch(() => null);
      for (const line of r?.stdout.split('\n') ?? []) {
        const [name, value, ...rest] = line.split('\t');
        const id = name !== undefined ? names.get(name) : undefined;
        if (id !== undefined && rest.length === 0 && /^\d+$/.test(value ?? '')) unique.set(id, Number(value));
      }
    }
    return { unique, folderBytes: new Map(), total: null };
  }

  async remove(record: SnapshotRecord): Promise<void> {
    const name = this.snapshotName(record);
    const listed = await this.tools.run('zfs', ['list', '-H', '-p', '-t', 'snapshot', '-o', 'name,used,referenced,creation', name]);
    if (listed.exitCode !== 0) return; // already destroyed: nothing to free
    // Never -r or -R: only this one snapshot, never a dataset or its children.
    await this.tools.check('zfs', ['destroy', name], "destroying a ZFS snapshot needs root or 'zfs allow destroy'");
  }

  /**
   * `zfs diff -H -F OLDER NEWER`: ZFS walks only the objects born or changed between the two snapshots. No
   * `-h`: escaped, every path stays on its line (zfs-diff.ts).
   */
  protected override async changeHints(older: SnapshotRecord, newer: SnapshotRecord): Promise<ChangeHints | { why: string }> {
    const a = this.snapshotName(older);
    const b = this.snapshotName(newer);
    if (a.split('@')[0] !== b.split('@')[0]) return { why: 'the two snapshots are of different datasets' };
    const dataset = await this.requireDataset(older.target);
    if (dataset.name !== a.split('@')[0]) return { why: `the folder is now in the dataset ${dataset.name}, not ${a.split('@')[0]}` };
    const r = await this.tools.run('zfs', ['diff', '-H', '-F', a, b]);
    if (r.exitCode !== 0) return { why: `zfs diff failed: ${r.stderr.trim().split('\n')[0] ?? `exit code ${r.exitCode}`}` };
    try {
      return hintsWithin(parseZfsDiff(r.stdout, dataset.mountpoint), path.relative(dataset.mountpoint, older.target));
    } catch (err) {
      if (err instanceof ZfsDiffUnreadable) return { why: err.message };
      throw err;
    }
  }

  protected async open(record: SnapshotRecord): Promise<SnapshotView> {
    const name = this.snapshotName(record);
    const dataset = await this.requireDataset(record.target);
    const snap = name.slice(name.indexOf('@') + 1);
    const dir = path.join(dataset.mountpoint, '.zfs', 'snapshot', snap, path.relative(dataset.mountpoint, record.target));
    return { dir, release: async () => undefined };
  }

  /** The record's ref, checked: `<dataset>@snapctl-<id>` and nothing else. */
  private snapshotName(record: SnapshotRecord): string {
    const [dataset, snap, ...rest] = record.ref.split('@');
    if (rest.length > 0 || !dataset || !DATASET.test(dataset) || snap !== `${ZFS_SNAPSHOT_PREFIX}${record.id}`) {
      throw new SnapctlError('corrupt', `snapshot ${record.id} has an unexpected ZFS name ${JSON.stringify(record.ref)}`, 'it was not touched');
    }
    return record.ref;
  }

  private async requireDataset(target: string): Promise<ZfsDataset> {
    const dataset = await this.datasetFor(target);
    if (!dataset) throw new SnapctlError('unsupported', `no mounted ZFS dataset holds ${target}`, 'use the clone provider');
    return dataset;
  }

  /** The mounted dataset with the longest mountpoint holding `target`. */
  private async datasetFor(target: string): Promise<ZfsDataset | null> {
    const mounted = (await this.mountedDatasets()).filter((d) => isWithin(d.mountpoint, target));
    mounted.sort((a, b) => b.mountpoint.length - a.mountpoint.length);
    return mounted[0] ?? null;
  }

  /**
   * Datasets mounted inside the folder (a database's own dataset, say): a snapshot of the dataset holding
   * the folder leaves them out, and a rollback would empty them. Such a folder gets clone instead.
   */
  private async childrenInside(target: string): Promise<ZfsDataset[]> {
    return (await this.mountedDatasets()).filter((d) => d.mountpoint !== target && isWithin(target, d.mountpoint));
  }

  private async mountedDatasets(): Promise<ZfsDataset[]> {
    const r = await this.tools.check('zfs', ['list', '-H', '-p', '-o', 'name,mountpoint', '-t', 'filesystem']);
    return parseZfsFilesystems(r.stdout).filter((d) => d.mountpoint.startsWith('/'));
  }
}

function childrenReason(children: readonly ZfsDataset[]): string {
  const shown = children.slice(0, 3).map((d) => `${d.name} at ${d.mountpoint}`).join(', ');
  return `ZFS datasets are mounted inside the folder (${shown}${children.length > 3 ? ', …' : ''}), which a ZFS snapshot of it leaves out: clone snapshots the folder around them, leaving each mounted dataset to its own snapshots`;
}
