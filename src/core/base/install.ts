import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Where snapctl's own files are, found from any compiled module (dist/src/**, the CLI bundle, the packaged
 * app's app.asar, the CLI unpacked beside it): the nearest folder above it holding snapctl's package.json.
 * One place, so no module counts `..` levels that a move or a bundle would silently break.
 *
 * A packaged app has two trees: `app.asar`, which only Electron can read, and `app.asar.unpacked`, the CLI
 * that the Node on PATH runs (bin/, its bundle, the popover for `snapctl serve`, the native modules). The
 * unpacked tree gets a package.json of its own at packaging (packaging/after-pack.ts): the archive's copy is
 * out of Node's reach, and unpacking that one would take it out of the archive's integrity check.
 */
export interface InstallLayout {
  root: string;
  /** package.json's version: the one source of it. */
  version: string;
  /** The CLI's launcher, for git hooks and the installed `snapctl` command to call: always one Node can read. */
  cliScript: string;
  /** The folder holding the CLI's files (bin/, the bundle, its native modules): `root` outside a packaged app. */
  cliRoot: string;
  /** The built popover (index.html, app.js), served by `snapctl serve` and loaded by the tray app. */
  popoverDir: string;
  /** The sandboxed preload bundle of the tray app. */
  preloadScript: string;
  assetsDir: string;
  /** Extra fields the packaging put in package.json (`snapctl.debuggable`: a test build that allows a debugger). */
  packaged: { debuggable: boolean };
}

let cached: InstallLayout | undefined;

/** The folder Node can read for a root inside a packaged app's archive: `…/app.asar` -> `…/app.asar.unpacked`. */
export function unpackedRoot(root: string): string {
  return path.basename(root) === 'app.asar' ? `${root}.unpacked` : root;
}

/** This install's layout, found once. */
export function installLayout(): InstallLayout {
  cached ??= findInstallLayout(import.meta.url);
  return cached;
}

/** The layout of the install holding the module at `fromUrl`. */
export function findInstallLayout(fromUrl: string): InstallLayout {
  let dir = path.dirname(fileURLToPath(fromUrl));
  for (;;) {
    const manifest = path.join(dir, 'package.json');
    if (existsSync(manifest)) {
      const pkg = JSON.parse(readFileSync(manifest, 'utf8')) as { name?: unknown; version?: unknown; snapctl?: { debuggable?: unknown } };
      if (pkg.name === 'snapctl' && typeof pkg.version === 'string') {
        const cliRoot = unpackedRoot(dir);
        return {
          root: dir,
          version: pkg.version,
          cliRoot,
          cliScript: path.join(cliRoot, 'bin', 'snapctl.js'),
          popoverDir: path.join(dir, 'dist', 'renderer'),
          preloadScript: path.join(dir, 'dist', 'main', 'preload.cjs'),
          assetsDir: path.join(dir, 'assets'),
          packaged: { debuggable: pkg.snapctl?.debuggable === true },
        };
      }
    }
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`snapctl's package.json was not found above ${fileURLToPath(fromUrl)}`);
    dir = parent;
  }
}
