#!/usr/bin/env node
// `npm start`: the tray app where Electron can run; where it cannot (no binary, no display), the same popover
// served headless on loopback with the core and its scheduler, printing the URL to open.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const appRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);

function electronBinary() {
  try {
    // The electron package exports the binary's path, and throws when its download was skipped or failed.
    const binary = createRequire(import.meta.url)('electron');
    return typeof binary === 'string' && existsSync(binary) ? { binary } : { why: 'the Electron binary is not installed' };
  } catch {
    return { why: 'the Electron binary is not installed (its download is skipped or failed on this machine)' };
  }
}

const found = electronBinary();
const noDisplay = process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY;
if (found.binary && !noDisplay) {
  const child = spawn(found.binary, [appRoot, ...args], { stdio: 'inherit' });
  child.on('exit', (code, signal) => { process.exitCode = code ?? (signal ? 1 : 0); });
} else {
  const why = found.binary ? 'there is no display (DISPLAY and WAYLAND_DISPLAY are unset)' : found.why;
  process.stderr.write(`snapctl: the tray app cannot run here: ${why}.\nsnapctl: serving the same popover headless on loopback instead (clone provider wherever the filesystem has no snapshots of its own).\n`);
  process.argv = [process.argv[0], process.argv[1], 'serve', ...args];
  await import('./snapctl.js');
}
