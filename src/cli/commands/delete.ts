import type { Command } from 'commander';
import type { CommandContext } from '../context.js';

interface DeleteOptions { json?: boolean }

export function registerDelete(program: Command, ctx: CommandContext): void {
  program.command('delete')
    .description('delete a snapshot and free the space only it uses')
    .argument('<id>', 'snapshot id')
    .option('--json', 'print the deleted record as JSON')
    .action(async (id: string, o: DeleteOptions) => {
      const record = await ctx.core().delete(id);
      if (o.json) ctx.json(record);
      else ctx.io.stdout(`deleted ${record.id}\n`);
    });
}
