// The Electron shell: a thin adapter that puts the core behind a tray icon. Everything that decides anything
// lives in src/core and is tested under Node; this file only wires Electron's APIs to it.
import { mkdir } from 'node:fs/promises';
import { homedir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { app, dialog, ipcMain, Menu, Notification, powerMonitor } from 'electron';
import { menubar } from 'menubar';
import type { DispatchContext } from '../api/dispatch.js';
import { installLauncher } from '../core/triggers/cli-command.js';
import { describeError } from '../core/base/errors.js';
import { installLayout } from '../core/base/install.js';
import { defaultHome } from '../core/state/paths.js';
import { SnapctlRuntime } from '../core/runtime/runtime.js';
import { registerApi } from '../api/ipc.js';
import { hardenWebContents, popoverWebPreferences } from './security.js';
import { trayMenuTemplate, trayTooltip } from './tray-menu.js';

const install = installLayout();
const indexFile = path.join(install.popoverDir, 'index.html');
const appUrl = pathToFileURL(indexFile).href;
const trayIcon = path.join(install.assetsDir, process.platform === 'darwin' ? 'trayTemplate.png' : 'tray.png');

function notify(title: string, body: string): void {
  if (Notification.isSupported()) new Notification({ title, body, silent: false }).show();
}

async function main(): Promise<void> {
  if (!app.requestSingleInstanceLock()) { app.quit(); return; }
  app.on('web-contents-created', (_event, contents) => hardenWebContents(contents, appUrl));
  await app.whenReady();
  app.dock?.hide();

  const runtime = await SnapctlRuntime.start({
    home: defaultHome(),
    onProblem: (message) => notify('snapctl needs attention', message),
    // One click: an APFS rollback asks for the password with macOS's own prompt, for the mount alone.
    adminPrompt: process.platform === 'darwin',
  });
  runtime.service.onEvent((event) => {
    if (event.type === 'rollback-failed') notify('snapctl: rollback failed', `${event.target}: ${event.error}`);
  });

  const canOpenAtLogin = process.platform === 'darwin' || process.platform === 'win32';
  const applyLoginItem = (openAtLogin: boolean): void => {
    if (canOpenAtLogin) app.setLoginItemSettings({ openAtLogin, openAsHidden: true });
  };
  applyLoginItem(runtime.currentSettings().launchAtLogin);

  const ctx: DispatchContext = { runtime, host: 'electron', onSettingsSaved: (s) => { applyLoginItem(s.launchAtLogin); void refreshTray(); } };
  registerApi(ipcMain, ctx, appUrl);

  const mb = menubar({
    index: appUrl,
    icon: trayIcon,
    tooltip: 'snapctl',
    preloadWindow: true,
    showDockIcon: false,
    browserWindow: { width: 400, height: 560, resizable: false, webPreferences: popoverWebPreferences(install.preloadScript) },
  });

  const snapshotNow = async (): Promise<void> => {
    const target = runtime.currentSettings().targets[0];
    if (!target) { void mb.showWindow(); return; }
    try {
      await runtime.service.create({ path: target.path, trigger: 'manual', provider: target.provider });
    } catch (err) {
      notify('snapctl: snapshot failed', describeError(err));
    }
    await refreshTray();
  };

  const linkCli = async (): Promise<void> => {
    const bin = path.join(homedir(), '.local', 'bin');
    const link = path.join(bin, 'snapctl');
    try {
      await mkdir(bin, { recursive: true });
      // Packaged, the CLI is unpacked beside app.asar (electron-builder.yml asarUnpack): the Node on PATH runs it.
      await installLauncher(link, install.cliScript.replace(`app.asar${path.sep}`, `app.asar.unpacked${path.sep}`));
      await dialog.showMessageBox({ message: `The snapctl command is installed at ${link}`, detail: `Make sure ${bin} is on your PATH; the command runs with Node.js 20 or later.` });
    } catch (err) {
      await dialog.showMessageBox({ type: 'error', message: 'Could not install the snapctl command', detail: describeError(err) });
    }
  };

  let trayMenu: Menu | null = null;
  async function refreshTray(): Promise<void> {
    const settings = runtime.currentSettings();
    const newest = (await runtime.service.list().catch(() => []))[0] ?? null;
    mb.tray.setToolTip(trayTooltip(newest, settings.schedulePaused));
    trayMenu = Menu.buildFromTemplate(trayMenuTemplate(
      { paused: settings.schedulePaused, openAtLogin: settings.launchAtLogin, canOpenAtLogin },
      {
        open: () => void mb.showWindow(),
        snapshotNow: () => void snapshotNow(),
        togglePause: () => void runtime.updateSettings({ ...runtime.currentSettings(), schedulePaused: !settings.schedulePaused }).then(refreshTray),
        toggleOpenAtLogin: () => void runtime.updateSettings({ ...runtime.currentSettings(), launchAtLogin: !settings.launchAtLogin })
          .then((s) => { applyLoginItem(s.launchAtLogin); return refreshTray(); }),
        linkCli: () => void linkCli(),
        quit: () => app.quit(),
      },
    ));
    if (process.platform === 'linux') mb.tray.setContextMenu(trayMenu);
  }

  mb.on('ready', () => {
    mb.tray.on('right-click', () => { if (trayMenu) mb.tray.popUpContextMenu(trayMenu); });
    void refreshTray();
    setInterval(() => void refreshTray(), 60_000).unref();
  });
  powerMonitor.on('resume', () => void runtime.resume());
  app.on('before-quit', () => void runtime.stop());
  app.on('window-all-closed', () => undefined); // a tray app lives on without windows
}

main().catch((err: unknown) => {
  dialog.showErrorBox('snapctl could not start', describeError(err));
  app.exit(1);
});
