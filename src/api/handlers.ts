import { stat } from 'node:fs/promises';
import nodePath from 'node:path';
import type { ApiMethod, ApiRequest, ApiResponses, StatusView, TargetStatus } from '../shared/api.js';
import { installLayout } from '../core/base/install.js';
import { SnapctlError, describeError, usageError } from '../core/base/errors.js';
import type { SnapctlRuntime } from '../core/runtime/runtime.js';
import { targetStatuses } from '../core/runtime/target-status.js';
import { checkSchedule } from '../core/state/schedule-expression.js';
import { createSnapshot } from '../core/service/create.js';
import { deleteSnapshot } from '../core/service/delete.js';
import { listView } from '../core/service/listing.js';
import { journalAnswer } from '../core/service/preview.js';
import { getSnapshot, knownFolder, lastRollback, providerChoice } from '../core/service/queries.js';
import { retryRollback } from '../core/service/recovery.js';
import { rollback, undo } from '../core/service/rollback.js';
import { reconcile } from '../core/service/verify.js';

export interface DispatchContext {
  runtime: SnapctlRuntime;
  host: StatusView['host'];
  /** The shell applies what only it can (e.g. the login item) after settings change. */
  onSettingsSaved?: (settings: ApiResponses['setSettings']) => void;
}

/** One handler per API method, typed by the shared contract; params arrive already validated. */
export type ApiHandlers = { [M in ApiMethod]: (ctx: DispatchContext, params: ApiRequest<M>) => Promise<ApiResponses[M]> };

/** A folder's keepGit setting, the default of a rollback or preview that does not say. */
function keepGitOf(runtime: SnapctlRuntime, target: string): boolean {
  return runtime.currentSettings().targets.find((t) => t.path === target)?.keepGit ?? false;
}

