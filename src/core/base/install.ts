import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Where snapctl's own files are, found from any compiled module (dist/src/**, the CLI bundle, the packaged
 * app's app.asar): the nearest folder above it holding snapctl's package.json. One place, so no module
 * counts `..` levels that a move or a bundle would silently break.
 */
export interface InstallLayout {
  root: string;
  /** package.json's version: the one source of it. */
  version: string;
  /** The CLI's launcher, for git hooks and the installed `snapctl` command to call. */
  cliScript: string;
  /** The built popover (index.html, app.js), served by `snapctl serve` and loaded by the tray app. */
  popoverDir: string;
  /** The sandboxed preload bundle of the tray app. */
  preloadScript: string;
  assetsDir: string;
}

let cached: InstallLayout | undefined;

export function installLayout(fromUrl: string = import.meta.url): InstallLayout {
  if (cached) return cached;
  let dir = path.dirname(fileURLToPath(fromUrl));
  for (;;) {
    const manifest = path.join(dir, 'package.json');
    if (existsSync(manifest)) {
      const pkg = JSON.parse(readFileSync(manifest, 'utf8')) as { name?: unknown; version?: unknown };
      if (pkg.name === 'snapctl' && typeof pkg.version === 'string') {
        cached = {
          root: dir,
          version: pkg.version,
          cliScript: path.join(dir, 'bin', 'snapctl.js'),
          popoverDir: path.join(dir, 'dist', 'renderer'),
          preloadScript: path.join(dir, 'dist', 'main', 'preload.cjs'),
          assetsDir: path.join(dir, 'assets'),
        };
        return cached;
      }
    }
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`snapctl's package.json was not found above ${fileURLToPath(fromUrl)}`);
    dir = parent;
  }
}
