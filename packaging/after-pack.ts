// electron-builder's afterPack hook (electron-builder.yml), run for every platform and architecture packed,
// whoever runs electron-builder: it gives the unpacked CLI its manifest and fails the build when the package
// lacks a native module its target needs.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { AfterPackContext } from 'electron-builder';
import { checkArchive, checkDependencies, checkNativeModules } from './native-check.js';
import { parseTarget, type Target } from './targets.js';

/** electron-builder's Arch enum (builder-util): ia32 0, x64 1, armv7l 2, arm64 3, universal 4. */
const ARCH_NAMES: Record<number, string> = { 0: 'ia32', 1: 'x64', 2: 'armv7l', 3: 'arm64', 4: 'universal' };

export function targetOf(context: Pick<AfterPackContext, 'electronPlatformName' | 'arch'>): Target {
  const platform = context.electronPlatformName === 'mas' ? 'darwin' : context.electronPlatformName;
  return parseTarget(`${platform}-${ARCH_NAMES[context.arch] ?? String(context.arch)}`);
}

/**
 * The CLI runs from app.asar.unpacked with the Node on PATH, which cannot read app.asar: it finds its root and
 * version by a package.json of its own (core/base/install.ts). Only name and version: this file is not the
 * app's manifest (that one stays in the archive, under its integrity check).
 */
export async function writeCliManifest(resourcesDir: string, version: string): Promise<void> {
  const manifest = { name: 'snapctl', version, private: true, description: 'The snapctl command line, unpacked beside the app for the Node on PATH.' };
  await writeFile(path.join(resourcesDir, 'app.asar.unpacked', 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
}

export default async function afterPack(context: AfterPackContext): Promise<void> {
  const target = targetOf(context);
  const resourcesDir = context.packager.getResourcesDir(context.appOutDir);
  await writeCliManifest(resourcesDir, context.packager.appInfo.version);
  const problems = [
    ...await checkNativeModules(path.join(resourcesDir, 'app.asar.unpacked'), target),
    ...await checkArchive(resourcesDir, target),
    ...await checkDependencies(resourcesDir),
  ];
  if (problems.length > 0) {
    throw new Error(`the ${target.platform}-${target.arch} package lacks modules it needs (build it with scripts/package.mjs, which installs each target's own):\n  ${problems.join('\n  ')}`);
  }
}
