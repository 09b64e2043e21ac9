import { mkdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import type { LoginItemSettings, Settings as LoginItemOptions } from 'electron';
import { writeFileAtomic } from '../core/state/atomic-write.js';
import { nullIfMissing } from '../core/base/errors.js';

/** What the system will do at login, read from the system: the settings file only says what was asked. */
export interface LoginItemState {
  enabled: boolean;
  /** macOS 13+: registered, but the user has to allow it in System Settings › General › Login Items. */
  needsApproval: boolean;
}

export interface LoginItem {
  state(): Promise<LoginItemState>;
  /** Asks the system, then reads back what it will really do. */
  set(open: boolean): Promise<LoginItemState>;
}

type LoginItemApi = { getLoginItemSettings(): Pick<LoginItemSettings, 'openAtLogin'> & { status?: LoginItemSettings['status'] }; setLoginItemSettings(settings: LoginItemOptions): void };

/**
 * macOS: Electron's login item. From macOS 13 the truth is `status` (SMAppService): `requires-approval` means
 * registered but not allowed yet, `not-registered` that the user removed it in System Settings. No
 * `openAsHidden`: it does nothing from macOS 13, and the app opens no window at start anyway (menu bar only).
 */
export function macLoginItem(api: LoginItemApi): LoginItem {
  const state = (): LoginItemState => {
    const s = api.getLoginItemSettings();
    if (s.status === undefined) return { enabled: s.openAtLogin, needsApproval: false };
    return { enabled: s.status === 'enabled' || s.status === 'requires-approval', needsApproval: s.status === 'requires-approval' };
  };
  return {
    state: async () => state(),
    set: async (open) => { api.setLoginItemSettings({ openAtLogin: open }); return state(); },
  };
}

const MARK = 'X-snapctl-Autostart=true';

/**
 * Linux: an XDG autostart entry (`$XDG_CONFIG_HOME/autostart/snapctl.desktop`), which GNOME, KDE, Xfce and
 * the others start at login; Electron has no login items there. `command` starts a program that outlives this
 * run (an AppImage's own file, not its temporary mount). Another program's file of that name is left alone.
 */
export class XdgAutostart implements LoginItem {
  constructor(readonly file: string, private readonly command: readonly string[]) {}

  static forUser(env: NodeJS.ProcessEnv, home: string, command: readonly string[]): XdgAutostart {
    const config = env['XDG_CONFIG_HOME'] && path.isAbsolute(env['XDG_CONFIG_HOME']) ? env['XDG_CONFIG_HOME'] : path.join(home, '.config');
    return new XdgAutostart(path.join(config, 'autostart', 'snapctl.desktop'), command);
  }

  async state(): Promise<LoginItemState> {
    const text = await readFile(this.file, 'utf8').catch(nullIfMissing);
    const on = text !== null && !/^Hidden\s*=\s*true\s*$/m.test(text) && !/^X-GNOME-Autostart-enabled\s*=\s*false\s*$/m.test(text);
    return { enabled: on, needsApproval: false };
  }

  async set(open: boolean): Promise<LoginItemState> {
    const text = await readFile(this.file, 'utf8').catch(nullIfMissing);
    if (text !== null && !text.includes(MARK)) throw new Error(`${this.file} was not written by snapctl; remove it to let snapctl manage opening at login`);
    if (open) {
      await mkdir(path.dirname(this.file), { recursive: true });
      await writeFileAtomic(this.file, desktopEntry(this.command), { mode: 0o644 });
    }
    else await rm(this.file, { force: true });
    return this.state();
  }
}

export function desktopEntry(command: readonly string[]): string {
  return ['[Desktop Entry]', 'Type=Application', 'Name=snapctl', 'Comment=Snapshots of your project folders', `Exec=${desktopExec(command)}`, 'Terminal=false', 'X-GNOME-Autostart-enabled=true', MARK, ''].join('\n');
}

/**
 * An Exec line (Desktop Entry Specification): each argument double-quoted with `"`, `` ` ``, `$` and `\`
 * escaped, `%` doubled; then the value's own escaping doubles every backslash.
 */
export function desktopExec(args: readonly string[]): string {
  return args.map((a) => `"${a.replace(/([\\"`$])/g, '\\$1')}"`.replace(/%/g, '%%')).join(' ').replace(/\\/g, '\\\\');
}

/**
 * The program to start at login, one that outlives this run: an AppImage runs from a temporary mount, and
 * `$APPIMAGE` is its file.
 */
export function stableExecutable(platform: NodeJS.Platform, execPath: string, env: NodeJS.ProcessEnv): string {
  if (platform === 'linux' && env['APPIMAGE'] && path.isAbsolute(env['APPIMAGE'])) return env['APPIMAGE'];
  return execPath;
}
