import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** @electron/fuses finds the fuse wire after this string in Electron's binary (its constants.ts). */
export const FUSE_SENTINEL = 'dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX';

/**
 * Electron 41's fuse wire as it ships, in @electron/fuses' order: RunAsNode on, cookie encryption off,
 * NODE_OPTIONS on, --inspect on, asar integrity off, only-load-from-asar off, browser V8 snapshot off, file://
 * extra privileges on ('1' on, '0' off). electron-builder flips them per electron-builder.yml.
 */
export const ELECTRON_DEFAULT_WIRE = '10110001';

/**
 * A stand-in for Electron's distribution folder, for building packages where Electron's binary cannot be
 * downloaded (CI has the npm registry only, and the binary comes from GitHub releases): an `electron`
 * executable that carries the fuse wire, so electron-builder's fuse step runs and can be checked, and that
 * says what it is when run. Everything snapctl's own code puts into a package is real; only the Electron
 * shell is not. Returns the folder, for electron-builder's `electronDist`.
 */
export async function writeElectronStandIn(dir: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  const script = [
    '#!/bin/sh',
    "echo 'this is a stand-in for the Electron binary (a package built where Electron cannot be downloaded): the tray app cannot run from it; the CLI beside it can' >&2",
    'exit 1',
    '',
  ].join('\n');
  const wire = Buffer.concat([Buffer.from(`# ${FUSE_SENTINEL}`), Buffer.from([1, ELECTRON_DEFAULT_WIRE.length]), Buffer.from(`${ELECTRON_DEFAULT_WIRE}\n`)]);
  await writeFile(path.join(dir, 'electron'), Buffer.concat([Buffer.from(script), wire]), { mode: 0o755 });
  await writeFile(path.join(dir, 'STAND-IN.txt'), 'Not Electron: a stand-in binary carrying the fuse wire, for packaging tests (packaging/electron-stand-in.ts).\n');
  return dir;
}

/** The fuse wire of a built binary, as '0'/'1' per fuse (@electron/fuses' order), or null without a sentinel. */
export function readFuseWire(binary: Buffer): string | null {
  const at = binary.indexOf(FUSE_SENTINEL);
  if (at < 0) return null;
  const start = at + FUSE_SENTINEL.length;
  const length = binary[start + 1] ?? 0;
  return binary.subarray(start + 2, start + 2 + length).toString('latin1');
}

/** Fuse positions in the wire (@electron/fuses FuseV1Options). */
export const FUSES = {
  runAsNode: 0, enableCookieEncryption: 1, enableNodeOptionsEnvironmentVariable: 2, enableNodeCliInspectArguments: 3,
  enableEmbeddedAsarIntegrityValidation: 4, onlyLoadAppFromAsar: 5, loadBrowserProcessSpecificV8Snapshot: 6, grantFileProtocolExtraPrivileges: 7,
} as const;
