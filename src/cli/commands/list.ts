import type { Command } from 'commander';
import type { CommandContext } from '../context.js';
import { snapshotTable, totalsText } from '../format.js';
import { listWithSpace } from '../../core/service/listing.js';
import { keepListingIfRoom } from '../listing-cache.js';
import { listingInputs } from '../../core/state/listing-cache.js';

interface ListOptions { path?: string; json?: boolean; totals?: boolean }

export function registerList(program: Command, ctx: CommandContext): void {
  program.command('list')
    .description('list snapshots, newest first')
    .option('-p, --path <dir>', 'only snapshots of this folder (it may have been deleted)')
    .option('--json', 'print JSON: the records, each with uniqueBytes (what deleting it frees; null when not known)')
    .option('--totals', "with --json, print {snapshots, totals}: totals has the store's bytes, the folder's, the free bytes and the floor")
    .action(async (o: ListOptions) => {
      const target = o.path !== undefined ? await ctx.knownTarget(o.path) : undefined;
      // The one form a fresh process may answer from the cache (src/cli/fast-list.ts): its inputs as they are
      // before anything is read, so a listing is kept only if they are the same once it is printed.
      const cacheable = o.json === true && !o.totals && target === undefined && !ctx.io.stdoutIsTerminal;
      const startedMs = Date.now();
      const before = cacheable ? listingInputs(ctx.core().layout) : null;
      await ctx.reconcile();
      const { snapshots, totals } = await listWithSpace(ctx.core(), target);
      if (o.json && before) {
        const text = `${JSON.stringify(snapshots)}\n`;
        ctx.io.stdout(text);
        await keepListingIfRoom(ctx.core(), before, startedMs, snapshots, text);
      } else if (o.json) ctx.json(o.totals ? { snapshots, totals } : snapshots);
      else ctx.io.stdout(snapshotTable(snapshots) + (snapshots.length > 0 ? totalsText(totals) : ''));
    });
}
