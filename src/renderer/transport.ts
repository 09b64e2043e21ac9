import { HTTP_API_PATH, type ApiCall, type ApiMethod, type ApiRequest, type ApiResult } from '../shared/api.js';
import { popoverWords } from './popoverWords.js';

declare global {
  interface Window {
    /** Set by the Electron preload; absent when the popover is served headless. */
    snapctl?: { call: ApiCall };
  }
}

/**
 * IPC through the preload inside the tray app, HTTP to `snapctl serve` in a browser. Every refusal comes out in
 * the popover's words (popoverWords.ts), here once, so no screen shows the CLI's advice.
 */
export function createTransport(): ApiCall {
  const raw = window.snapctl?.call ?? httpCall;
  return async <M extends ApiMethod>(method: M, params: ApiRequest<M>): Promise<ApiResult<M>> => {
    const r = await raw(method, params);
    return r.ok ? r : { ...r, error: popoverWords(r.error) };
  };
}

const httpCall: ApiCall = async <M extends ApiMethod>(method: M, params: ApiRequest<M>): Promise<ApiResult<M>> => {
  let res: Response;
  try {
    res = await fetch(HTTP_API_PATH, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ method, params }),
      credentials: 'same-origin',
    });
  } catch {
    return { ok: false, kind: 'offline', error: 'snapctl is not answering: is `snapctl serve` still running?' };
  }
  if (res.status === 401) return { ok: false, kind: 'auth', error: 'this page has no valid token: open the URL that `snapctl serve` printed' };
  try {
    return (await res.json()) as ApiResult<M>;
  } catch {
    return { ok: false, kind: 'failed', error: `snapctl answered ${res.status} without a result` };
  }
};
