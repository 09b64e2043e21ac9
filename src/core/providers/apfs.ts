import { existsSync } from 'node:fs';
import { mkdtemp, rmdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SnapctlError } from '../base/errors.js';
import { isWithin } from '../state/paths.js';
import type { SnapshotRecord } from '../../shared/model.js';
import { needsFullDiskAccess, parseListLocalSnapshots, parseLocalSnapshot, parseTmutilDate, TM_SNAPSHOT } from './apfs-output.js';
import type { CreateRequest, CreatedSnapshot, Detection, ProviderCapabilities } from './provider.js';
import { runAsAdmin, type AdminPrompt } from './admin-prompt.js';
import { ToolRunner, toolFailed, type ToolResult } from './tools.js';
import { TreeSnapshotProvider, type SnapshotView } from './tree-snapshot.js';

const CATALINA_DATA_VOLUME = '/System/Volumes/Data';
const FULL_DISK_ACCESS_HINT = 'give the app that runs snapctl (Terminal, or snapctl itself) Full Disk Access in System Settings › Privacy & Security';
const ADMIN_HINT = `mounting an APFS snapshot needs administrator rights: run 'sudo snapctl …' once for this rollback, and ${FULL_DISK_ACCESS_HINT}`;

export interface ApfsOptions {
  tools?: ToolRunner;
  /** The volume whose snapshots tmutil makes and mount_apfs mounts (the Data volume from Catalina on). */
  dataVolume?: string;
  platform?: NodeJS.Platform;
  /**
   * Ask for administrator rights with macOS's own password prompt for the snapshot's mount and unmount (the
   * tray app, which may say what to do around the prompt); without it (the CLI) they run as the caller, who uses `sudo`.
   */
  adminPrompt?: boolean | AdminPrompt;
}

/**
 * APFS local snapshots through Time Machine's tools: `tmutil localsnapshot` snapshots every APFS volume at
 * once; rollback and diff mount the snapshot read-only with `mount_apfs -s` (administrator rights) and
 * restore the chosen folder from it, since macOS has no whole-volume revert from the command line. macOS
 * thins these snapshots on its own (about 24 h, or under disk pressure), so records are reconciled.
 */
export class ApfsProvider extends TreeSnapshotProvider {
  readonly name = 'apfs' as const;
  readonly capabilities: ProviderCapabilities = { wholeVolume: true, partialRestore: true, needsAdmin: true, mayVanish: true, walksOnCreate: false };
  private readonly tools: ToolRunner;
  private readonly dataVolume: string;
  private readonly platform: NodeJS.Platform;
  private readonly adminPrompt: AdminPrompt | null;

  constructor(options: ApfsOptions = {}) {
    super();
    this.tools = options.tools ?? new ToolRunner();
    this.dataVolume = options.dataVolume ?? (existsSync(CATALINA_DATA_VOLUME) ? CATALINA_DATA_VOLUME : '/');
    this.platform = options.platform ?? process.platform;
    this.adminPrompt = options.adminPrompt === true ? {} : options.adminPrompt || null;
  }

  /** mount_apfs and umount, behind the password prompt when the app asks for one. */
  private privileged(tool: string, args: string[]): Promise<ToolResult> {
    return this.adminPrompt ? runAsAdmin(this.tools, tool, args, 'snapctl needs to mount a Time Machine local snapshot, read-only, to restore your folder from it.', this.adminPrompt) : this.tools.run(tool, args);
  }

  async detect(target: string): Promise<Detection> {
    if (this.platform !== 'darwin') return { usable: false, reason: 'APFS snapshots are made by macOS (tmutil); this is not macOS' };
    try {
      this.volumePath(target);
      await this.listNames();
    } catch (err) {
      return { usable: false, reason: err instanceof SnapctlError ? err.line : String(err) };
    }
    return { usable: true, reason: `macOS APFS local snapshots of ${this.dataVolume}, a choice (per folder in settings, or --provider apfs), never picked on its own: they cover the whole volume, macOS removes them after about 24 h or when space runs low, and a rollback asks for an administrator password` };
  }

