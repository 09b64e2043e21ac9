/** A platform and architecture the app ships for: each gets a package of its own, with its own native modules. */
export interface Target {
  platform: 'linux' | 'darwin';
  arch: 'x64' | 'arm64';
}

export const SHIPPED_TARGETS: readonly Target[] = [
  { platform: 'darwin', arch: 'arm64' },
  { platform: 'darwin', arch: 'x64' },
  { platform: 'linux', arch: 'x64' },
  { platform: 'linux', arch: 'arm64' },
];

export function targetName(t: Target): string {
  return `${t.platform}-${t.arch}`;
}

export function parseTarget(name: string): Target {
  const [platform, arch] = name.split('-');
  if ((platform === 'linux' || platform === 'darwin') && (arch === 'x64' || arch === 'arm64')) return { platform, arch };
  throw new Error(`unknown target ${JSON.stringify(name)}: expected one of ${SHIPPED_TARGETS.map(targetName).join(', ')}`);
}

/**
 * The native modules the app and its CLI load, each a loader package that picks a per-platform package with
 * the prebuilt binary (npm installs only the build machine's). `builds` is where a build is published: a
 * package for a target in that list must carry it.
 */
export interface NativeModule {
  name: string;
  needs: string;
  builds: readonly string[];
  /** The loader package carries every platform's binary itself (no per-platform packages to forget). */
  carriesEveryBuild?: true;
  /** Where its per-platform packages are named, when not `${name}-` (koffi's are `@koromix/koffi-linux-x64`, ...). */
  platformPackages?: string;
}

export const NATIVE_MODULES: readonly NativeModule[] = [
  {
    name: '@napi-rs/xattr',
    needs: 'extended attributes (Linux ACLs and user.*; macOS Finder tags, quarantine flags, resource forks)',
    builds: ['darwin-arm64', 'darwin-x64', 'linux-x64', 'linux-arm64'],
  },
  {
    name: '@reflink/reflink',
    needs: 'copy-on-write clones of snapshot files (btrfs, XFS, APFS)',
    builds: ['darwin-arm64', 'darwin-x64', 'linux-x64', 'linux-arm64'],
  },
  {
    // node-unix-socket 0.2.7 lists seven platform packages, but only the linux-x64 ones exist on the registry
    // (the others answer 404): elsewhere metrics go over UDP or the agent's stream socket.
    name: 'node-unix-socket',
    needs: 'DogStatsD over the agent\'s Unix datagram socket',
    builds: ['linux-x64'],
  },
  {
    name: 'fs-native-extensions',
    needs: 'the kernel locks every snapctl process takes on the store and each folder (no free space needed)',
    builds: ['darwin-arm64', 'darwin-x64', 'linux-x64', 'linux-arm64'],
    carriesEveryBuild: true,
  },
  {
    name: 'koffi',
    needs: 'SEEK_DATA/SEEK_HOLE, so a sparse file is read, hashed and stored by its data alone; inotify for the change journal on Linux',
    builds: ['darwin-arm64', 'darwin-x64', 'linux-x64', 'linux-arm64'],
    platformPackages: '@koromix/koffi-',
  },
  {
    // Its Linux packages carry the C library in the name (`@parcel/watcher-linux-x64-glibc`); the packages are
    // glibc builds (package.ts installs with --libc=glibc). On Linux the journal reads inotify itself (koffi) and
    // keeps this as the fallback; on macOS it is the journal's FSEvents.
    name: '@parcel/watcher',
    needs: 'the change journal: FSEvents on macOS (what changed since a snapshot without a walk)',
    builds: ['darwin-arm64', 'darwin-x64', 'linux-x64', 'linux-arm64'],
  },
];

/** The native modules a package for `target` must carry. */
export function requiredModules(target: Target): NativeModule[] {
  return NATIVE_MODULES.filter((m) => m.builds.includes(targetName(target)));
}
