import type { Command } from 'commander';
import type { CommandContext } from '../context.js';
import { snapshotTable, totalsText } from '../format.js';
import { listWithSpace } from '../../core/service/listing.js';

interface ListOptions { path?: string; json?: boolean; totals?: boolean }

export function registerList(program: Command, ctx: CommandContext): void {
  program.command('list')
    .description('list snapshots, newest first')
    .option('-p, --path <dir>', 'only snapshots of this folder (it may have been deleted)')
    .option('--json', 'print JSON: the records, each with uniqueBytes (what deleting it frees; null when not known)')
    .option('--totals', "with --json, print {snapshots, totals}: totals has the store's bytes, the folder's, the free bytes and the floor")
    .action(async (o: ListOptions) => {
      const target = o.path !== undefined ? await ctx.knownTarget(o.path) : undefined;
      await ctx.reconcile();
      const { snapshots, totals } = await listWithSpace(ctx.core(), target);
      if (o.json) ctx.json(o.totals ? { snapshots, totals } : snapshots);
      else ctx.io.stdout(snapshotTable(snapshots) + (snapshots.length > 0 ? totalsText(totals) : ''));
    });
}
