// First snapshots (fresh process, new state folder) against copying tools, run in the same rounds with the
// order rotated each round, so no tool always goes first into a cold or a warm cache.
import { execFileSync } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { type Row, type Timed, row, timeCommand, timeSnapctl, remove } from './measure.js';

export interface Peer {
  name: string;
  /** Untimed set-up of round `r` (a backup tool's empty repository). */
  prepare?: (r: number) => Promise<void>;
  run: (r: number) => Promise<Timed>;
  /** Removes what round `r` wrote. */
  cleanup: (r: number) => Promise<void>;
}

/** A peer that copies `src` to a fresh folder each round (`cp -a`, `rsync -a`). */
export function copyPeer(work: string, name: string, cmd: string, args: (src: string, dest: string) => string[], src: string): Peer {
  const dest = (r: number): string => path.join(work, `${cmd}-${r}`);
  return {
    name,
    run: (r) => timeCommand(cmd, args(src, dest(r)), work),
    cleanup: (r) => remove(dest(r)),
  };
}

/** snapctl's first snapshot of `src` against each peer, `runs` rounds; one row per peer (snapctl's runs shared). */
export async function firstSnapshotRows(work: string, src: string, label: string, peers: Peer[], runs: number, goal: number | null): Promise<Row[]> {
  const home = (r: number): string => path.join(work, `home-first-${r}`);
  const snap: Peer = {
    name: 'snapctl',
    run: (r) => timeSnapctl(['create', '--path', src, '--provider', 'clone'], home(r), work),
    cleanup: (r) => remove(home(r)),
  };
  const all = [snap, ...peers];
  const times = new Map<string, Timed[]>(all.map((p) => [p.name, []]));
  for (let r = 0; r < runs; r++) {
    for (let k = 0; k < all.length; k++) {
      const tool = all[(k + r) % all.length] as Peer;
      await tool.prepare?.(r);
      times.get(tool.name)?.push(await tool.run(r));
      await tool.cleanup(r);
    }
  }
  const ours = times.get('snapctl') ?? [];
  return peers.map((p) => row(`first snapshot, ${label}`, ours, times.get(p.name) ?? [], p.name, goal));
}

/**
 * Runs `fn` on a fresh btrfs filesystem in a loop image of `sizeMb` under `work`, unmounted after; a note
 * instead when this machine cannot (not root, no btrfs-progs, --no-btrfs).
 */
export async function onBtrfsLoop<T>(work: string, name: string, sizeMb: number, fn: (mnt: string) => Promise<T>): Promise<T | string> {
  if (process.getuid?.() !== 0) return `${name}: skipped (needs root to loop-mount a btrfs image)`;
  try { execFileSync('mkfs.btrfs', ['--version'], { stdio: 'ignore' }); } catch { return `${name}: skipped (apt-get install btrfs-progs)`; }
  const image = path.join(work, `${name}.img`);
  const mnt = path.join(work, `${name}-mnt`);
  await mkdir(mnt, { recursive: true });
  execFileSync('truncate', ['-s', `${sizeMb}M`, image]);
  execFileSync('mkfs.btrfs', ['-q', image]);
  execFileSync('mount', ['-o', 'loop', image, mnt]);
  try {
    return await fn(mnt);
  } finally {
    execFileSync('umount', [mnt]);
    await remove(image);
  }
}
