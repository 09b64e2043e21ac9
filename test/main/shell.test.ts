import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Event } from 'electron';
import { SnapctlRuntime } from '../../src/core/runtime/runtime.js';
import { handleApiCall, registerApi } from '../../src/api/ipc.js';
import { isTrustedSender } from '../../src/api/ipc.js';
import { hardenWebContents, popoverWebPreferences } from '../../src/main/security.js';
import { trayMenuTemplate, trayTooltip } from '../../src/main/tray-menu.js';
import { IPC_CHANNEL } from '../../src/shared/api.js';
import type { SnapshotRecord } from '../../src/shared/model.js';
import { sandbox } from '../helpers/helpers.js';
import { listSnapshots } from '../../src/core/service/queries.js';

// Electron's binary cannot run here, so the shell's logic is tested with the few Electron objects it touches
// replaced by recording fakes; the types still come from the electron package.
const APP_URL = 'file:///Applications/snapctl.app/Contents/Resources/app/dist/renderer/index.html';
const noop = (): void => undefined;
const actions = { open: noop, snapshotNow: noop, togglePause: noop, toggleOpenAtLogin: noop, approveOpenAtLogin: noop, linkCli: noop, quit: noop };

describe('Electron shell', () => {
  let box: Awaited<ReturnType<typeof sandbox>>;
  let runtime: SnapctlRuntime;
  before(async () => {
    box = await sandbox();
    runtime = await SnapctlRuntime.start({ home: box.home, env: {} });
  });
  after(async () => { await runtime.stop(); await box.cleanup(); });

  test('the popover renderer is isolated, sandboxed and has no Node', () => {
    const prefs = popoverWebPreferences('/app/preload.cjs');
    assert.equal(prefs.contextIsolation, true);
    assert.equal(prefs.sandbox, true);
    assert.equal(prefs.nodeIntegration, false);
    assert.equal(prefs.nodeIntegrationInSubFrames, false);
    assert.equal(prefs.webSecurity, true);
    assert.equal(prefs.webviewTag, false);
    assert.equal(prefs.allowRunningInsecureContent, false);
    assert.equal(prefs.preload, '/app/preload.cjs');
  });

  test('only the popover page itself may call the API: not an iframe, another file or a web page', () => {
    assert.equal(isTrustedSender({ url: APP_URL, parent: null }, APP_URL), true);
    assert.equal(isTrustedSender({ url: `${APP_URL}#settings`, parent: null }, APP_URL), true);
    const parent = { url: APP_URL, parent: null } as never;
    assert.equal(isTrustedSender({ url: APP_URL, parent }, APP_URL), false, 'a subframe');
    assert.equal(isTrustedSender({ url: 'file:///tmp/evil.html', parent: null }, APP_URL), false);
    assert.equal(isTrustedSender({ url: 'https://example.com/', parent: null }, APP_URL), false);
    assert.equal(isTrustedSender({ url: 'not a url', parent: null }, APP_URL), false);
    assert.equal(isTrustedSender(null, APP_URL), false);
  });

  test('IPC from an untrusted frame is refused before the core runs; bad params are refused by the contract', async () => {
    const refused = await handleApiCall({ runtime, host: 'electron' }, APP_URL, { senderFrame: { url: 'https://evil.example/', parent: null } as never }, 'create', {});
    assert.deepEqual(refused, { ok: false, kind: 'forbidden', error: 'this window may not call snapctl' });
    assert.equal((await listSnapshots(runtime.service)).length, 0);
    const trusted = { senderFrame: { url: APP_URL, parent: null } as never };
    const bad = await handleApiCall({ runtime, host: 'electron' }, APP_URL, trusted, 'rollback', { id: '../../etc' });
    assert.equal(bad.ok, false);
    assert.match(bad.ok ? '' : bad.error, /invalid rollback request: id/);
    const unknown = await handleApiCall({ runtime, host: 'electron' }, APP_URL, trusted, 'exec', {});
    assert.equal(unknown.ok, false);
    const status = await handleApiCall({ runtime, host: 'electron' }, APP_URL, trusted, 'status', {});
    assert.equal(status.ok, true);
    assert.equal(status.ok && 'host' in status.value ? status.value.host : null, 'electron');
  });

  test('registerApi handles exactly the one typed channel', async () => {
    const channels: string[] = [];
    registerApi({ handle: (channel: string) => { channels.push(channel); } } as never, { runtime, host: 'electron' }, APP_URL);
    assert.deepEqual(channels, [IPC_CHANNEL]);
  });

  test('navigation away, redirects, new windows, webviews and permission prompts are refused', () => {
    const listeners = new Map<string, (event: Event, url: string) => void>();
    let openHandler: (() => { action: string }) | undefined;
    let permission: ((wc: unknown, p: string, cb: (ok: boolean) => void) => void) | undefined;
    let check: (() => boolean) | undefined;
    const fake = {
      on: (name: string, fn: (event: Event, url: string) => void) => { listeners.set(name, fn); return fake; },
      setWindowOpenHandler: (fn: () => { action: string }) => { openHandler = fn; },
      session: {
        setPermissionRequestHandler: (fn: typeof permission) => { permission = fn; },
        setPermissionCheckHandler: (fn: typeof check) => { check = fn; },
      },
    };
    hardenWebContents(fake as never, APP_URL);
    const prevented = (name: string, url: string): boolean => {
      let p = false;
      listeners.get(name)?.({ preventDefault: () => { p = true; } } as Event, url);
      return p;
    };
    assert.equal(prevented('will-navigate', 'https://evil.example/'), true);
    assert.equal(prevented('will-navigate', 'file:///etc/passwd'), true);
    assert.equal(prevented('will-navigate', APP_URL), false, 'reloading the popover itself is fine');
    assert.equal(prevented('will-redirect', APP_URL), true);
    assert.equal(prevented('will-attach-webview', ''), true);
    assert.deepEqual(openHandler?.(), { action: 'deny' });
    let granted: boolean | undefined;
    permission?.(null, 'media', (ok) => { granted = ok; });
    assert.equal(granted, false);
    assert.equal(check?.(), false);
  });

  test('the tray menu opens with "Open" (the only way in under Linux AppIndicator) and reflects the state', () => {
    const menu = trayMenuTemplate({ paused: true, loginItem: { enabled: false, needsApproval: false } }, actions);
    assert.equal(menu[0]?.label, 'Open snapctl');
    const labels = menu.map((m) => m.label ?? m.type);
    for (const l of ['Snapshot now', 'Pause schedule', 'Open at login', 'Quit snapctl']) assert.ok(labels.includes(l), l);
    assert.equal(menu.find((m) => m.label === 'Pause schedule')?.checked, true);
    assert.equal(menu.find((m) => m.label === 'Open at login')?.checked, false);
    const none = trayMenuTemplate({ paused: false, loginItem: null }, actions);
    assert.equal(none.some((m) => m.label?.startsWith('Open at login')), false);
  });

  test('Quit runs the app\'s own quit (a role would replace the click by Electron\'s, past the guard)', () => {
    let quit = 0;
    for (const state of [{ paused: false, loginItem: null }, { paused: false, loginItem: null, starting: true }]) {
      const item = trayMenuTemplate(state, { ...actions, quit: () => { quit++; } }).find((m) => m.label === 'Quit snapctl');
      assert.equal(item?.role, undefined);
      (item?.click as (() => void) | undefined)?.();
    }
    assert.equal(quit, 2);
  });

  test('open at login shows what the system will do: checked from its state, and a way to approve it when macOS waits for that', () => {
    const on = trayMenuTemplate({ paused: false, loginItem: { enabled: true, needsApproval: false } }, actions);
    assert.equal(on.find((m) => m.label === 'Open at login')?.checked, true);
    let approved = false;
    const waiting = trayMenuTemplate({ paused: false, loginItem: { enabled: true, needsApproval: true } }, { ...actions, approveOpenAtLogin: () => { approved = true; } });
    const item = waiting.find((m) => m.label?.startsWith('Open at login'));
    assert.match(item?.label ?? '', /allow it in System Settings/);
    (item?.click as (() => void) | undefined)?.();
    assert.equal(approved, true);
  });

  test('while starting (recovery, settings) the menu already quits, and offers nothing that needs the core', () => {
    const menu = trayMenuTemplate({ paused: false, loginItem: null, starting: true }, actions);
    assert.deepEqual(menu.map((m) => m.label ?? m.type), ['snapctl is starting…', 'separator', 'Quit snapctl']);
    assert.equal(menu[0]?.enabled, false);
  });

  test('the tooltip tells the age of the newest snapshot', () => {
    const now = Date.parse('2026-11-25T12:00:00Z');
    const newest = { createdAt: '2026-11-25T09:00:00Z' } as SnapshotRecord;
    assert.equal(trayTooltip(newest, false, now), 'snapctl: last snapshot 3 h ago');
    assert.equal(trayTooltip(null, true, now), 'snapctl: no snapshot yet (schedule paused)');
  });
});
