import path from 'node:path';
import type { BrowserWindowConstructorOptions, KeyboardEvent, Rectangle } from 'electron';
import { isWithin } from '../core/state/paths.js';

export interface DisplaySession {
  platform: NodeJS.Platform;
  env: NodeJS.ProcessEnv;
  /** The value of --ozone-platform, when given. */
  ozonePlatform?: string;
}

/**
 * Under Wayland no client places its own windows (a compositor decides; the tray's position is not even
 * known): Electron 41 picks Wayland when WAYLAND_DISPLAY is set, unless told --ozone-platform=x11.
 */
export function isWayland(s: DisplaySession): boolean {
  return s.platform === 'linux' && Boolean(s.env['WAYLAND_DISPLAY']) && s.ozonePlatform !== 'x11';
}

/**
 * The popover's window. It stays out of the taskbar and window switcher everywhere. Under Wayland, where it
 * cannot be put under the tray icon and the compositor places it (usually in the middle of the screen), it
 * is an ordinary window with a frame and a title, so it can be moved and closed like one.
 */
export function popoverWindowOptions(s: DisplaySession): Pick<BrowserWindowConstructorOptions, 'skipTaskbar' | 'frame' | 'title' | 'center'> {
  const placedByCompositor = isWayland(s);
  return { skipTaskbar: true, frame: placedByCompositor, title: 'snapctl', center: placedByCompositor };
}

/**
 * Where the popover goes when the tray reports no position (Linux: AppIndicator/StatusNotifier hosts never
 * do): under the pointer, which has just clicked the icon or its menu, kept inside that display's work area.
 * With a position, menubar places it under the icon itself.
 */
export function popoverPosition(tray: Rectangle, pointer: { x: number; y: number }, workArea: Rectangle, size: { width: number; height: number }): { x: number; y: number } | null {
  if (tray.width > 0 && tray.height > 0) return null;
  const clamp = (v: number, lo: number, hi: number): number => Math.round(Math.min(Math.max(v, lo), Math.max(lo, hi)));
  return {
    x: clamp(pointer.x - size.width / 2, workArea.x, workArea.x + workArea.width - size.width),
    y: clamp(pointer.y, workArea.y, workArea.y + workArea.height - size.height),
  };
}

/**
 * A click on the tray icon. macOS sends a Control-click as a click with ctrlKey, and menubar answers any click
 * with a modifier by hiding the popover: the menu must open instead, as for a right-click.
 */
export function trayClickOpensMenu(event: Pick<KeyboardEvent, 'ctrlKey'> | undefined, platform: NodeJS.Platform): boolean {
  return platform === 'darwin' && event?.ctrlKey === true;
}

/**
 * Electron's own profile folder (Chromium's caches, local storage). On macOS its default, Application
 * Support/<productName>, is snapctl's state folder itself, whose bytes the app counts as the store's and
 * whose contents the store's checks walk: Electron gets a folder of its own beside it.
 */
export function electronUserData(defaultUserData: string, stateHome: string): string | null {
  const user = path.resolve(defaultUserData);
  const home = path.resolve(stateHome);
  if (!isWithin(home, user) && !isWithin(user, home)) return null;
  return path.join(path.dirname(home), `${path.basename(home)}-electron`);
}
