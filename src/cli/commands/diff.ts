import type { Command } from 'commander';
import { scopeWithin } from '../../core/service/targets.js';
import type { CommandContext } from '../context.js';
import { diffText } from '../format.js';

interface DiffOptions { only?: string[]; json?: boolean }

export function registerDiff(program: Command, ctx: CommandContext): void {
  program.command('diff')
    .description('show what changed in the folder since a snapshot')
    .argument('<id>', 'snapshot id')
    .option('--only <paths...>', 'only these paths inside the folder')
    .option('--json', 'print {added, removed, modified} as JSON')
    .action(async (id: string, o: DiffOptions) => {
      const record = await ctx.core().get(id);
      const diff = await ctx.core().diff(id, scopeWithin(record.target, o.only ?? [], ctx.io.cwd));
      if (o.json) ctx.json(diff);
      else ctx.io.stdout(diffText(diff));
    });
}
