import type { Command } from 'commander';
import type { CommandContext } from '../context.js';
import { snapshotTable } from '../format.js';

interface ListOptions { path?: string; json?: boolean }

export function registerList(program: Command, ctx: CommandContext): void {
  program.command('list')
    .description('list snapshots, newest first')
    .option('-p, --path <dir>', 'only snapshots of this folder (it may have been deleted)')
    .option('--json', 'print JSON')
    .action(async (o: ListOptions) => {
      const target = o.path !== undefined ? await ctx.knownTarget(o.path) : undefined;
      await ctx.reconcile();
      const records = await ctx.core().list(target ? { target } : {});
      if (o.json) ctx.json(records);
      else ctx.io.stdout(snapshotTable(records));
    });
}
