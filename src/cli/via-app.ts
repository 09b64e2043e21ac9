import { SnapctlError } from '../core/base/errors.js';
import { createSnapshot, type CreatedRecord, type CreateOptions } from '../core/service/create.js';
import { previewRollback } from '../core/service/preview.js';
import { rollback, undo } from '../core/service/rollback.js';
import { resolveFolder } from '../core/service/queries.js';
import type { DiffView, RollbackView } from '../shared/api.js';
import type { CreateProgress } from '../shared/model.js';
import type { AppClient } from './app-client.js';
import type { StatusView, TargetStatus } from '../shared/api.js';
import type { CommandContext } from './context.js';

/**
 * The use cases the CLI hands to the running app when one answers for its state folder (the tray app or
 * `snapctl serve`: its path index and change journal are warm, and Node has started already), and runs itself
 * otherwise, with the same results, errors and notices either way. The app sends its own metrics; the
 * command's own service sees nothing of a call the app ran, so nothing is counted twice.
 */

const clients = new WeakMap<CommandContext, Promise<AppClient | string>>();

/** The app answering for this command's state folder, or why none does (asked once per command). */
export async function appFor(ctx: CommandContext): Promise<AppClient | string> {
  let client = clients.get(ctx);
  const open = client && (await client);
  if (!client || (typeof open !== 'string' && open?.isClosed)) {
    // Loaded only by the commands that may use it: `snapctl list` loads no socket code.
    client = import('./app-client.js').then(({ AppClient }) => AppClient.connect(ctx.io.env, ctx.core().layout.root));
    clients.set(ctx, client);
  }
  return client;
}

/** Runs `call` through the app; null when the app did not take it (none answers, it refused): run it here. */
async function throughApp<T>(ctx: CommandContext, call: (app: AppClient) => Promise<unknown>, gone: (() => Error) | null): Promise<{ value: T } | null> {
  const app = await appFor(ctx);
  if (typeof app === 'string') return null;
  const { AppRefused, AppGone } = await import('./app-client.js');
  try {
    return { value: (await call(app)) as T };
  } catch (err) {
    if (err instanceof AppRefused) return null;
    if (err instanceof AppGone) {
      if (gone) throw gone();
      return null;
    }
    throw err;
  }
}

const takeNotices = (ctx: CommandContext) => (notices: string[]): void => { ctx.core().notices.push(...notices); };

/**
 * `createSnapshot`, with `onProgress` told how far it has got (its safety snapshots' progress is not this
 * snapshot's). A create the app was taking when it went away is taken here instead: the one it left is
 * finished or removed by the next command, as any killed create.
 */
export async function createVia(ctx: CommandContext, options: CreateOptions, onProgress?: (p: CreateProgress) => void): Promise<CreatedRecord> {
  // The folder named as this process names it (its working directory): the app is given the real path. A
  // folder that cannot be resolved is left to the core here, which says why in the order it checks.
  const target = await resolveFolder(ctx.core(), options.path).catch(() => null);
  if (target !== null) {
    const params = { target, tag: options.tag ?? null, trigger: options.trigger ?? 'manual', provider: options.provider ?? 'auto', note: options.note ?? null, exclude: [...(options.exclude ?? [])] };
    const onEvent = onProgress && ((e: { trigger: string; progress: CreateProgress }): void => { if (e.trigger !== 'safety') onProgress(e.progress); });
    const done = await throughApp<CreatedRecord>(ctx, (app) => app.call('create', params, { ...(onEvent ? { onEvent } : {}), notices: takeNotices(ctx) }), null);
    if (done) return done.value;
  }
  const stop = onProgress ? ctx.core().onEvent((e) => { if (e.type === 'snapshot-progress' && e.trigger !== 'safety') onProgress(e.progress); }) : () => undefined;
  try {
    return await createSnapshot(ctx.core(), options);
  } finally {
    stop();
  }
}

/** `previewRollback`: what a rollback to `id` would do (read only: a preview the app dropped is made here). */
export async function previewVia(ctx: CommandContext, id: string, paths: string[] | null, options: { keepGit: boolean; undoing?: string }): Promise<DiffView> {
  const done = await throughApp<DiffView>(ctx, (app) => app.call('diff', { id, paths, keepGit: options.keepGit, ...(options.undoing !== undefined ? { undoing: options.undoing } : {}) }, { notices: takeNotices(ctx) }), null);
  if (done) return done.value;
  return previewRollback(ctx.core(), id, paths, options);
}

/** The app went away during a rollback or undo: the folder's state says what happened, not a second attempt. */
const stoppedDuring = (what: string, folder: string | undefined) => (): Error =>
  new SnapctlError('failed', `the snapctl app stopped during the ${what}, before it said how it ended`,
    `'snapctl status${folder ? ` --path ${folder}` : ''}' says whether it finished and what to run`);

/** `keepGit` unsaid: the folder's setting, which the app knows already (the CLI then need not read the settings). */
export async function rollbackVia(ctx: CommandContext, id: string, options: { paths: string[] | null; keepGit: boolean | undefined; target: string }): Promise<RollbackView> {
  const { paths, keepGit } = options;
  const done = await throughApp<RollbackView>(ctx, (app) => app.call('rollback', { id, paths, ...(keepGit !== undefined ? { keepGit } : {}) }, { notices: takeNotices(ctx) }), stoppedDuring('rollback', options.target));
  if (done) return done.value;
  return rollback(ctx.core(), id, { paths, keepGit: keepGit ?? await keepGitSetting(ctx, options.target) });
}

/** The folder's keepGit setting: what a rollback or preview that does not say does. */
export async function keepGitSetting(ctx: CommandContext, target: string): Promise<boolean> {
  return (await ctx.settings()).targets.find((t) => t.path === target)?.keepGit ?? false;
}

export async function undoVia(ctx: CommandContext, options: { target?: string }): Promise<RollbackView> {
  const done = await throughApp<RollbackView>(ctx, (app) => app.call('undo', options.target !== undefined ? { target: options.target } : {}, { notices: takeNotices(ctx) }), stoppedDuring('undo', options.target));
  if (done) return done.value;
  return undo(ctx.core(), options);
}

/** Whether an app answers for this state folder, for `snapctl status`: its process, or why none does. */
export async function appStatus(ctx: CommandContext): Promise<{ answering: true; pid: number; folders: Pick<TargetStatus, 'path' | 'changes' | 'unchangedSince'>[] } | { answering: false; why: string }> {
  const app = await appFor(ctx);
  if (typeof app === 'string') return { answering: false, why: app };
  // What only the app knows of each folder: whether it tracks its changes, or walks it and why.
  const view = await app.call('status', {}, { notices: () => undefined }).catch(() => null) as StatusView | null;
  const folders = (view?.targets ?? []).map((t) => ({ path: t.path, ...(t.changes ? { changes: t.changes } : {}), ...(t.unchangedSince ? { unchangedSince: t.unchangedSince } : {}) }));
  return { answering: true, pid: app.hello.pid, folders };
}
