import type { MenuItemConstructorOptions } from 'electron';
import type { SnapshotRecord } from '../shared/model.js';
import { relativeTime } from '../shared/format.js';
import type { LoginItemState } from './login-item.js';

export interface TrayMenuState {
  paused: boolean;
  /** What the system will do at login; null where snapctl has no way to open at login. */
  loginItem: LoginItemState | null;
  /** Recovery and settings are still loading: only Quit works yet. */
  starting?: boolean;
}

export interface TrayMenuActions {
  open: () => void;
  snapshotNow: () => void;
  togglePause: () => void;
  toggleOpenAtLogin: () => void;
  /** macOS: System Settings › General › Login Items, where a login item waiting for approval is allowed. */
  approveOpenAtLogin: () => void;
  linkCli: () => void;
  quit: () => void;
}

/**
 * The right-click menu. "Open" comes first because under Linux AppIndicator a click on the icon never reaches
 * the app: the menu is the only way in. Quit has no `role`: Electron runs a role's own action and ignores the
 * item's click, and quitting must go through the app's guard (it waits for a running rollback).
 */
export function trayMenuTemplate(state: TrayMenuState, actions: TrayMenuActions): MenuItemConstructorOptions[] {
  const quit: MenuItemConstructorOptions = { label: 'Quit snapctl', accelerator: 'CommandOrControl+Q', click: actions.quit };
  if (state.starting) return [{ label: 'snapctl is starting…', enabled: false }, { type: 'separator' }, quit];
  const items: MenuItemConstructorOptions[] = [
    { label: 'Open snapctl', click: actions.open },
    { label: 'Snapshot now', click: actions.snapshotNow },
    { type: 'separator' },
    { label: 'Pause schedule', type: 'checkbox', checked: state.paused, click: actions.togglePause },
  ];
  if (state.loginItem?.needsApproval) items.push({ label: 'Open at login: allow it in System Settings…', click: actions.approveOpenAtLogin });
  else if (state.loginItem) items.push({ label: 'Open at login', type: 'checkbox', checked: state.loginItem.enabled, click: actions.toggleOpenAtLogin });
  items.push(
    { label: 'Install the snapctl command…', click: actions.linkCli },
    { type: 'separator' },
    quit,
  );
  return items;
}

/** The tray tooltip: how old the newest snapshot is, so a stale schedule shows without opening anything. */
export function trayTooltip(newest: SnapshotRecord | null, paused: boolean, now: number = Date.now()): string {
  const age = newest ? `last snapshot ${relativeTime(newest.createdAt, now)}` : 'no snapshot yet';
  return `snapctl: ${age}${paused ? ' (schedule paused)' : ''}`;
}
