import type { ApiMethod, ApiRequest, ApiResponses, StatusView } from '../shared/api.js';
import { installLayout } from '../core/base/install.js';
import { SnapctlError, describeError } from '../core/base/errors.js';
import type { SnapctlRuntime } from '../core/runtime/runtime.js';

export interface DispatchContext {
  runtime: SnapctlRuntime;
  host: StatusView['host'];
  /** The shell applies what only it can (e.g. the login item) after settings change. */
  onSettingsSaved?: (settings: ApiResponses['setSettings']) => void;
}

/** One handler per API method, typed by the shared contract; params arrive already validated. */
export type ApiHandlers = { [M in ApiMethod]: (ctx: DispatchContext, params: ApiRequest<M>) => Promise<ApiResponses[M]> };

export const handlers: ApiHandlers = {
  status,
  async list({ runtime }) {
    // A failure to ask the OS which snapshots still exist must not hide the list; it is reported instead.
    await runtime.service.reconcile().catch((err: unknown) => runtime.reportProblem(`could not check which snapshots still exist: ${describeError(err)}`));
    return runtime.service.list();
  },
  async create({ runtime }, { target, tag }) {
    const targets = runtime.currentSettings().targets;
    const path = target ?? targets[0]?.path;
    if (!path) throw new SnapctlError('usage', 'no folder to snapshot yet', 'add a folder in Settings');
    const provider = targets.find((t) => t.path === path)?.provider ?? 'clone';
    return runtime.service.create({ path, tag: tag ?? null, trigger: 'manual', provider });
  },
  delete: ({ runtime }, { id }) => runtime.service.delete(id),
  diff: ({ runtime }, { id, paths }) => runtime.service.diff(id, paths ?? null),
  rollback: ({ runtime }, { id, paths }) => runtime.service.rollback(id, { paths: paths ?? null }),
  undo: ({ runtime }, { target }) => runtime.service.undo(target ? { target } : {}),
  getSettings: async ({ runtime }) => runtime.currentSettings(),
  async setSettings(ctx, { settings }) {
    const saved = await ctx.runtime.updateSettings(settings);
    ctx.onSettingsSaved?.(saved);
    return saved;
  },
  async setPaused(ctx, { paused }) {
    await ctx.runtime.updateSettings({ ...ctx.runtime.currentSettings(), schedulePaused: paused });
    return status(ctx);
  },
  async detect({ runtime }, { path }) {
    const choice = await runtime.service.info(path);
    return { target: choice.target, chosen: choice.chosen, reports: choice.reports.map((r) => ({ name: r.name, usable: r.usable, reason: r.reason })) };
  },
};

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
