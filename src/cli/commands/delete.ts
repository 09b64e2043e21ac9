import type { Command } from 'commander';
import type { CommandContext } from '../context.js';

interface DeleteOptions { path?: string; json?: boolean }

export function registerDelete(program: Command, ctx: CommandContext): void {
  program.command('delete')
    .description('delete a snapshot and free the space only it uses')
    .argument('<id>', "snapshot id (a unique beginning is enough), or 'latest'")
    .option('-p, --path <dir>', "the folder whose snapshot 'latest' means (default: the folder you are in)")
    .option('--json', 'print the deleted record as JSON')
    .action(async (input: string, o: DeleteOptions) => {
      const record = await ctx.core().delete(await ctx.idOf(input, o.path));
      if (o.json) ctx.json(record);
      else ctx.io.stdout(`deleted ${record.id}\n`);
    });
}
