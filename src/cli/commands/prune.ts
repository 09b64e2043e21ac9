import type { Command } from 'commander';
import { say, type CommandContext } from '../context.js';
import { humanBytes, shown } from '../format.js';
import { pruneSnapshots } from '../../core/service/prune.js';

interface PruneOptions { path?: string; dryRun?: boolean; json?: boolean }

export function registerPrune(program: Command, ctx: CommandContext): void {
  const { io } = ctx;
  program.command('prune')
    .description("delete snapshots the retention policy no longer keeps (each folder's policy from settings), then the oldest timeline snapshots of a folder over its maximum store size")
    .option('-p, --path <dir>', 'only this folder')
    .option('-n, --dry-run', 'show what would be deleted, delete nothing')
    .option('--json', 'print the plan as JSON')
    .action(async (o: PruneOptions) => {
      const target = await ctx.targetOf(o.path);
      // Settings bring zod; only prune among the short commands reads them.
      const { SettingsStore, retentionPolicyFor, policyOf } = await import('../../core/state/settings.js');
      const loaded = await new SettingsStore(ctx.core().layout).load();
      if (loaded.warning) io.stderr(`snapctl: ${say(loaded.warning)}\n`);
      const results = await pruneSnapshots(ctx.core(), (t) => retentionPolicyFor(loaded.settings, t), {
        ...(target ? { target } : {}), dryRun: o.dryRun ?? false, maxStoreBytes: (t) => policyOf(loaded.settings, t).maxStoreBytes,
      });
      // A folder that could not be pruned fails the command, after the others were.
      if (results.some((r) => r.error !== undefined)) ctx.setExitCode(1);
      if (o.json) { ctx.json(results); return; }
      for (const r of results) {
        if (r.error !== undefined) { io.stdout(shown`${r.target}: not pruned: ` + `${say(r.error)}\n`); continue; }
        io.stdout(shown`${r.target}: keep ${r.keep.length}, ${r.dryRun ? 'would delete' : 'deleted'} ${r.drop.length}\n`);
        for (const id of r.drop) io.stdout(`  ${r.dryRun ? 'would delete' : 'deleted'} ${id}\n`);
        if (r.overLimit) io.stdout(`  still over its maximum store size: ${humanBytes(r.overLimit.bytes)} against ${humanBytes(r.overLimit.limit)}; what is left is held by snapshots the limit never deletes (the newest, tagged, manual or safety ones) or shared among them\n`);
      }
      if (results.length === 0) io.stdout('no snapshots\n');
    });
}
