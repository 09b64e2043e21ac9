import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, realpath } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { AsarArchive, asarEntries } from './asar-header.js';
import { binaryTargets } from './binary-arch.js';
import type { ProbeAnswer, ProbeRequest } from './loader-probe.js';
import { requiredModules, targetName, type Target } from './targets.js';

const probeScript = path.join(path.dirname(fileURLToPath(import.meta.url)), 'loader-probe.js');

async function runProbe(request: ProbeRequest): Promise<ProbeAnswer> {
  // A clean environment: NODE_PATH or NODE_OPTIONS must not lend the probe a module the package lacks.
  const env: NodeJS.ProcessEnv = { PATH: process.env['PATH'] ?? '' };
  const { stdout } = await promisify(execFile)(process.execPath, [probeScript, JSON.stringify(request)], { env, maxBuffer: 1 << 20 });
  return JSON.parse(stdout) as ProbeAnswer;
}

function within(root: string, file: string): boolean {
  const rel = path.relative(root, file);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
}

/** Node names a module by its real path: a root reached through a symlink is compared by its real path too. */
async function insideOf(root: string): Promise<(file: string) => boolean> {
  const real = await realpath(root).catch(() => root);
  return (file) => within(root, file) || within(real, file);
}

/**
 * Checks that the CLI tree at `root` (a packaged app's app.asar.unpacked) carries every native module a
 * package for `target` needs: each loader, run as on that platform, opens a binary inside `root` built for
 * that architecture; on a machine of that kind the binary is also really loaded. Returns the problems, one
 * line each, naming the module and what is wrong; none means the package has them all.
 */
export async function checkNativeModules(root: string, target: Target, host: Target | null = currentTarget()): Promise<string[]> {
  const problems: string[] = [];
  const name = targetName(target);
  const inside = await insideOf(root);
  for (const m of requiredModules(target)) {
    const pretend = await runProbe({ root, module: m.name, platform: target.platform, arch: target.arch, load: false });
    const outside = pretend.opened.filter((f) => !inside(f));
    if (!pretend.ok || pretend.opened.length === 0) {
      problems.push(`${m.name} (${m.needs}) has no binary for ${name} in ${root}: ${pretend.error ?? 'its loader opened none'}`);
      continue;
    }
    if (outside.length > 0) {
      problems.push(`${m.name} for ${name} was found outside the package (${outside.join(', ')}): the package itself lacks it`);
      continue;
    }
    for (const file of pretend.opened) {
      const built = await binaryTargets(file);
      if (!built.some((b) => targetName(b) === name)) {
        problems.push(`${m.name}: ${file} is built for ${built.map(targetName).join(', ') || 'an unknown machine'}, not ${name}`);
      }
    }
    if (host && targetName(host) === name) {
      const real = await runProbe({ root, module: m.name, platform: target.platform, arch: target.arch, load: true });
      if (!real.ok) problems.push(`${m.name} does not load on this ${name} machine: ${real.error ?? 'unknown error'}`);
    }
  }
  return problems;
}

/**
 * The app process resolves the same modules inside app.asar: every binary the CLI tree opens must be listed in
 * the archive as unpacked at the same path (Electron reads it from app.asar.unpacked), beside its loader.
 */
export async function checkArchive(resourcesDir: string, target: Target): Promise<string[]> {
  const archive = path.join(resourcesDir, 'app.asar');
  const root = path.join(resourcesDir, 'app.asar.unpacked');
  if (!existsSync(archive)) return [`${archive} is missing`];
  const entries = await asarEntries(archive);
  const problems: string[] = [];
  const inside = await insideOf(root);
  for (const m of requiredModules(target)) {
    if (!entries.has(`node_modules/${m.name}/package.json`)) problems.push(`app.asar lacks node_modules/${m.name}`);
    const answer = await runProbe({ root, module: m.name, platform: target.platform, arch: target.arch, load: false });
    for (const file of answer.opened.filter((f) => inside(f))) {
      const rel = path.relative(await realpath(root), await realpath(file)).split(path.sep).join('/');
      if (!entries.get(rel)?.unpacked) problems.push(`app.asar does not list ${rel} as unpacked: the app would not find ${m.name}`);
    }
  }
  return problems;
}

export function currentTarget(): Target | null {
  const { platform, arch } = process;
  return (platform === 'linux' || platform === 'darwin') && (arch === 'x64' || arch === 'arm64') ? { platform, arch } : null;
}

interface Manifest { name?: string; dependencies?: Record<string, string>; optionalDependencies?: Record<string, string> }

/**
 * Every package the app's process needs is in app.asar: from the archive's package.json, each dependency
 * resolved as Node would (node_modules beside the dependent, then above it), and theirs in turn. An optional
 * dependency may be absent (a platform package of another machine). The app cannot be started here (no
 * Electron), so this is what says that, say, menubar's electron-positioner made it into the package.
 */
export async function checkDependencies(resourcesDir: string): Promise<string[]> {
  const archive = await AsarArchive.open(path.join(resourcesDir, 'app.asar'));
  const manifest = async (dir: string): Promise<Manifest> => {
    const rel = dir ? `${dir}/package.json` : 'package.json';
    const entry = archive.entries.get(rel);
    if (entry?.unpacked) return JSON.parse(await readFile(path.join(resourcesDir, 'app.asar.unpacked', rel), 'utf8')) as Manifest;
    return JSON.parse((await archive.read(rel)).toString('utf8')) as Manifest;
  };
  const resolve = (from: string, name: string): string | null => {
    for (let dir = from; ; dir = dir.includes('/node_modules/') ? dir.slice(0, dir.lastIndexOf('/node_modules/')) : '') {
      const candidate = dir ? `${dir}/node_modules/${name}` : `node_modules/${name}`;
      if (archive.entries.has(`${candidate}/package.json`)) return candidate;
      if (!dir) return null;
    }
  };
  const problems: string[] = [];
  const seen = new Set<string>();
  const visit = async (dir: string): Promise<void> => {
    if (seen.has(dir)) return;
    seen.add(dir);
    const m = await manifest(dir);
    const optional = new Set(Object.keys(m.optionalDependencies ?? {}));
    for (const name of new Set([...Object.keys(m.dependencies ?? {}), ...optional])) {
      const found = resolve(dir, name);
      if (found) await visit(found);
      else if (!optional.has(name)) problems.push(`app.asar lacks ${name}, which ${m.name ?? 'the app'} needs`);
    }
  };
  await visit('');
  return problems;
}
