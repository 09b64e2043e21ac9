import type { MenuItemConstructorOptions } from 'electron';
import type { SnapshotRecord } from '../shared/model.js';
import { relativeTime } from '../shared/format.js';

export interface TrayMenuState {
  paused: boolean;
  openAtLogin: boolean;
  /** Hidden where the OS has no login items for us (e.g. a Linux AppImage without a desktop session). */
  canOpenAtLogin: boolean;
}

export interface TrayMenuActions {
  open: () => void;
  snapshotNow: () => void;
  togglePause: () => void;
  toggleOpenAtLogin: () => void;
  linkCli: () => void;
  quit: () => void;
}

/**
 * The right-click menu. "Open" comes first because under Linux AppIndicator a click on the icon never reaches
 * the app: the menu is the only way in.
 */
export function trayMenuTemplate(state: TrayMenuState, actions: TrayMenuActions): MenuItemConstructorOptions[] {
  const items: MenuItemConstructorOptions[] = [
    { label: 'Open snapctl', click: actions.open },
    { label: 'Snapshot now', click: actions.snapshotNow },
    { type: 'separator' },
    { label: 'Pause schedule', type: 'checkbox', checked: state.paused, click: actions.togglePause },
  ];
  if (state.canOpenAtLogin) items.push({ label: 'Open at login', type: 'checkbox', checked: state.openAtLogin, click: actions.toggleOpenAtLogin });
  items.push(
    { label: 'Install the snapctl command…', click: actions.linkCli },
    { type: 'separator' },
    { label: 'Quit snapctl', role: 'quit', click: actions.quit },
  );
  return items;
}

/** The tray tooltip: how old the newest snapshot is, so a stale schedule shows without opening anything. */
export function trayTooltip(newest: SnapshotRecord | null, paused: boolean, now: number = Date.now()): string {
  const age = newest ? `last snapshot ${relativeTime(newest.createdAt, now)}` : 'no snapshot yet';
  return `snapctl: ${age}${paused ? ' (schedule paused)' : ''}`;
}
