import { apiRequestSchemas } from '../shared/api-schemas.js';
import type { ApiMethod, ApiResponses, ApiResult } from '../shared/api.js';
import { SnapctlError, describeError } from '../core/base/errors.js';
import { handlers, type DispatchContext } from './handlers.js';
import { requestProblem } from './request-errors.js';

export type { DispatchContext };

function isApiMethod(method: unknown): method is ApiMethod {
  return typeof method === 'string' && Object.hasOwn(apiRequestSchemas, method);
}

/** A request that passed the checks, ready to run; or why it was refused (the core never saw it). */
export type CheckedRequest = { ok: true; method: ApiMethod; run: (ctx: DispatchContext) => Promise<ApiResponses[ApiMethod]> } | { ok: false; error: string };

/**
 * The checks every untrusted sender's call (IPC, HTTP, the app's socket) passes before the core sees it: the
 * method must exist and the params must match its schema.
 */
export function checkRequest(method: unknown, params: unknown): CheckedRequest {
  if (!isApiMethod(method)) {
    // Never String() an untrusted value: an object can make that throw (found by the API fuzzer).
    const shown = typeof method === 'string' ? JSON.stringify(method.slice(0, 40)) : `of type ${method === null ? 'null' : typeof method}`;
    return { ok: false, error: `unknown method ${shown}` };
  }
  return checkParams(method, params);
}

function checkParams<M extends ApiMethod>(method: M, params: unknown): CheckedRequest {
  const schema = apiRequestSchemas[method];
  const parsed = schema.safeParse(params ?? {});
  if (!parsed.success) return { ok: false, error: requestProblem(method, schema, params ?? {}, parsed.error.issues) };
  return { ok: true, method, run: (ctx) => handlers[method](ctx, parsed.data) };
}

/**
 * Runs one API call from an untrusted sender (IPC or HTTP): the method must exist, the params must match
 * its schema, and every failure becomes an error message instead of an exception crossing the boundary.
 */
export async function dispatch(ctx: DispatchContext, method: unknown, params: unknown): Promise<ApiResult<ApiMethod>> {
  const checked = checkRequest(method, params);
  if (!checked.ok) return { ok: false, kind: 'usage', error: checked.error };
  try {
    return { ok: true, value: await checked.run(ctx) };
  } catch (err) {
    return { ok: false, kind: err instanceof SnapctlError ? err.kind : 'failed', error: describeError(err) };
  }
}
