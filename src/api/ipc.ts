import type { IpcMain, IpcMainInvokeEvent, WebFrameMain } from 'electron';
import { dispatch, type DispatchContext } from './dispatch.js';
import { IPC_CHANNEL, type ApiMethod, type ApiResult } from '../shared/api.js';

/** True when an IPC message comes from the popover page itself, not an iframe or a page it navigated to. */
export function isTrustedSender(frame: Pick<WebFrameMain, 'url' | 'parent'> | null | undefined, appUrl: string): boolean {
  if (!frame || frame.parent !== null) return false;
  try {
    const url = new URL(frame.url);
    const expected = new URL(appUrl);
    return url.protocol === expected.protocol && url.host === expected.host && url.pathname === expected.pathname;
  } catch {
    return false;
  }
}

/**
 * The one IPC channel: the sender must be the popover page, and the call is validated against the shared
 * contract by `dispatch` before the core sees it.
 */
export function handleApiCall(ctx: DispatchContext, appUrl: string, event: Pick<IpcMainInvokeEvent, 'senderFrame'>, method: unknown, params: unknown): Promise<ApiResult<ApiMethod>> {
  if (!isTrustedSender(event.senderFrame, appUrl)) {
    return Promise.resolve({ ok: false, kind: 'forbidden', error: 'this window may not call snapctl' });
  }
  return dispatch(ctx, method, params);
}

export function registerApi(ipcMain: Pick<IpcMain, 'handle'>, ctx: DispatchContext, appUrl: string): void {
  ipcMain.handle(IPC_CHANNEL, (event, method: unknown, params: unknown) => handleApiCall(ctx, appUrl, event, method, params));
}
