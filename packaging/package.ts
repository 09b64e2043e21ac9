// Builds the app's packages: `node scripts/package.mjs --platform linux --arch x64,arm64 [--targets dir]
// [--electron-dist DIR|stand-in] [--out DIR] [--debuggable]`, after `npm run build`.
//
// Each platform and architecture is built from a staging copy of the project with its own production
// node_modules, installed by `npm ci --os --cpu` from the lockfile: npm installs only the build machine's
// per-platform native packages, so one node_modules cannot serve two architectures. electron-builder's
// afterPack hook (after-pack.ts) then fails any package that lacks a native module its target needs.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { writeElectronStandIn } from './electron-stand-in.js';
import { parseTarget, targetName, type Target } from './targets.js';

export interface PackageOptions {
  root: string;
  targets: Target[];
  /** electron-builder targets: dir (a folder, what CI builds), AppImage, deb, dmg, zip. */
  formats: string[];
  /** An unpacked Electron distribution; 'stand-in' writes one (see electron-stand-in.ts); none downloads. */
  electronDist: string | null;
  out: string;
  /** A build the e2e tests can drive: the --inspect fuse on, and the app allows a debugger (package.json). */
  debuggable: boolean;
  log?: (line: string) => void;
}

/** What the staging copy holds: what the packages are built from, and the hook and files the config names. */
const STAGED = ['package.json', 'package-lock.json', 'electron-builder.yml', 'bin', 'assets', 'dist/src', 'dist/renderer', 'dist/main', 'dist/packaging', 'packaging/linux'];

function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  return new Promise((resolve, reject) => {
    // Their output goes to stderr: stdout is the list of built folders (and, under node --test, the runner's).
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 2, 2] });
    child.on('error', reject);
    child.on('exit', (code, signal) => (code === 0 ? resolve() : reject(new Error(`${path.basename(command)} ${args.slice(0, 3).join(' ')}… exited ${code ?? signal}`))));
  });
}

/** Installs `target`'s production dependencies into the staging folder, unless the same lockfile already did. */
async function installFor(stage: string, target: Target, log: (line: string) => void): Promise<void> {
  const lock = await readFile(path.join(stage, 'package-lock.json'));
  const stamp = `${createHash('sha256').update(lock).digest('hex')} ${targetName(target)}\n`;
  const stampFile = path.join(stage, 'node_modules', '.snapctl-staged');
  if (existsSync(stampFile) && (await readFile(stampFile, 'utf8')) === stamp) { log(`${targetName(target)}: node_modules already staged`); return; }
  await rm(path.join(stage, 'node_modules'), { recursive: true, force: true });
  const npmCli = path.join(path.dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'bin', 'npm-cli.js');
  const [npm, pre] = existsSync(npmCli) ? [process.execPath, [npmCli]] : ['npm', []];
  const args = [...pre, 'ci', '--omit=dev', `--os=${target.platform}`, `--cpu=${target.arch}`, ...(target.platform === 'linux' ? ['--libc=glibc'] : []), '--ignore-scripts', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'];
  log(`${targetName(target)}: npm ${args.slice(pre.length).join(' ')}`);
  await run(npm, args, stage);
  await writeFile(stampFile, stamp);
}

async function stageProject(root: string, stage: string): Promise<void> {
  for (const item of STAGED) {
    const from = path.join(root, item);
    if (!existsSync(from)) throw new Error(`${item} is missing: run 'npm run build' first`);
    await rm(path.join(stage, item), { recursive: true, force: true });
    await mkdir(path.dirname(path.join(stage, item)), { recursive: true });
    await cp(from, path.join(stage, item), { recursive: true, filter: (src) => !src.endsWith('.map') });
  }
}

const FLAGS: Record<Target['platform'], string> = { linux: '--linux', darwin: '--mac' };

export async function buildPackages(options: PackageOptions): Promise<string[]> {
  const log = options.log ?? ((line: string) => process.stderr.write(`package: ${line}\n`));
  const { root } = options;
  const electronVersion = (JSON.parse(await readFile(path.join(root, 'node_modules', 'electron', 'package.json'), 'utf8')) as { version: string }).version;
  let electronDist = options.electronDist;
  if (electronDist === 'stand-in') {
    // Electron's binary comes from GitHub releases, which this CI cannot reach: the packages are built around
    // a stand-in (electron-stand-in.ts) and everything but the Electron shell is checked for real.
    electronDist = await writeElectronStandIn(path.join(options.out, 'electron-stand-in'));
    log(`Electron ${electronVersion}: a stand-in binary in ${electronDist} (the real one cannot be downloaded here)`);
  }
  const builder = path.join(root, 'node_modules', 'electron-builder', 'cli.js');
  const built: string[] = [];
  for (const target of options.targets) {
    const stage = path.join(options.out, 'stage', targetName(target));
    await mkdir(stage, { recursive: true });
    await stageProject(root, stage);
    await installFor(stage, target, log);
    const args = [
      builder, '--projectDir', stage, FLAGS[target.platform], ...options.formats, `--${target.arch}`,
      `-c.electronVersion=${electronVersion}`, '-c.npmRebuild=false', `-c.directories.output=${options.out}`,
      ...(electronDist ? [`-c.electronDist=${path.resolve(electronDist)}`] : []),
      ...(options.debuggable ? ['-c.extraMetadata.snapctl.debuggable=true', '-c.electronFuses.enableNodeCliInspectArguments=true'] : []),
    ];
    log(`${targetName(target)}: electron-builder ${args.slice(3).join(' ')}`);
    // Run inside the staging folder: the config's relative paths (the afterPack hook, the deb's files) are
    // read from the folder electron-builder runs in.
    await run(process.execPath, args, stage);
    built.push(unpackedDir(options.out, target));
  }
  return built;
}

/** Where electron-builder leaves a target's unpacked app. */
export function unpackedDir(out: string, target: Target): string {
  if (target.platform === 'darwin') return path.join(out, target.arch === 'arm64' ? 'mac-arm64' : 'mac', 'snapctl.app');
  return path.join(out, target.arch === 'x64' ? 'linux-unpacked' : `linux-${target.arch}-unpacked`);
}

/** The resources folder (app.asar, app.asar.unpacked) of an unpacked app. */
export function resourcesOf(unpacked: string): string {
  return unpacked.endsWith('.app') ? path.join(unpacked, 'Contents', 'Resources') : path.join(unpacked, 'resources');
}

export async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      platform: { type: 'string', default: process.platform === 'darwin' ? 'darwin' : 'linux' },
      arch: { type: 'string', default: 'x64,arm64' },
      targets: { type: 'string', default: 'dir' },
      'electron-dist': { type: 'string' },
      out: { type: 'string', default: 'release' },
      debuggable: { type: 'boolean', default: false },
    },
  });
  const platform = values.platform === 'mac' ? 'darwin' : values.platform;
  const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');
  const built = await buildPackages({
    root,
    targets: values.arch.split(',').map((a) => parseTarget(`${platform}-${a.trim()}`)),
    formats: values.targets.split(','),
    electronDist: values['electron-dist'] ?? null,
    out: path.resolve(values.out),
    debuggable: values.debuggable,
  });
  for (const dir of built) process.stdout.write(`${dir}\n`);
}
