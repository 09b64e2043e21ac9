import { cp, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { isWithin } from '../core/state/paths.js';

/** Where the installed `snapctl` command (and the git hooks it installs) should run the CLI from. */
export type CliHome =
  | { kind: 'in-place'; cliRoot: string }
  /** The running copy goes away when the app quits (an AppImage's mount): the CLI is copied out first. */
  | { kind: 'copy'; from: string; to: string }
  | { kind: 'refuse'; why: string; hint: string };

export interface CliHomeFacts {
  platform: NodeJS.Platform;
  /** The unpacked CLI of this running app (installLayout().cliRoot). */
  cliRoot: string;
  env: NodeJS.ProcessEnv;
  homedir: string;
}

/**
 * The command must point at files that outlive this run of the app. An AppImage runs from a temporary mount
 * (`$APPDIR`, gone when it quits): its CLI is copied to the user's data folder. A Mac app run from its disk
 * image (/Volumes/…, gone when ejected) or from the temporary copy macOS makes of a downloaded app (App
 * Translocation) must first be moved to Applications. Anywhere else (the deb's /opt, /Applications) the app's
 * own files are the command's.
 */
export function cliHome(f: CliHomeFacts): CliHome {
  const appDir = f.env['APPDIR'];
  if (f.platform === 'linux' && f.env['APPIMAGE'] && appDir && isWithin(path.resolve(appDir), f.cliRoot)) {
    const data = f.env['XDG_DATA_HOME'] && path.isAbsolute(f.env['XDG_DATA_HOME']) ? f.env['XDG_DATA_HOME'] : path.join(f.homedir, '.local', 'share');
    return { kind: 'copy', from: f.cliRoot, to: path.join(data, 'snapctl-cli') };
  }
  if (f.platform === 'darwin') {
    if (f.cliRoot.includes('/AppTranslocation/')) return { kind: 'refuse', why: 'snapctl is running from a temporary copy macOS made of it (it was opened where it was downloaded)', hint: 'move snapctl to your Applications folder, open it from there, then install the command again' };
    if (f.cliRoot.startsWith('/Volumes/')) return { kind: 'refuse', why: 'snapctl is running from a disk image or a removable disk, which the command would lose when it is ejected', hint: 'move snapctl to your Applications folder, open it from there, then install the command again' };
  }
  return { kind: 'in-place', cliRoot: f.cliRoot };
}

/** The CLI's launcher inside a CLI folder. */
export function cliScriptIn(cliRoot: string): string {
  return path.join(cliRoot, 'bin', 'snapctl.js');
}

async function versionOf(cliRoot: string): Promise<string | null> {
  try {
    return (JSON.parse(await readFile(path.join(cliRoot, 'package.json'), 'utf8')) as { version?: string }).version ?? null;
  } catch {
    return null;
  }
}

/**
 * Copies the CLI folder to `to`, replacing an older copy whole: the new one is written beside it and renamed
 * into place, so a hook or command running meanwhile meets one version or the other. Kept at the same path, so
 * git hooks written by the copied CLI keep working after the app is updated.
 */
export async function copyCli(from: string, to: string): Promise<void> {
  const fresh = `${to}.new-${process.pid}`;
  const old = `${to}.old-${process.pid}`;
  await rm(fresh, { recursive: true, force: true });
  await cp(from, fresh, { recursive: true, verbatimSymlinks: true });
  await rename(to, old).catch((err: NodeJS.ErrnoException) => { if (err.code !== 'ENOENT') throw err; });
  await rename(fresh, to);
  await rm(old, { recursive: true, force: true });
}

/** At start: a copy made by an older version of the app is replaced by this one's (none is made here). */
export async function refreshCliCopy(home: CliHome, version: string): Promise<boolean> {
  if (home.kind !== 'copy') return false;
  const copied = await versionOf(home.to);
  if (copied === null || copied === version) return false;
  await copyCli(home.from, home.to);
  return true;
}
