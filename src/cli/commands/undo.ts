import type { Command } from 'commander';
import { SnapctlError, usageError } from '../../core/base/errors.js';
import { snapshotLabel } from '../../core/service/labels.js';
import type { CommandContext } from '../context.js';
import { countsText } from '../format.js';

interface UndoOptions { path?: string; yes?: boolean; json?: boolean }

export function registerUndo(program: Command, ctx: CommandContext): void {
  const { io } = ctx;
  program.command('undo')
    .description('revert the last rollback of a folder (or give up one that stopped part way), restoring the state just before it; a rollback already undone is left as it is (exit 0)')
    .option('-p, --path <dir>', 'the last rollback of this folder (default: the last rollback of any folder)')
    .option('-y, --yes', 'do not ask for confirmation')
    .option('--json', 'print the result as JSON')
    .action(async (o: UndoOptions) => {
      const target = o.path !== undefined ? await ctx.knownTarget(o.path) : undefined;
      if (!o.yes) {
        if (!io.isInteractive) throw usageError('undo changes files and needs confirmation', 'pass --yes to undo without a prompt');
        const last = await ctx.core().lastRollback();
        const folder = target ?? last?.target;
        if (!(await io.confirm(`undo the last rollback${folder ? ` of ${folder}` : ''}?`))) { io.stdout('nothing changed\n'); return; }
      }
      let result;
      try {
        result = await ctx.core().undo(target ? { target } : {});
      } catch (err) {
        // Already undone: the folder is as the script wants it, so this is no failure (exit 0), and said so.
        if (err instanceof SnapctlError && err.kind === 'nothing-to-do') {
          if (o.json) ctx.json({ alreadyUndone: true, message: err.message });
          else io.stdout(`${err.message}; nothing was changed\n`);
          return;
        }
        throw err;
      }
      if (o.json) ctx.json(result);
      else if (result.nothingToChange || !result.safety) io.stdout(`nothing to change: the folder already matches ${snapshotLabel(result.snapshot)}, the state before the rollback\n`);
      else io.stdout(`undid the rollback of ${result.snapshot.target}: the folder is back as it was before it (${countsText(result.restored)}); the undone state is kept as ${result.safety.id}\n`);
    });
}
