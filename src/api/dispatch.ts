import { apiRequestSchemas } from '../shared/api-schemas.js';
import { type ApiMethod, type ApiResponses, type ApiResult, type StatusView } from '../shared/api.js';
import { SnapctlError, describeError } from '../core/base/errors.js';
import { installLayout } from '../core/base/install.js';
import type { SnapctlRuntime } from '../core/runtime/runtime.js';


export interface DispatchContext {
  runtime: SnapctlRuntime;
  host: StatusView['host'];
  /** The shell applies what only it can (e.g. the login item) after settings change. */
  onSettingsSaved?: (settings: ApiResponses['setSettings']) => void;
}

/**
 * Runs one API call from an untrusted sender (IPC or HTTP): the method must exist, the params must match
 * its schema, and every failure becomes an error message instead of an exception crossing the boundary.
 */
export async function dispatch(ctx: DispatchContext, method: unknown, params: unknown): Promise<ApiResult<ApiMethod>> {
  if (typeof method !== 'string' || !Object.hasOwn(apiRequestSchemas, method)) {
    // Never String() an untrusted value: an object can make that throw (found by the API fuzzer).
    const shown = typeof method === 'string' ? JSON.stringify(method.slice(0, 40)) : `of type ${method === null ? 'null' : typeof method}`;
    return { ok: false, kind: 'usage', error: `unknown method ${shown}` };
  }
  const m = method as ApiMethod;
  const parsed = apiRequestSchemas[m].safeParse(params ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { ok: false, kind: 'usage', error: `invalid ${m} request: ${issue?.path.join('.') || 'params'}: ${issue?.message ?? 'invalid'}` };
  }
  try {
    return { ok: true, value: await run(ctx, m, parsed.data as Record<string, unknown>) };
  } catch (err) {
    return { ok: false, kind: err instanceof SnapctlError ? err.kind : 'failed', error: describeError(err) };
  }
}

async function run(ctx: DispatchContext, method: ApiMethod, p: Record<string, unknown>): Promise<ApiResponses[ApiMethod]> {
  const { runtime } = ctx;
  const service = runtime.service;
  switch (method) {
    case 'status': return status(ctx);
    case 'list': {
      // A failure to ask the OS which snapshots still exist must not hide the list; it is reported instead.
      await service.reconcile().catch((err: unknown) => runtime.reportProblem(`could not check which snapshots still exist: ${describeError(err)}`));
      return service.list();
    }
    case 'create': {
      const target = (p['target'] as string | undefined) ?? runtime.currentSettings().targets[0]?.path;
      if (!target) throw new SnapctlError('usage', 'no folder to snapshot yet', 'add a folder in Settings');
      const provider = runtime.currentSettings().targets.find((t) => t.path === target)?.provider ?? 'clone';
      return service.create({ path: target, tag: (p['tag'] as string | null | undefined) ?? null, trigger: 'manual', provider });
    }
    case 'delete': return service.delete(p['id']);
    case 'diff': return service.diff(p['id'], (p['paths'] as string[] | null | undefined) ?? null);
    case 'rollback': return service.rollback(p['id'], { paths: (p['paths'] as string[] | null | undefined) ?? null });
    case 'undo': return service.undo(p['target'] ? { target: p['target'] as string } : {});
    case 'getSettings': return runtime.currentSettings();
    case 'setSettings': {
      const saved = await runtime.updateSettings(p['settings']);
      ctx.onSettingsSaved?.(saved);
      return saved;
    }
    case 'detect': {
      const choice = await service.info(p['path'] as string);
      return { target: choice.target, chosen: choice.chosen, reports: choice.reports.map((r) => ({ name: r.name, usable: r.usable, reason: r.reason })) };
    }
    case 'setPaused': {
      await runtime.updateSettings({ ...runtime.currentSettings(), schedulePaused: p['paused'] as boolean });
      return status(ctx);
    }
  }
}

async function status(ctx: DispatchContext): Promise<StatusView> {
  const { runtime } = ctx;
  const settings = runtime.currentSettings();
  const next = new Map(runtime.scheduler.nextRuns().map((r) => [r.target, r.next]));
  return {
    version: installLayout().version,
    home: runtime.service.layout.root,
    targets: settings.targets.map((t) => ({ path: t.path, schedule: t.schedule, provider: t.provider, paused: t.paused, nextRun: next.get(t.path)?.toISOString() ?? null })),
    schedulePaused: settings.schedulePaused,
    problems: [...runtime.problems],
    lastRollback: await runtime.service.lastRollback(),
    metrics: runtime.metrics.health(),
    host: ctx.host,
    onboarded: settings.onboarded,
  };
}
