import type { Command } from 'commander';
import type { CommandContext } from '../context.js';
import { listSnapshots } from '../../core/service/queries.js';

interface CountOptions { path?: string }

export function registerCount(program: Command, ctx: CommandContext): void {
  program.command('count')
    .description('print how many snapshots there are')
    .option('-p, --path <dir>', 'only snapshots of this folder')
    .action(async (o: CountOptions) => {
      const target = await ctx.targetOf(o.path);
      ctx.io.stdout(`${(await listSnapshots(ctx.core(), target ? { target } : {})).length}\n`);
    });
}
