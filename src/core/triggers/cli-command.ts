import { lstat, readFile, unlink } from 'node:fs/promises';
import { writeFileAtomic } from '../state/atomic-write.js';
import { shellQuote } from '../base/quoting.js';
import { SnapctlError, nullIfMissing } from '../base/errors.js';

/** How a shell script (a git hook, the `snapctl` command the tray app installs) starts this CLI. */
export interface CliCommand {
  /** The Node that runs it. */
  executable: string;
  /** bin/snapctl.js */
  script: string;
}

export { shellQuote };

/** The command, quoted for a POSIX shell; arguments follow it. */
export function commandLine(command: CliCommand): string {
  return `${shellQuote(command.executable)} ${shellQuote(command.script)}`;
}

const LAUNCHER_MARKER = '# snapctl command: written by the snapctl app (Install the snapctl command)';

/**
 * The `snapctl` command the tray app installs. It runs the CLI shipped unpacked beside the app with the Node
 * on PATH, not with the app's own binary: the app is built with Electron's runAsNode fuse off, so its binary
 * (which may hold the user's Full Disk Access grant) cannot be borrowed as a Node by other programs. A
 * script, not a symlink, so it can say what is missing when there is no Node.
 */
export function launcherScript(script: string): string {
  return [
    '#!/bin/sh',
    LAUNCHER_MARKER,
    'if ! command -v node >/dev/null 2>&1; then',
    "  echo 'snapctl: this command needs Node.js 20 or later on PATH (https://nodejs.org); the app itself does not' >&2",
    '  exit 127',
    'fi',
    `exec node ${shellQuote(script)} "$@"`,
    '',
  ].join('\n');
}

/**
 * Writes the launcher at `file` (e.g. ~/.local/bin/snapctl). An earlier launcher or a symlink (how older
 * versions linked the command) is replaced; any other file is someone else's `snapctl` and is left alone.
 */
export async function installLauncher(file: string, script: string): Promise<void> {
  const existing = await lstat(file).catch(nullIfMissing);
  if (existing?.isSymbolicLink()) {
    // Removed first: an atomic write follows a symlink and would overwrite what it points to.
    await unlink(file);
  } else if (existing) {
    const text = existing.isFile() ? await readFile(file, 'utf8').catch(() => '') : '';
    if (!text.includes(LAUNCHER_MARKER)) {
      throw new SnapctlError('failed', `${file} exists and is not a snapctl launcher`, 'move it aside, then install the command again');
    }
  }
  await writeFileAtomic(file, launcherScript(script), { mode: 0o755 });
}