export const handlers: ApiHandlers = {
  status,
  async list({ runtime }, { target }) {
    // A failure to ask the OS which snapshots still exist must not hide the list; it is reported instead.
    await reconcile(runtime.service).catch((err: unknown) => runtime.reportProblem(`could not check which snapshots still exist: ${describeError(err)}`));
    // Named as the CLI names it: 'dir/', 'dir/./' and a link to it are the folder the snapshots record.
    const folder = target === undefined ? undefined : await knownFolder(runtime.service, target).catch(() => nodePath.resolve(target));
    return listView(runtime.service, folder);
  },
  async create({ runtime }, { target, tag, trigger, provider, note, exclude }) {
    const targets = runtime.currentSettings().targets;
    const path = target ?? targets[0]?.path;
    if (!path) throw new SnapctlError('usage', 'no folder to snapshot yet', 'add a folder in Settings');
    const chosen = provider ?? targets.find((t) => t.path === path)?.provider ?? 'clone';
    return createSnapshot(runtime.service, { path, tag: tag ?? null, trigger: trigger ?? 'manual', provider: chosen, note: note ?? null, exclude: exclude ?? [] });
  },
  delete: ({ runtime }, { id, undoLossConfirmed }) => deleteSnapshot(runtime.service, id, { undoLossConfirmed: undoLossConfirmed === true }),
  // The long queries run in worker threads (runtime.queries): a large folder's never holds up another request.
  async diff({ runtime }, { id, paths, keepGit, undoing }) {
    const record = await getSnapshot(runtime.service, id);
    // The worker has no change journal: the app's is asked here, so the preview lists instead of walking.
    const journal = await journalAnswer(runtime.service, record).catch(() => null);
    return runtime.queries.run({ method: 'diff', args: { id, paths: paths ?? null, keepGit: keepGit ?? keepGitOf(runtime, record.target), journal, ...(undoing !== undefined ? { undoing } : {}) } });
  },
  fileDiff: ({ runtime }, { id, path }) => runtime.queries.run({ method: 'fileDiff', args: { id, path } }),
  async rollback({ runtime }, { id, paths, keepGit }) {
    const record = await getSnapshot(runtime.service, id);
    return rollback(runtime.service, id, { paths: paths ?? null, keepGit: keepGit ?? keepGitOf(runtime, record.target) });
  },
  undo: async ({ runtime }, { target }) => undo(runtime.service, target ? { target: await knownFolder(runtime.service, target) } : {}),
  async retry(ctx, { target }) {
    const folder = await knownFolder(ctx.runtime.service, target);
    // Stopping again is the folder's state, not a failed call: its status says why (unfinished.error).
    await retryRollback(ctx.runtime.service, folder).catch(() => undefined);
    return statusOf(ctx, folder);
  },
  progress: async ({ runtime }) => ({ taking: runtime.service.inProgress() }),
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
    const st = await stat(path).catch(() => null);
    if (!st) throw usageError(`the folder ${path} does not exist`, 'choose a folder that exists');
    if (!st.isDirectory()) throw usageError(`${path} is not a folder`, 'choose a folder');
    const choice = await providerChoice(runtime.service, path);
    return { target: choice.target, chosen: choice.chosen, reports: choice.reports.map((r) => ({ name: r.name, usable: r.usable, reason: r.reason })) };
  },
  checkSchedule: async (_ctx, { schedule }) => checkSchedule(schedule),
  async searchFiles({ runtime }, { target, query }) {
    const folder = await knownFolder(runtime.service, target);
    const found = await runtime.queries.run({ method: 'find', args: { target: folder, query, limit: SEARCH_LIMIT } });
    return { target: folder, query, total: found.total, skipped: found.skipped, matches: found.matches };
  },
  fileHistory: async ({ runtime }, { target, path }) => runtime.queries.run({ method: 'history', args: { target: await knownFolder(runtime.service, target), path } }),
  async restoreFile({ runtime }, { id, path, to }) {
    const record = await getSnapshot(runtime.service, id);
    if (to !== undefined) {
      // Beside the file, inside the folder, never over anything: the popover offers no --force. A file whose
      // folder is gone too gets its copy at the top of the folder rather than no copy at all.
      const beside = `${record.target}/${to}`;
      const dest = (await stat(nodePath.dirname(beside)).catch(() => null))?.isDirectory() ? beside : `${record.target}/${nodePath.basename(to)}`;
      return { kind: 'copy', ...(await runtime.service.history.restoreTo(record, path, dest, { force: false, within: record.target })) };
    }
    return { kind: 'in-place', rollback: await rollback(runtime.service, id, { paths: [path], keepGit: keepGitOf(runtime, record.target) }) };
  },
};

/** As many matches as a search shows; the count says how many more there are. */
const SEARCH_LIMIT = 300;

async function targetsOf({ runtime }: DispatchContext): Promise<TargetStatus[]> {
  const next = new Map(runtime.scheduler.nextRuns().map((r) => [r.target, r.next]));
  return targetStatuses(runtime.service, runtime.currentSettings(), { nextRun: (t) => next.get(t.path) ?? null, problemsOf: (p) => runtime.problemsOf(p), unlisted: true, changesOf: (p) => runtime.changesOf(p) });
}

async function statusOf(ctx: DispatchContext, target: string): Promise<TargetStatus> {
  const found = (await targetsOf(ctx)).find((t) => t.path === target);
  if (!found) throw new SnapctlError('not-found', `snapctl knows nothing of the folder ${target}`, 'add it in Settings');
  return found;
}

async function status(ctx: DispatchContext): Promise<StatusView> {
  const { runtime } = ctx;
  const settings = runtime.currentSettings();
  return {
    version: installLayout().version,
    home: runtime.service.layout.root,
    targets: await targetsOf(ctx),
    schedulePaused: settings.schedulePaused,
    problems: runtime.allProblems(),
    lastRollback: await lastRollback(runtime.service),
    metrics: await runtime.metricsHealth(),
    host: ctx.host,
    onboarded: settings.onboarded,
  };
}
