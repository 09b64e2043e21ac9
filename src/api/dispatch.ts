import { apiRequestSchemas } from '../shared/api-schemas.js';
import type { ApiMethod, ApiResult } from '../shared/api.js';
import { SnapctlError, describeError } from '../core/base/errors.js';
import { handlers, type DispatchContext } from './handlers.js';
import { requestProblem } from './request-errors.js';

export type { DispatchContext };

function isApiMethod(method: unknown): method is ApiMethod {
  return typeof method === 'string' && Object.hasOwn(apiRequestSchemas, method);
}

/**
 * Runs one API call from an untrusted sender (IPC or HTTP): the method must exist, the params must match
 * its schema, and every failure becomes an error message instead of an exception crossing the boundary.
 */
export async function dispatch(ctx: DispatchContext, method: unknown, params: unknown): Promise<ApiResult<ApiMethod>> {
  if (!isApiMethod(method)) {
    // Never String() an untrusted value: an object can make that throw (found by the API fuzzer).
    const shown = typeof method === 'string' ? JSON.stringify(method.slice(0, 40)) : `of type ${method === null ? 'null' : typeof method}`;
    return { ok: false, kind: 'usage', error: `unknown method ${shown}` };
  }
  return call(ctx, method, params);
}

async function call<M extends ApiMethod>(ctx: DispatchContext, method: M, params: unknown): Promise<ApiResult<M>> {
  const schema = apiRequestSchemas[method];
  const parsed = schema.safeParse(params ?? {});
  if (!parsed.success) return { ok: false, kind: 'usage', error: requestProblem(method, schema, params ?? {}, parsed.error.issues) };
  try {
    return { ok: true, value: await handlers[method](ctx, parsed.data) };
  } catch (err) {
    return { ok: false, kind: err instanceof SnapctlError ? err.kind : 'failed', error: describeError(err) };
  }
}
