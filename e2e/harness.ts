/// <reference lib="dom" />
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { cliPath, repoRoot, runCli, type CliResult } from '../test/helpers/helpers.js';

export const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
/** Screenshots the run keeps (gitignored); the README's come from here. */
export const ARTIFACTS = path.join(repoRoot, 'e2e', 'artifacts');
export const skip = existsSync(CHROMIUM) ? false : `no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`;

/** Polls until `read` returns `want` (the page updates asynchronously), or fails with the last value seen. */
export async function eventually<T>(read: () => Promise<T>, want: T, timeoutMs = 10_000, message?: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = await read();
  while (last !== want && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    last = await read();
  }
  assert.equal(last, want, message);
}

/**
 * Focus after a key that moves it through a virtualised list: the row is drawn once the list has scrolled to
 * it, a frame or two after the key, so focus is waited for rather than read at once.
 */
export function focusSettles(page: Page, want: string, message?: string): Promise<void> {
  return eventually(() => focused(page), want, 5_000, message);
}

export interface Served { child: ChildProcessWithoutNullStreams; loginUrl: string; url: string; token: string }

/** Starts the real `snapctl serve` and reads the URL it prints, as a user would; `project` null: no --path (a first run with no folder). */
export async function serve(home: string, project: string | null, options: { metricsFromSettings?: boolean } = {}): Promise<Served> {
  // Metrics go to the discard port unless the test is about the settings' own host and port.
  const env: NodeJS.ProcessEnv = { ...process.env, SNAPCTL_HOME: home, DD_AGENT_HOST: '127.0.0.1', DD_DOGSTATSD_PORT: '9' };
  if (options.metricsFromSettings) for (const key of ['DD_AGENT_HOST', 'DD_DOGSTATSD_PORT', 'DD_DOGSTATSD_SOCKET']) delete env[key];
  const child = spawn(process.execPath, [cliPath, 'serve', ...(project === null ? [] : ['--path', project]), '--json'], { env });
  let out = '';
  let err = '';
  child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
  const line = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`snapctl serve printed nothing in 20 s; stderr: ${err}`)); }, 20_000);
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const nl = out.indexOf('\n');
      if (nl >= 0) { clearTimeout(timer); resolve(out.slice(0, nl)); }
    });
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`snapctl serve exited ${code}: ${err}`)); });
  });
  return { child, ...(JSON.parse(line) as { loginUrl: string; url: string; token: string }) };
}

/**
 * Stops `snapctl serve` and waits until it has exited: a server still finishing a write (its index, the metrics
 * health file) while the test removes its state folder made the removal fail with ENOTEMPTY.
 */
export async function stopServer(served: Served | undefined): Promise<void> {
  const child = served?.child;
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

export function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--headless', '--disable-gpu', '--disable-background-networking', '--disable-quic', '--no-first-run', '--disable-component-update', '--disable-sync'],
  });
}

/** The same view in light and in dark, kept under e2e/artifacts as `<name>-light.png` and `<name>-dark.png`. */
export async function shootBoth(page: Page, name: string): Promise<void> {
  await page.emulateMedia({ colorScheme: 'light' });
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}-light.png`) });
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}-dark.png`) });
  await page.emulateMedia({ colorScheme: 'light' });
}

/** What has focus, as a person would name it. */
export function focused(page: Page): Promise<string> {
  return page.evaluate(() => {
    const el = document.activeElement;
    return `${el?.getAttribute('role') ?? el?.tagName.toLowerCase() ?? ''}: ${el?.getAttribute('aria-label') ?? el?.textContent?.trim() ?? ''}`;
  });
}

/** The snapctl CLI against the same state folder as the server. */
export function cli(home: string, args: string[]): Promise<CliResult> {
  return runCli(args, { SNAPCTL_HOME: home });
}

/** `snapctl serve` on a state folder and Chromium on its popover, as a person opens it: 400x560, light. */
export interface Popover { server: Served; browser: Browser; page: Page }

export async function openPopover(home: string, project: string | null, pageOptions: Parameters<Browser['newPage']>[0] = {}, serveOptions: Parameters<typeof serve>[2] = {}): Promise<Popover> {
  await mkdir(ARTIFACTS, { recursive: true });
  const server = await serve(home, project, serveOptions);
  const browser = await launch();
  const page = await browser.newPage({ viewport: { width: 400, height: 560 }, colorScheme: 'light', ...pageOptions });
  await page.goto(server.loginUrl);
  await page.getByRole('heading', { name: /^(snapctl|Welcome to snapctl)$/ }).waitFor();
  return { server, browser, page };
}

export async function closePopover(server: Served | undefined, browser: Browser | undefined): Promise<void> {
  await browser?.close();
  await stopServer(server);
}

/**
 * The popover at 150% zoom: the tray's 400x560 window shows 267x373 CSS pixels, each drawn 1.5 device pixels
 * wide (what Electron's zoom and a 150% display scale both come to).
 */
export const ZOOMED = { viewport: { width: 267, height: 373 }, deviceScaleFactor: 1.5 } as const;

/** Whether an element's text is cut (an ellipsis shows): its content is wider than its box. */
export function isCut(page: Page, selector: string): Promise<boolean> {
  return page.locator(selector).first().evaluate((el) => el.scrollWidth > el.clientWidth + 1);
}