  async create(request: CreateRequest): Promise<CreatedSnapshot> {
    this.volumePath(request.target);
    const made = await this.tmutil(['localsnapshot']);
    const date = parseLocalSnapshot(made.stdout + made.stderr);
    // tmutil has reported snapshots that did not exist: believe the list, not the message.
    const name = (await this.listNames()).find((n) => TM_SNAPSHOT.exec(n)?.[1] === date);
    if (!name) throw new SnapctlError('failed', `tmutil reported a local snapshot dated ${date}, but it is not in the list of local snapshots`, 'Time Machine local snapshots may be disabled, or the disk is nearly full');
    const age = Math.abs(Date.now() - parseTmutilDate(date).getTime());
    if (age > 10 * 60_000) throw new SnapctlError('failed', `tmutil answered with an old snapshot (${date}) instead of a new one`, 'try again in a minute');
    return { ref: name, size: 0, addedBytes: 0, files: 0, problems: [] };
  }

  async remove(record: SnapshotRecord): Promise<void> {
    const date = this.snapshotDate(record);
    if (!(await this.listNames()).includes(record.ref)) return; // macOS thinned it already
    // Always a full date: given a mount point, deletelocalsnapshots deletes every snapshot on the volume.
    await this.tmutil(['deletelocalsnapshots', date]);
  }

  /** Ids of records whose snapshot macOS no longer lists (thinned, or deleted by someone else). */
  async vanished(records: readonly SnapshotRecord[]): Promise<Set<string>> {
    const listed = new Set(await this.listNames());
    return new Set(records.filter((r) => !listed.has(r.ref)).map((r) => r.id));
  }

  protected async open(record: SnapshotRecord): Promise<SnapshotView> {
    this.snapshotDate(record);
    const rel = this.volumePath(record.target);
    const mnt = await mkdtemp(path.join(tmpdir(), 'snapctl-apfs-'));
    const mounted = await this.privileged('mount_apfs', ['-o', 'nodev,noexec,nosuid,rdonly,nobrowse', '-s', record.ref, this.dataVolume, mnt]);
    if (mounted.exitCode !== 0) {
      await rmdir(mnt).catch(() => undefined);
      const said = mounted.stderr + mounted.stdout;
      if (/Operation not permitted|must be root|Permission denied/i.test(said)) throw toolFailed('mount_apfs', ['-s'], mounted, ADMIN_HINT);
      if (/not found|No such/i.test(said) && !(await this.listNames()).includes(record.ref)) {
        throw new SnapctlError('not-found', `macOS removed the APFS snapshot ${record.ref}`, `delete the record with 'snapctl delete ${record.id}'`);
      }
      throw toolFailed('mount_apfs', ['-s'], mounted);
    }
    return {
      dir: path.join(mnt, rel),
      release: async () => {
        // Unmount always, even after a failed restore; a busy mount is forced rather than left behind.
        const r = await this.privileged('umount', [mnt]);
        if (r.exitCode !== 0) await this.privileged('diskutil', ['unmount', 'force', mnt]);
        await rmdir(mnt).catch(() => undefined);
      },
    };
  }

  private async listNames(): Promise<string[]> {
    return parseListLocalSnapshots((await this.tmutil(['listlocalsnapshots', '/'])).stdout);
  }

  private async tmutil(args: string[]): Promise<ToolResult> {
    const r = await this.tools.run('tmutil', args);
    const said = r.stdout + r.stderr;
    if (needsFullDiskAccess(said)) throw toolFailed('tmutil', args, r, FULL_DISK_ACCESS_HINT);
    if (r.exitCode !== 0) throw toolFailed('tmutil', args, r, /root|privilege|permitted/i.test(said) ? ADMIN_HINT : undefined);
    return r;
  }

  /** The record's ref, checked: a Time Machine snapshot name, whose date is what tmutil deletes by. */
  private snapshotDate(record: SnapshotRecord): string {
    const date = TM_SNAPSHOT.exec(record.ref)?.[1];
    if (!date) throw new SnapctlError('corrupt', `snapshot ${record.id} has an unexpected APFS name ${JSON.stringify(record.ref)}`, 'it was not touched');
    return date;
  }

  /** Where the folder is inside the snapshotted volume; firmlinked paths (/Users, ...) live on the Data volume. */
  private volumePath(target: string): string {
    if (isWithin(this.dataVolume, target)) return path.relative(this.dataVolume, target);
    if (this.dataVolume === CATALINA_DATA_VOLUME && target.startsWith('/') && !target.startsWith('/System/')) return target.slice(1);
    throw new SnapctlError('unsupported', `${target} is not on the APFS volume ${this.dataVolume} that Time Machine snapshots`, 'use the clone provider for this folder');
  }
}
