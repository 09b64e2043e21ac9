import type { Command } from 'commander';
import { usageError } from '../../core/base/errors.js';
import { scopeWithin } from '../../core/service/targets.js';
import type { CommandContext } from '../context.js';
import { rollbackPreview, shownPath } from '../format.js';

interface RollbackOptions { only?: string[]; yes?: boolean; json?: boolean }

export function registerRollback(program: Command, ctx: CommandContext): void {
  const { io } = ctx;
  program.command('rollback')
    .description('restore a folder (or some paths in it) to a snapshot; the current state is kept first, so it can be undone')
    .argument('<id>', 'snapshot id')
    .option('--only <paths...>', 'restore only these paths inside the folder')
    .option('-y, --yes', 'do not ask for confirmation')
    .option('--json', 'print the result as JSON (it names the safety snapshot)')
    .action(async (id: string, o: RollbackOptions) => {
      const record = await ctx.core().get(id);
      const paths = scopeWithin(record.target, o.only ?? [], io.cwd);
      if (!o.yes) {
        if (!io.isInteractive) throw usageError('rollback changes files and needs confirmation', 'pass --yes to roll back without a prompt');
        io.stdout(rollbackPreview(await ctx.core().diff(id, paths)));
        if (!(await io.confirm(`roll back ${record.target} to ${record.id}?`))) { io.stdout('nothing changed\n'); return; }
      }
      const result = await ctx.core().rollback(id, { paths });
      if (o.json) ctx.json(result);
      else io.stdout(`rolled back ${result.snapshot.target} to ${result.snapshot.id} (${result.restored.written} written, ${result.restored.removed} removed); undo with 'snapctl undo' (safety snapshot ${result.safety.id})\n`);
      if (result.restored.kept.length > 0) {
        io.stderr(`snapctl: ${result.restored.kept.length} path(s) left as they were: the safety snapshot could not hold them, so undo could not bring them back:\n`);
        for (const p of result.restored.kept.slice(0, 20)) io.stderr(`  ${shownPath(p)}\n`);
      }
    });
}
