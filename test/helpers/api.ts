import assert from 'node:assert/strict';
import { dispatch, type DispatchContext } from '../../src/api/dispatch.js';
import type { ApiMethod, ApiResponses, ApiResult } from '../../src/shared/api.js';

/**
 * Calls API methods through the real dispatch (validation included), as the popover's transport does.
 * `context` is read at each call, so a describe can make its runtime in `before`.
 */
export function apiCaller(context: () => DispatchContext): {
  call: <M extends ApiMethod>(method: M, params: unknown) => Promise<ApiResult<M>>;
  ok: <M extends ApiMethod>(method: M, params: unknown) => Promise<ApiResponses[M]>;
} {
  const call = async <M extends ApiMethod>(method: M, params: unknown): Promise<ApiResult<M>> => (await dispatch(context(), method, params)) as ApiResult<M>;
  const ok = async <M extends ApiMethod>(method: M, params: unknown): Promise<ApiResponses[M]> => {
    const r = await call(method, params);
    if (!r.ok) assert.fail(`${method}: ${r.error}`);
    return r.value;
  };
  return { call, ok };
}
