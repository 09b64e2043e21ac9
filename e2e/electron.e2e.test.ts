import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { _electron, type ElectronApplication, type Page } from 'playwright-core';
import { repoRoot, sandbox } from '../test/helpers/helpers.js';

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

const found = electronBinary();
const display = process.platform !== 'linux' || Boolean(process.env['DISPLAY'] ?? process.env['WAYLAND_DISPLAY']);
const skip = 'why' in found ? `SKIPPED: Electron tests need the Electron binary: ${found.why}` : !display ? 'SKIPPED: Electron tests need a display (run under xvfb-run)' : false;
if (skip) console.log(`# ${skip}`);

describe('tray app under Electron (Playwright _electron)', { skip }, () => {
  let box: Awaited<ReturnType<typeof sandbox>>;
  let app: ElectronApplication;
  let popover: Page;

  before(async () => {
    box = await sandbox();
    await writeFile(path.join(box.project, 'a.txt'), 'one\n');
    await mkdir(box.home, { recursive: true });
    await writeFile(path.join(box.home, 'settings.json'), JSON.stringify({ version: 1, targets: [{ path: box.project }], onboarded: true, statsd: { enabled: false } }));
    app = await _electron.launch({ executablePath: (found as { path: string }).path, args: [repoRoot], env: { ...process.env, SNAPCTL_HOME: box.home } as Record<string, string> });
    // menubar's preloadWindow creates the popover before any click.
    popover = await app.firstWindow();
  });
  after(async () => { await app?.close(); await box?.cleanup(); });

  test('the popover loads from the app folder with an isolated, sandboxed renderer', async () => {
    assert.match(popover.url(), /^file:.*dist\/renderer\/index\.html$/);
    const reach = await popover.evaluate(() => ({ require: typeof (globalThis as { require?: unknown }).require, bridge: typeof (globalThis as { snapctl?: { call?: unknown } }).snapctl?.call }));
    assert.deepEqual(reach, { require: 'undefined', bridge: 'function' });
  });

  test('a snapshot taken from the popover goes through IPC into the shared store', async () => {
    await popover.getByRole('button', { name: 'Snapshot now' }).click();
    await popover.getByRole('status').filter({ hasText: 'Snapshot taken' }).waitFor();
    assert.equal(await popover.getByRole('listitem').count(), 1);
  });

  test('there is no dock icon and no window other than the popover', async () => {
    const windows = await app.evaluate(({ BrowserWindow }) => BrowserWindow.getAllWindows().length);
    assert.equal(windows, 1);
    if (process.platform === 'darwin') assert.equal(await app.evaluate(({ app: a }) => a.dock?.isVisible()), false);
  });
});
