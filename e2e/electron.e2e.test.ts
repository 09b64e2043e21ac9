import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdir, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { _electron, type ElectronApplication, type Page } from 'playwright-core';
import { buildPackages, unpackedDir } from '../packaging/package.js';
import { currentTarget } from '../packaging/native-check.js';
import { repoRoot, sandbox, tempDir } from '../test/helpers/helpers.js';

/** The Electron binary's path, or why there is none (its download cannot run on machines without internet). */
function electronBinary(): { path: string } | { why: string } {
  try {
    const binary: unknown = createRequire(import.meta.url)('electron');
    if (typeof binary === 'string' && existsSync(binary)) return { path: binary };
    return { why: 'the electron package has no binary' };
  } catch {
    return { why: 'the Electron binary is not installed (ELECTRON_SKIP_BINARY_DOWNLOAD, or no internet during npm ci)' };
  }
}

/** The executable inside an unpacked package. */
function executableIn(unpacked: string): string {
  return unpacked.endsWith('.app') ? path.join(unpacked, 'Contents', 'MacOS', 'snapctl') : path.join(unpacked, 'snapctl-app');
}

const found = electronBinary();
const host = currentTarget();
const display = process.platform !== 'linux' || Boolean(process.env['DISPLAY'] ?? process.env['WAYLAND_DISPLAY']);
const skip = 'why' in found ? `SKIPPED: Electron tests need the Electron binary: ${found.why}` : !display ? 'SKIPPED: Electron tests need a display (run under xvfb-run)' : !host ? 'SKIPPED: no package for this platform' : false;
if (skip) console.log(`# ${skip}`);

// The app as users get it: packaged by scripts/package.mjs around this machine's real Electron binary, then
// launched from the package, not from the repository folder. Playwright drives a build marked debuggable
// (the --inspect fuse on, and the app allows it); a user's build, built the same way, refuses the switch.
describe('the packaged tray app under Electron (Playwright _electron)', { skip, timeout: 600_000 }, () => {
  let box: Awaited<ReturnType<typeof sandbox>>;
  let out: string;
  let userBuild: string;
  let app: ElectronApplication;
  let popover: Page;

  before(async () => {
    assert.ok(host);
    out = await tempDir('snapctl-e2e-package-');
    const electronDist = path.join(path.dirname(createRequire(import.meta.url).resolve('electron/package.json')), 'dist');
    const build = (debuggable: boolean): Promise<string[]> => buildPackages({ root: repoRoot, targets: [host], formats: ['dir'], electronDist, out, debuggable, log: () => undefined });
    await build(false);
    userBuild = path.join(out, 'user-build');
    await cp(unpackedDir(out, host), userBuild, { recursive: true, verbatimSymlinks: true });
    await build(true);
    box = await sandbox();
    await writeFile(path.join(box.project, 'a.txt'), 'one\n');
    await mkdir(box.home, { recursive: true });
    await writeFile(path.join(box.home, 'settings.json'), JSON.stringify({ version: 1, targets: [{ path: box.project }], onboarded: true, statsd: { enabled: false } }));
    app = await _electron.launch({ executablePath: executableIn(unpackedDir(out, host)), env: { ...process.env, SNAPCTL_HOME: box.home } as Record<string, string> });
    // menubar's preloadWindow creates the popover before any click.
    popover = await app.firstWindow();
  });
  after(async () => { await app?.close(); await box?.cleanup(); if (out) await rm(out, { recursive: true, force: true }); });

  test('the popover loads from the package\'s archive with an isolated, sandboxed renderer', async () => {
    assert.match(popover.url(), /^file:.*\/resources\/app\.asar\/dist\/renderer\/index\.html$|^file:.*\/Contents\/Resources\/app\.asar\/dist\/renderer\/index\.html$/);
    const reach = await popover.evaluate(() => ({ require: typeof (globalThis as { require?: unknown }).require, bridge: typeof (globalThis as { snapctl?: { call?: unknown } }).snapctl?.call }));
    assert.deepEqual(reach, { require: 'undefined', bridge: 'function' });
    assert.equal(await app.evaluate(({ app: a }) => a.isPackaged), true);
  });

  test('a snapshot taken from the popover goes through IPC into the shared store', async () => {
    await popover.getByRole('button', { name: 'Snapshot now' }).click();
    await popover.getByRole('status').filter({ hasText: 'Snapshot taken' }).waitFor();
    assert.equal(await popover.getByRole('listitem').count(), 1);
  });

  test('there is no dock icon and no window other than the popover, and it stays out of the taskbar', async () => {
    const windows = await app.evaluate(({ BrowserWindow }) => BrowserWindow.getAllWindows().length);
    assert.equal(windows, 1);
    if (process.platform === 'darwin') assert.equal(await app.evaluate(({ app: a }) => a.dock?.isVisible()), false);
  });

  test('a user\'s build refuses --remote-debugging-port before any DevTools server starts', async () => {
    // --no-sandbox as Playwright passes it on Linux (as root Chromium stops without it, before the app runs).
    const child = spawn(executableIn(userBuild), [...(process.platform === 'linux' ? ['--no-sandbox'] : []), '--remote-debugging-port=0'], { env: { ...process.env, SNAPCTL_HOME: box.home }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    assert.equal(code, 1);
    assert.match(stderr, /refusing to start with --remote-debugging-port/);
    assert.doesNotMatch(stderr, /DevTools listening/);
  });
});
