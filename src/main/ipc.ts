import type { IpcMain, IpcMainInvokeEvent } from 'electron';
import { dispatch, type DispatchContext } from '../core/api-dispatch.js';
import { IPC_CHANNEL, type ApiMethod, type ApiResult } from '../shared/api.js';
import { isTrustedSender } from './security.js';

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
