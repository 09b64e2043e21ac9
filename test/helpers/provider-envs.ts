import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, copyFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ProviderName } from '../../src/shared/model.js';
import { repoRoot, tempDir } from './helpers.js';

/** A place where one provider really works: its target folder, the environment its tools need, and cleanup. */
export interface ProviderEnv {
  provider: ProviderName;
  root: string;
  home: string;
  target: string;
  env: Record<string, string>;
  /** Every external tool call, as argument arrays (fakes only). */
  calls: () => Promise<string[][]>;
  /** Whether the provider still holds the snapshot behind a record (checked on disk, not through snapctl). */
  snapshotExists: (ref: string) => Promise<boolean>;
  /** Writes the fake tmutil/mount_apfs mode (a macOS era or a failure). */
  setMode: (mode: string) => Promise<void>;
  cleanup: () => Promise<void>;
}

async function fakeBin(root: string, tools: string[]): Promise<string> {
  const bin = path.join(root, 'bin');
  await mkdir(bin, { recursive: true });
  for (const tool of tools) {
    const dest = path.join(bin, tool);
    await copyFile(path.join(repoRoot, 'test', 'helpers', 'fake-tools', `${tool}.cjs`), dest);
    await chmod(dest, 0o755);
  }
  return bin;
}

function readCalls(log: string): () => Promise<string[][]> {
  return async () => (await readFile(log, 'utf8').catch(() => '')).split('\n').filter(Boolean).map((l) => JSON.parse(l) as string[]);
}

export async function cloneEnv(): Promise<ProviderEnv> {
  const root = await tempDir();
  const target = path.join(root, 'project');
  await mkdir(target);
  const home = path.join(root, 'home');
  return {
    provider: 'clone', root, home, target, env: {}, calls: async () => [], setMode: async () => undefined,
    snapshotExists: async (ref) => existsSync(path.join(home, 'clone', 'manifests', `${ref}.json`)),
    cleanup: () => rm(root, { recursive: true, force: true }),
  };
}

export async function zfsEnv(): Promise<ProviderEnv> {
  const root = await tempDir();
  const mount = path.join(root, 'tank-home');
  const target = path.join(mount, 'code', 'project');
  await mkdir(target, { recursive: true });
  const log = path.join(root, 'calls.log');
  const bin = await fakeBin(root, ['zfs']);
  return {
    provider: 'zfs', root, home: path.join(root, 'home'), target,
    env: { PATH: `${bin}:${process.env['PATH'] ?? ''}`, FAKE_ZFS_MOUNT: mount, FAKE_ZFS_DATASET: 'tank/home', FAKE_TOOLS_LOG: log, SNAPCTL_ZFS_ANY_FS: '1' },
    calls: readCalls(log), setMode: async () => undefined,
    snapshotExists: async (ref) => existsSync(path.join(mount, '.zfs', 'snapshot', ref.split('@')[1] ?? 'none')),
    cleanup: () => rm(root, { recursive: true, force: true }),
  };
}

export async function apfsEnv(): Promise<ProviderEnv> {
  const root = await tempDir();
  const volume = path.join(root, 'Data');
  const state = path.join(root, 'apfs-state');
  const target = path.join(volume, 'Users', 'me', 'project');
  await mkdir(target, { recursive: true });
  await mkdir(state);
  const log = path.join(root, 'calls.log');
  const bin = await fakeBin(root, ['tmutil', 'mount_apfs', 'umount', 'osascript']);
  return {
    provider: 'apfs', root, home: path.join(root, 'home'), target,
    env: { PATH: `${bin}:${process.env['PATH'] ?? ''}`, SNAPCTL_APFS_VOLUME: volume, FAKE_APFS_VOLUME: volume, FAKE_APFS_STATE: state, FAKE_TOOLS_LOG: log },
    calls: readCalls(log),
    snapshotExists: async (ref) => existsSync(path.join(state, 'snapshots', ref)),
    setMode: (mode) => writeFile(path.join(state, 'mode'), mode),
    cleanup: () => rm(root, { recursive: true, force: true }),
  };
}

/** Why the btrfs tests cannot run here, or null when they can (root, btrfs-progs, loop devices). */
export function btrfsUnavailable(): string | null {
  if (process.getuid?.() !== 0) return 'SKIPPED: btrfs tests need root to mount a loop image (run the tests as root, as CI does)';
  try {
    execFileSync('mkfs.btrfs', ['--version'], { stdio: 'ignore' });
    execFileSync('btrfs', ['--version'], { stdio: 'ignore' });
  } catch {
    return 'SKIPPED: btrfs tests need btrfs-progs (apt-get install btrfs-progs)';
  }
  return null;
}

/** A real btrfs filesystem in a file image, loop-mounted; the target is a folder inside a subvolume. */
export async function btrfsEnv(options: { wholeSubvolume?: boolean; sizeMb?: number } = {}): Promise<ProviderEnv> {
  const root = await tempDir();
  const image = path.join(root, 'btrfs.img');
  const mnt = path.join(root, 'mnt');
  await mkdir(mnt);
  execFileSync('truncate', ['-s', `${options.sizeMb ?? 256}M`, image]);
  execFileSync('mkfs.btrfs', ['-q', image]);
  execFileSync('mount', ['-o', 'loop', image, mnt]);
  execFileSync('btrfs', ['subvolume', 'create', path.join(mnt, 'vol')], { stdio: 'ignore' });
  const target = options.wholeSubvolume ? path.join(mnt, 'vol') : path.join(mnt, 'vol', 'project');
  await mkdir(target, { recursive: true });
  return {
    provider: 'btrfs', root, home: path.join(root, 'home'), target, env: {}, calls: async () => [], setMode: async () => undefined,
    snapshotExists: async (ref) => existsSync(ref),
    cleanup: async () => {
      try { execFileSync('umount', [mnt]); } catch { execFileSync('umount', ['-l', mnt]); }
      await rm(root, { recursive: true, force: true });
    },
  };
}
