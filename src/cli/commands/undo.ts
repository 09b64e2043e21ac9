import type { Command } from 'commander';
import { usageError } from '../../core/base/errors.js';
import type { CommandContext } from '../context.js';

interface UndoOptions { path?: string; yes?: boolean; json?: boolean }

export function registerUndo(program: Command, ctx: CommandContext): void {
  const { io } = ctx;
  program.command('undo')
    .description('revert the last rollback, restoring the state just before it')
    .option('-p, --path <dir>', 'the last rollback of this folder')
    .option('-y, --yes', 'do not ask for confirmation')
    .option('--json', 'print the result as JSON')
    .action(async (o: UndoOptions) => {
      const target = await ctx.targetOf(o.path);
      if (!o.yes) {
        if (!io.isInteractive) throw usageError('undo changes files and needs confirmation', 'pass --yes to undo without a prompt');
        const last = await ctx.core().lastRollback();
        if (!(await io.confirm(`undo the last rollback${last ? ` of ${last.target}` : ''}?`))) { io.stdout('nothing changed\n'); return; }
      }
      const result = await ctx.core().undo(target ? { target } : {});
      if (o.json) ctx.json(result);
      else io.stdout(`restored ${result.snapshot.target} to the state before the last rollback (${result.snapshot.id}); the undone state is kept as ${result.safety.id}\n`);
    });
}
