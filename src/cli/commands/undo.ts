import type { Command } from 'commander';
import { SnapctlError, usageError } from '../../core/base/errors.js';
import { snapshotLabel } from '../../core/service/labels.js';
import type { CommandContext } from '../context.js';
import { undoneText } from '../../shared/format.js';
import { countsText, rollbackPreview, shown, shownPath } from '../format.js';
import { getSnapshot, lastRollback } from '../../core/service/queries.js';
import { previewVia, undoVia } from '../via-app.js';
import { undoLost, undoOffer, unfinished } from '../../core/service/status.js';

interface UndoOptions { path?: string; yes?: boolean; json?: boolean }

/**
 * What an undo will do, before it is asked for: the rollback it undoes, the safety snapshot it restores, and
 * the preview of restoring it (in the rollback's words and counts).
 */
async function undoPreview(ctx: CommandContext, folder: string): Promise<string> {
  const core = ctx.core();
  const pending = await unfinished(core, folder);
  const offer = pending ? null : await undoOffer(core, folder);
  const safetyId = pending?.safetyId ?? offer?.rollback.safetyId;
  if (safetyId === undefined) return '';
  const safety = await getSnapshot(core, safetyId).catch(() => null);
  if (!safety) return '';
  const paths = pending ? null : offer?.rollback.paths ?? null;
  const keepGit = offer?.rollback.keepGit ?? false;
  const undoing = pending?.snapshotId ?? offer?.rollback.snapshotId;
  const view = await previewVia(ctx, safety.id, paths, { keepGit, ...(undoing !== undefined ? { undoing } : {}) });
  const what = pending ? shown`the rollback to ${pending.snapshotLabel} that stopped part way` : shown`the last rollback (${offer?.label ?? ''})`;
  return shown`undo of ${what} restores ${folder} to ${snapshotLabel(safety)} (${safety.id})` + `\n${rollbackPreview(view, 'undoing')}`;
}

export function registerUndo(program: Command, ctx: CommandContext): void {
  const { io } = ctx;
  program.command('undo')
    .description('revert the last rollback of a folder (or give up one that stopped part way), restoring the state just before it; a rollback already undone is left as it is (exit 0)')
    .option('-p, --path <dir>', 'the last rollback of this folder (default: the last rollback of any folder)')
    .option('-y, --yes', 'do not ask for confirmation')
    .option('--json', 'print the result as JSON')
    .action(async (o: UndoOptions) => {
      const target = o.path !== undefined ? await ctx.knownTarget(o.path) : undefined;
      const folder = target ?? (await lastRollback(ctx.core()))?.target;
      // An undo whose safety snapshot is gone is refused by the core, saying so: nothing to preview or confirm.
      const lost = folder !== undefined && (await undoLost(ctx.core(), folder)) !== null;
      if (!o.yes && !lost) {
        if (!io.isInteractive) throw usageError('undo changes files and needs confirmation', 'pass --yes to undo without a prompt');
        if (folder !== undefined) io.stdout(await undoPreview(ctx, folder));
        if (!(await io.confirm(shown`undo the last rollback${folder ? shown` of ${folder}` : ''}?`))) { io.stdout('nothing changed\n'); return; }
      }
      let result;
      try {
        result = await undoVia(ctx, target ? { target } : {});
      } catch (err) {
        // Already undone: the folder is as the script wants it, so this is no failure (exit 0), and said so.
        if (err instanceof SnapctlError && err.kind === 'nothing-to-do') {
          if (o.json) ctx.json({ alreadyUndone: true, message: err.message });
          else io.stdout(shown`${err.message}; nothing was changed\n`);
          return;
        }
        throw err;
      }
      if (o.json) ctx.json(result);
      else if (result.nothingToChange || !result.safety) io.stdout(shown`nothing to change: the folder already matches ${snapshotLabel(result.snapshot)}, the state before the rollback\n`);
      else io.stdout(shown`undone in ${result.snapshot.target}: ${undoneText(result.paths, shownPath)} (${countsText(result.restored)}); the undone state is kept as ${result.safety.id}\n`);
    });
}
