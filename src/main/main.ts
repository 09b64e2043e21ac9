// The Electron shell: a thin adapter that puts the core behind a tray icon. Everything that decides anything
// lives in src/core and in the small modules beside this file, tested under Node; this file only wires
// Electron's APIs to them.
import { mkdir } from 'node:fs/promises';
import { homedir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { app, dialog, ipcMain, Menu, Notification, powerMonitor, screen, shell } from 'electron';
import { menubar } from 'menubar';
import type { DispatchContext } from '../api/dispatch.js';
import { handleApiCall } from '../api/ipc.js';
import { startAppSocket, type AppSocket } from '../api/socket-server.js';
import { installLauncher } from '../core/triggers/cli-command.js';
import { describeError } from '../core/base/errors.js';
import { installLayout } from '../core/base/install.js';
import { defaultHome } from '../core/state/paths.js';
import { xattrsUnavailable } from '../core/tree/xattrs.js';
import { SnapctlRuntime } from '../core/runtime/runtime.js';
import { IPC_CHANNEL } from '../shared/api.js';
import { cliHome, cliScriptIn, copyCli, refreshCliCopy } from './cli-install.js';
import { keepPopoverUp } from './elevation.js';
import { devToolsAllowed, launchRefusal, sandboxProblem } from './launch-guard.js';
import { macLoginItem, stableExecutable, XdgAutostart, type LoginItem, type LoginItemState } from './login-item.js';
import { electronUserData, isWayland, popoverPosition, popoverWindowOptions, trayClickOpensMenu } from './popover-window.js';
import { GUARDED_METHODS, QuitGuard } from './quit-guard.js';
import { hardenWebContents, popoverWebPreferences } from './security.js';
import { startInOrder } from './startup.js';
import { trayMenuTemplate, trayTooltip } from './tray-menu.js';
import { createSnapshot } from '../core/service/create.js';
import { listSnapshots } from '../core/service/queries.js';

const install = installLayout();
const indexFile = path.join(install.popoverDir, 'index.html');
const appUrl = pathToFileURL(indexFile).href;
const trayIcon = path.join(install.assetsDir, process.platform === 'darwin' ? 'trayTemplate.png' : 'tray.png');
const launch = { packaged: app.isPackaged, debuggable: install.packaged.debuggable };
const POPOVER = { width: 400, height: 560 };
const GUARDED_LABELS: Record<string, string> = { rollback: 'A rollback', undo: 'An undo', retry: 'A rollback being finished', restoreFile: 'A restore' };

function notify(title: string, body: string): void {
  if (Notification.isSupported()) new Notification({ title, body, silent: false }).show();
}

function loginItemFor(): LoginItem | null {
  if (process.platform === 'darwin') return macLoginItem(app);
  if (process.platform !== 'linux') return null;
  // A development run starts Electron with the app's folder; a package starts its own binary (or AppImage).
  const command = [stableExecutable(process.platform, process.execPath, process.env), ...(app.isPackaged ? [] : [app.getAppPath()])];
  return XdgAutostart.forUser(process.env, homedir(), command);
}

async function main(): Promise<void> {
  const home = defaultHome();
  const userData = electronUserData(app.getPath('userData'), home);
  if (userData) app.setPath('userData', userData);
  if (!app.requestSingleInstanceLock()) {
    process.stderr.write('snapctl is already running: its popover is open now\n');
    app.quit();
    return;
  }
  app.on('web-contents-created', (_event, contents) => hardenWebContents(contents, appUrl));

  let runtime: SnapctlRuntime | null = null;
  let appSocket: Promise<AppSocket | null> | null = null;
  const guard = new QuitGuard({
    ask: async (running) => (await dialog.showMessageBox({
      type: 'warning',
      message: `${running[0] ?? 'A rollback'} is still running`,
      detail: 'Quitting now would stop it part way. snapctl can quit as soon as it is done.',
      buttons: ['Quit When Done', 'Keep Running'], defaultId: 0, cancelId: 1,
    })).response === 0,
    // The CLI stops asking this app (its socket removed) before the runtime stops under it.
    stop: async () => { await (await appSocket)?.close(); await runtime?.stop(); },
    quit: () => app.quit(),
  });
  app.on('before-quit', (event) => guard.onBeforeQuit(event));
  app.on('window-all-closed', () => undefined); // a tray app lives on without windows

  await app.whenReady();
  app.dock?.hide();

  const session = { platform: process.platform, env: process.env, ozonePlatform: app.commandLine.getSwitchValue('ozone-platform') || undefined };
  const mb = menubar({
    index: appUrl,
    icon: trayIcon,
    tooltip: 'snapctl: starting…',
    preloadWindow: true,
    showDockIcon: false,
    browserWindow: { ...POPOVER, resizable: false, ...popoverWindowOptions(session), webPreferences: popoverWebPreferences(install.preloadScript, devToolsAllowed(launch, process.env)) },
  });
  app.on('second-instance', () => { void mb.showWindow().catch(() => undefined); });

  let resolveRuntime: (r: SnapctlRuntime) => void = () => undefined;
  const runtimeReady = new Promise<SnapctlRuntime>((resolve) => { resolveRuntime = resolve; });
  // One IPC channel from the start; calls wait for recovery to finish. Rollbacks are known to the quit guard.
  ipcMain.handle(IPC_CHANNEL, async (event, method: unknown, params: unknown) => {
    const ctx: DispatchContext = { runtime: await runtimeReady, host: 'electron', onSettingsSaved: (s) => { void applyLoginItem(s.launchAtLogin); } };
    const call = (): ReturnType<typeof handleApiCall> => handleApiCall(ctx, appUrl, event, method, params);
    return typeof method === 'string' && GUARDED_METHODS.has(method) ? guard.track(GUARDED_LABELS[method] ?? 'A rollback', call) : call();
  });

  const loginItem = loginItemFor();
  let loginState: LoginItemState | null = null;
  const applyLoginItem = async (open: boolean): Promise<void> => {
    if (!loginItem) return;
    try {
      loginState = await loginItem.set(open);
    } catch (err) {
      runtime?.reportProblem(`could not change opening at login: ${describeError(err)}`);
    }
    await refreshTray();
  };

  const snapshotNow = async (): Promise<void> => {
    const target = runtime?.currentSettings().targets[0];
    if (!runtime || !target) { void mb.showWindow(); return; }
    try {
      await createSnapshot(runtime.service, { path: target.path, trigger: 'manual', provider: target.provider });
    } catch (err) {
      notify('snapctl: snapshot failed', describeError(err));
    }
    await refreshTray();
  };

  const linkCli = async (): Promise<void> => {
    const bin = path.join(homedir(), '.local', 'bin');
    const link = path.join(bin, 'snapctl');
    const where = cliHome({ platform: process.platform, cliRoot: install.cliRoot, env: process.env, homedir: homedir() });
    if (where.kind === 'refuse') {
      await dialog.showMessageBox({ type: 'error', message: 'The snapctl command cannot be installed from here', detail: `${where.why}: ${where.hint}.` });
      return;
    }
    try {
      if (where.kind === 'copy') await copyCli(where.from, where.to);
      await mkdir(bin, { recursive: true });
      await installLauncher(link, cliScriptIn(where.kind === 'copy' ? where.to : where.cliRoot));
      await dialog.showMessageBox({ message: `The snapctl command is installed at ${link}`, detail: `Make sure ${bin} is on your PATH; the command runs with Node.js 20 or later.` });
    } catch (err) {
      await dialog.showMessageBox({ type: 'error', message: 'Could not install the snapctl command', detail: describeError(err) });
    }
  };

  let trayMenu: Menu | null = null;
  async function refreshTray(): Promise<void> {
    if (!mb.tray) return;
    const settings = runtime?.currentSettings();
    if (runtime && settings) {
      const newest = (await listSnapshots(runtime.service).catch(() => []))[0] ?? null;
      mb.tray.setToolTip(trayTooltip(newest, settings.schedulePaused));
    }
    trayMenu = Menu.buildFromTemplate(trayMenuTemplate(
      { paused: settings?.schedulePaused ?? false, loginItem: loginState, starting: !runtime },
      {
        open: () => void mb.showWindow(),
        snapshotNow: () => void snapshotNow(),
        togglePause: () => void runtime?.updateSettings({ ...runtime.currentSettings(), schedulePaused: !runtime.currentSettings().schedulePaused }).then(refreshTray),
        toggleOpenAtLogin: () => void runtime?.updateSettings({ ...runtime.currentSettings(), launchAtLogin: !(loginState?.enabled ?? false) })
          .then((s) => applyLoginItem(s.launchAtLogin)),
        approveOpenAtLogin: () => void shell.openExternal('x-apple.systempreferences:com.apple.LoginItems-Settings.extension'),
        linkCli: () => void linkCli(),
        quit: () => app.quit(),
      },
    ));
    if (process.platform === 'linux') mb.tray.setContextMenu(trayMenu);
  }

  mb.on('ready', () => {
    mb.tray.on('right-click', () => { if (trayMenu) mb.tray.popUpContextMenu(trayMenu); });
    mb.tray.on('click', (event) => { if (trayMenu && trayClickOpensMenu(event, process.platform)) mb.tray.popUpContextMenu(trayMenu); });
    void refreshTray();
  });
  mb.on('after-show', () => {
    // Linux trays report no position: put the popover under the pointer that just clicked (not under Wayland,
    // where the compositor places windows and the pointer is not known).
    if (process.platform !== 'linux' || isWayland(session) || !mb.window) return;
    const pointer = screen.getCursorScreenPoint();
    const at = popoverPosition(mb.tray.getBounds(), pointer, screen.getDisplayNearestPoint(pointer).workArea, POPOVER);
    if (at) mb.window.setPosition(at.x, at.y);
  });

  await startInOrder({
    showTray: () => undefined, // menubar puts the icon up as soon as the app is ready, above
    startRuntime: () => guard.track('Finishing an interrupted rollback', () => SnapctlRuntime.start({
      home,
      onProblem: (message) => notify('snapctl needs attention', message),
      // One click: an APFS rollback asks for the password with macOS's own prompt, for the mount alone; the
      // popover stays up meanwhile and shows the result.
      adminPrompt: process.platform === 'darwin' ? keepPopoverUp(() => mb.window) : false,
      catchUp: 'later',
    })),
    ready: (rt) => {
      runtime = rt;
      resolveRuntime(rt);
      // The CLI, the git hooks and `snapctl run` on this state folder ask this app rather than walk themselves.
      appSocket = startAppSocket({ context: { runtime: rt, host: 'electron' }, env: process.env, onProblem: (m) => rt.reportProblem(m) });
      rt.service.onEvent((event) => {
        if (event.type === 'rollback-failed') notify('snapctl: rollback failed', `${event.target}: ${event.error}`);
      });
      const unsandboxed = sandboxProblem(app.commandLine.hasSwitch('no-sandbox'), process.platform, process.env);
      if (unsandboxed) rt.reportProblem(unsandboxed);
      const noXattrs = xattrsUnavailable();
      if (noXattrs) rt.reportProblem(noXattrs);
      void (async () => {
        // What the system will do at login is the truth: the user may have changed it in System Settings.
        loginState = loginItem ? await loginItem.state().catch(() => null) : null;
        const settings = rt.currentSettings();
        if (loginState && loginState.enabled !== settings.launchAtLogin) await rt.updateSettings({ ...settings, launchAtLogin: loginState.enabled }).catch(() => undefined);
        await refreshCliCopy(cliHome({ platform: process.platform, cliRoot: install.cliRoot, env: process.env, homedir: homedir() }), install.version)
          .catch((err: unknown) => rt.reportProblem(`could not update the snapctl command's files: ${describeError(err)}`));
        await refreshTray();
      })();
      setInterval(() => void refreshTray(), 60_000).unref();
      powerMonitor.on('resume', () => void rt.resume());
    },
    catchUp: (rt) => rt.resume(),
    onCatchUpError: (err) => notify('snapctl: missed snapshots were not taken', describeError(err)),
  });
}

// Before anything else, and before `ready` (when Electron would start its DevTools server): a user's package
// refuses the switches that would let another program debug it or run code in it (launch-guard.ts).
const refusal = launchRefusal({ argv: process.argv, ...launch });
if (refusal) {
  process.stderr.write(`${refusal}\n`);
  app.exit(1);
} else {
  main().catch((err: unknown) => {
    dialog.showErrorBox('snapctl could not start', describeError(err));
    app.exit(1);
  });
}
