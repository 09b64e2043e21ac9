import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import { cliHome, cliScriptIn, copyCli, refreshCliCopy } from '../../src/main/cli-install.js';
import { keepPopoverUp } from '../../src/main/elevation.js';
import { devToolsAllowed, launchRefusal, refusedSwitches, sandboxProblem } from '../../src/main/launch-guard.js';
import { desktopEntry, desktopExec, macLoginItem, stableExecutable, XdgAutostart } from '../../src/main/login-item.js';
import { electronUserData, isWayland, popoverPosition, popoverWindowOptions, trayClickOpensMenu } from '../../src/main/popover-window.js';
import { QuitGuard } from '../../src/main/quit-guard.js';
import { popoverWebPreferences } from '../../src/main/security.js';
import { startInOrder } from '../../src/main/startup.js';
import { installLauncher } from '../../src/core/triggers/cli-command.js';
import { tempDir } from '../helpers/helpers.js';

const packaged = { packaged: true, debuggable: false };
const exe = '/opt/snapctl/snapctl-app';

describe('the app refuses switches that open it to other programs', () => {
  test('--remote-debugging-port (no fuse closes it), -pipe, the cmd-prefix launchers and --inspect are refused in a package, in any spelling', () => {
    for (const arg of ['--remote-debugging-port=9222', '--remote-debugging-port', '-remote-debugging-port=0', '--REMOTE-DEBUGGING-PORT=1', '--remote-debugging-pipe', '--renderer-cmd-prefix=/tmp/x', '--gpu-launcher=/tmp/x', '--utility-cmd-prefix=/tmp/x', '--inspect=9229', '--js-flags=--allow-natives-syntax']) {
      assert.ok(launchRefusal({ argv: [exe, arg], ...packaged }), arg);
    }
    assert.match(launchRefusal({ argv: [exe, '--remote-debugging-port=9222'], ...packaged }) ?? '', /^snapctl: refusing to start with --remote-debugging-port: .*start it without them$/);
  });

  test('ordinary switches, arguments after --, a development run and a debuggable test build start', () => {
    assert.equal(launchRefusal({ argv: [exe, '--ozone-platform=wayland', '--enable-features=X', '--no-sandbox'], ...packaged }), null);
    assert.deepEqual(refusedSwitches([exe, '--', '--remote-debugging-port=1']), []);
    assert.equal(launchRefusal({ argv: [exe, '--remote-debugging-port=0'], packaged: false, debuggable: false }), null);
    assert.equal(launchRefusal({ argv: [exe, '--remote-debugging-port=0'], packaged: true, debuggable: true }), null);
  });

  test('SNAPCTL_DEVTOOLS opens DevTools in a development run only, never in a user\'s package', () => {
    const env = { SNAPCTL_DEVTOOLS: '1' };
    assert.equal(devToolsAllowed(packaged, env), false);
    process.env['SNAPCTL_DEVTOOLS'] = '1';
    try {
      assert.equal(popoverWebPreferences('/p.cjs', devToolsAllowed(packaged, process.env)).devTools, false);
    } finally {
      delete process.env['SNAPCTL_DEVTOOLS'];
    }
    assert.equal(devToolsAllowed({ packaged: false, debuggable: false }, env), true);
    assert.equal(devToolsAllowed({ packaged: false, debuggable: false }, {}), false);
  });

  test('an AppImage started without Chromium\'s sandbox says so, with what to do', () => {
    assert.equal(sandboxProblem(false, 'linux', { APPIMAGE: '/x.AppImage' }), null);
    assert.match(sandboxProblem(true, 'linux', { APPIMAGE: '/x.AppImage' }) ?? '', /without Chromium's sandbox.*install the \.deb/);
    assert.equal(sandboxProblem(true, 'linux', {}), null, 'a switch someone passed by hand is theirs');
  });
});

describe('starting and quitting', () => {
  test('the tray is up before recovery and catch-up; the catch-up runs after the app is ready, not before', async () => {
    const order: string[] = [];
    let finishRecovery: (v: string) => void = () => undefined;
    let finishCatchUp: () => void = () => undefined;
    const started = startInOrder({
      showTray: () => order.push('tray'),
      startRuntime: () => { order.push('recovery'); return new Promise<string>((r) => { finishRecovery = r; }); },
      ready: () => order.push('ready'),
      catchUp: () => { order.push('catch-up'); return new Promise<void>((r) => { finishCatchUp = r; }); },
      onCatchUpError: () => undefined,
    });
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(order, ['tray', 'recovery'], 'the icon is up while recovery runs');
    finishRecovery('runtime');
    assert.equal(await started, 'runtime', 'start does not wait for the catch-up');
    assert.deepEqual(order, ['tray', 'recovery', 'ready', 'catch-up']);
    finishCatchUp();
  });

  test('quit during a rollback asks, waits for it to end, then stops the runtime, then quits; the second before-quit passes', async () => {
    const log: string[] = [];
    let endRollback: () => void = () => undefined;
    const guard = new QuitGuard({ ask: async (running) => { log.push(`ask: ${running.join(', ')}`); return true; }, stop: async () => { log.push('stop'); }, quit: () => log.push('quit') });
    const rollback = guard.track('A rollback', () => new Promise<void>((r) => { endRollback = () => { log.push('rollback done'); r(); }; }));
    let prevented = 0;
    const event = { preventDefault: () => { prevented++; } };
    guard.onBeforeQuit(event);
    guard.onBeforeQuit(event); // a second Quit while the question is open changes nothing
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(log, ['ask: A rollback']);
    endRollback();
    await rollback;
    for (let i = 0; i < 5 && !log.includes('quit'); i++) await new Promise((r) => setImmediate(r));
    assert.deepEqual(log, ['ask: A rollback', 'rollback done', 'stop', 'quit']);
    assert.equal(prevented, 2);
    guard.onBeforeQuit(event);
    assert.equal(prevented, 2, 'the quit it started goes through');
  });

  test('keep running: nothing is stopped; with nothing running, quit stops the runtime first and does not ask', async () => {
    const log: string[] = [];
    const guard = new QuitGuard({ ask: async () => { log.push('ask'); return false; }, stop: async () => { log.push('stop'); }, quit: () => log.push('quit') });
    let end: () => void = () => undefined;
    const work = guard.track('A restore', () => new Promise<void>((r) => { end = r; }));
    guard.onBeforeQuit({ preventDefault: () => undefined });
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(log, ['ask']);
    end();
    await work;
    guard.onBeforeQuit({ preventDefault: () => undefined });
    for (let i = 0; i < 5 && !log.includes('quit'); i++) await new Promise((r) => setImmediate(r));
    assert.deepEqual(log, ['ask', 'stop', 'quit']);
  });
});

describe('the popover around the password prompt', () => {
  test('it stays up (always on top, so menubar does not hide it on blur) through nested prompts, then shows with the result', async () => {
    const calls: string[] = [];
    let onTop = false;
    let visible = true;
    const win = {
      isAlwaysOnTop: () => onTop, setAlwaysOnTop: (f: boolean) => { onTop = f; calls.push(`top ${f}`); },
      isVisible: () => visible, show: () => { visible = true; calls.push('show'); },
    };
    const prompt = keepPopoverUp(() => win);
    const around = prompt.around;
    assert.ok(around);
    const result = await around(async () => {
      visible = false; // whatever hid it meanwhile
      await around(async () => { assert.equal(onTop, true); });
      assert.equal(onTop, true, 'still pinned after the inner prompt');
      return 'restored';
    });
    assert.equal(result, 'restored');
    assert.deepEqual(calls, ['top true', 'top false', 'show']);
    await assert.rejects(around(async () => { throw new Error('cancelled'); }), /cancelled/);
    assert.equal(onTop, false, 'unpinned after a failure too');
  });
});

describe('the popover window and tray', () => {
  test('it stays out of the taskbar; under Wayland it is an ordinary framed window the compositor places', () => {
    assert.equal(popoverWindowOptions({ platform: 'linux', env: {} }).skipTaskbar, true);
    assert.equal(popoverWindowOptions({ platform: 'darwin', env: {} }).skipTaskbar, true);
    const wayland = { platform: 'linux' as const, env: { WAYLAND_DISPLAY: 'wayland-0' } };
    assert.equal(isWayland(wayland), true);
    assert.deepEqual(popoverWindowOptions(wayland), { skipTaskbar: true, frame: true, title: 'snapctl', center: true });
    assert.equal(isWayland({ ...wayland, ozonePlatform: 'x11' }), false);
    assert.equal(popoverWindowOptions({ platform: 'linux', env: {} }).frame, false);
  });

  test('with no tray position (Linux), it opens under the pointer, inside the work area; with one, menubar places it', () => {
    const area = { x: 0, y: 32, width: 1920, height: 1048 };
    assert.deepEqual(popoverPosition({ x: 0, y: 0, width: 0, height: 0 }, { x: 1900, y: 10 }, area, { width: 400, height: 560 }), { x: 1520, y: 32 });
    assert.deepEqual(popoverPosition({ x: 0, y: 0, width: 0, height: 0 }, { x: 800, y: 900 }, area, { width: 400, height: 560 }), { x: 600, y: 520 });
    assert.equal(popoverPosition({ x: 1700, y: 0, width: 22, height: 22 }, { x: 1, y: 1 }, area, { width: 400, height: 560 }), null);
  });

  test('Control-click on the macOS icon opens the menu (menubar would only hide the popover)', () => {
    assert.equal(trayClickOpensMenu({ ctrlKey: true }, 'darwin'), true);
    assert.equal(trayClickOpensMenu({ ctrlKey: false }, 'darwin'), false);
    assert.equal(trayClickOpensMenu(undefined, 'darwin'), false);
  });

  test('Electron\'s profile never lives in the state folder (on macOS both default to Application Support/snapctl)', () => {
    const support = '/Users/dev/Library/Application Support';
    assert.equal(electronUserData(`${support}/snapctl`, `${support}/snapctl`), `${support}/snapctl-electron`);
    assert.equal(electronUserData(`${support}/snapctl`, support), `${path.dirname(support)}/Application Support-electron`);
    assert.equal(electronUserData('/home/dev/.config/snapctl', '/home/dev/.local/share/snapctl'), null, 'Linux: already apart');
  });
});

describe('open at login', () => {
  let work: string;
  before(async () => { work = await tempDir(); });
  after(() => rm(work, { recursive: true, force: true }));

  test('Linux: an XDG autostart entry starting the AppImage\'s own file, read back as the state; removed when turned off', async () => {
    const command = [stableExecutable('linux', '/tmp/.mount_snapXYZ/snapctl-app', { APPIMAGE: '/home/dev/Apps/snapctl.AppImage' })];
    assert.deepEqual(command, ['/home/dev/Apps/snapctl.AppImage']);
    const item = XdgAutostart.forUser({ XDG_CONFIG_HOME: path.join(work, 'config') }, '/nowhere', command);
    assert.deepEqual(await item.state(), { enabled: false, needsApproval: false });
    assert.deepEqual(await item.set(true), { enabled: true, needsApproval: false });
    const text = await readFile(path.join(work, 'config', 'autostart', 'snapctl.desktop'), 'utf8');
    assert.match(text, /^Exec="\/home\/dev\/Apps\/snapctl\.AppImage"$/m);
    await writeFile(item.file, `${text}Hidden=true\n`); // turned off in the desktop's settings
    assert.equal((await item.state()).enabled, false);
    assert.deepEqual(await item.set(false), { enabled: false, needsApproval: false });
  });

  test('Linux: another program\'s snapctl.desktop is left alone; Exec quotes paths by the Desktop Entry rules', async () => {
    const item = new XdgAutostart(path.join(work, 'other.desktop'), ['/x']);
    await writeFile(item.file, '[Desktop Entry]\nExec=/usr/bin/other\n');
    await assert.rejects(item.set(false), /was not written by snapctl/);
    assert.equal(await readFile(item.file, 'utf8'), '[Desktop Entry]\nExec=/usr/bin/other\n');
    assert.equal(desktopExec(['/a b/$x "q" 100%\\n']), '"/a b/\\\\$x \\\\"q\\\\" 100%%\\\\\\\\n"');
    assert.match(desktopEntry(['/x']), /^X-GNOME-Autostart-enabled=true$/m);
  });

  test('macOS 13+: the state is SMAppService\'s status, requires-approval included; openAsHidden is not asked for', async () => {
    let status: 'not-registered' | 'enabled' | 'requires-approval' | 'not-found' = 'not-registered';
    const asked: unknown[] = [];
    const item = macLoginItem({
      getLoginItemSettings: () => ({ openAtLogin: status !== 'not-registered', status }),
      setLoginItemSettings: (s) => { asked.push(s); status = s.openAtLogin ? 'requires-approval' : 'not-registered'; },
    });
    assert.deepEqual(await item.state(), { enabled: false, needsApproval: false });
    assert.deepEqual(await item.set(true), { enabled: true, needsApproval: true });
    assert.deepEqual(asked, [{ openAtLogin: true }]);
    status = 'not-registered'; // removed by the user in System Settings
    assert.equal((await item.state()).enabled, false);
  });
});

describe('where the installed command runs the CLI from', () => {
  let work: string;
  before(async () => { work = await tempDir(); });
  after(() => rm(work, { recursive: true, force: true }));

  test('in place for an installed app; a copy for an AppImage (its mount goes away); refused from a DMG or App Translocation', () => {
    assert.deepEqual(cliHome({ platform: 'linux', cliRoot: '/opt/snapctl/resources/app.asar.unpacked', env: {}, homedir: '/home/dev' }), { kind: 'in-place', cliRoot: '/opt/snapctl/resources/app.asar.unpacked' });
    assert.deepEqual(cliHome({ platform: 'linux', cliRoot: '/tmp/.mount_snap1/resources/app.asar.unpacked', env: { APPIMAGE: '/home/dev/snapctl.AppImage', APPDIR: '/tmp/.mount_snap1' }, homedir: '/home/dev' }),
      { kind: 'copy', from: '/tmp/.mount_snap1/resources/app.asar.unpacked', to: '/home/dev/.local/share/snapctl-cli' });
    const dmg = cliHome({ platform: 'darwin', cliRoot: '/Volumes/snapctl 0.1.0/snapctl.app/Contents/Resources/app.asar.unpacked', env: {}, homedir: '/Users/dev' });
    assert.equal(dmg.kind, 'refuse');
    const translocated = cliHome({ platform: 'darwin', cliRoot: '/private/var/folders/x/T/AppTranslocation/1234/d/snapctl.app/Contents/Resources/app.asar.unpacked', env: {}, homedir: '/Users/dev' });
    assert.match(translocated.kind === 'refuse' ? translocated.hint : '', /move snapctl to your Applications folder/);
    assert.equal(cliHome({ platform: 'darwin', cliRoot: '/Applications/snapctl.app/Contents/Resources/app.asar.unpacked', env: {}, homedir: '/Users/dev' }).kind, 'in-place');
  });

  test('the command keeps working after the AppImage\'s mount is gone, and a newer app replaces the copy at the same path', async () => {
    const mount = path.join(work, 'mount', 'resources', 'app.asar.unpacked');
    const cli = async (version: string): Promise<void> => {
      await mkdir(path.join(mount, 'bin'), { recursive: true });
      await writeFile(path.join(mount, 'package.json'), JSON.stringify({ name: 'snapctl', version }));
      await writeFile(path.join(mount, 'bin', 'snapctl.js'), `console.log('cli ${version}', process.argv.slice(2).join(' '));\n`);
    };
    await cli('1.0.0');
    const home = cliHome({ platform: 'linux', cliRoot: mount, env: { APPIMAGE: path.join(work, 'snapctl.AppImage'), APPDIR: path.join(work, 'mount') }, homedir: work });
    assert.equal(home.kind, 'copy');
    if (home.kind !== 'copy') return;
    await copyCli(home.from, home.to);
    const launcher = path.join(work, 'bin', 'snapctl');
    await mkdir(path.dirname(launcher));
    await installLauncher(launcher, cliScriptIn(home.to));
    await rm(path.join(work, 'mount'), { recursive: true }); // the app quit
    const run = async (): Promise<string> => (await promisify(execFile)(launcher, ['list'], { env: { PATH: `${path.dirname(process.execPath)}:/usr/bin:/bin` } })).stdout;
    assert.equal(await run(), 'cli 1.0.0 list\n');
    await cli('1.1.0'); // the next version of the AppImage, mounted again
    assert.equal(await refreshCliCopy(home, '1.1.0'), true);
    assert.equal(await run(), 'cli 1.1.0 list\n');
    assert.equal(await refreshCliCopy(home, '1.1.0'), false, 'the same version is not copied again');
  });
});
