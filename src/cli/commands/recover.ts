import type { Command } from 'commander';
import { SnapctlError, usageError } from '../../core/base/errors.js';
import type { CommandContext } from '../context.js';

interface RecoverOptions { abandon?: boolean; path?: string }

export function registerRecover(program: Command, ctx: CommandContext): void {
  const { io } = ctx;
  program.command('recover')
    .description('finish interrupted rollbacks now (every command does this first), or give up one that cannot be finished')
    .option('--abandon', "give up the interrupted rollback of --path (its safety snapshot keeps the state before)")
    .option('-p, --path <dir>', 'the folder, with --abandon')
    .action(async (o: RecoverOptions) => {
      if (!o.abandon) {
        // The recovery before every command has just tried each interrupted rollback and said how it ended.
        if (ctx.unfinishedRecoveries > 0) throw new SnapctlError('busy', `${ctx.unfinishedRecoveries} interrupted rollback(s) could not be finished`, 'see above for each, and how to give it up');
        io.stdout('no interrupted rollback is left unfinished\n');
        return;
      }
      if (!o.path) throw usageError('--abandon needs --path DIR', 'name the folder whose interrupted rollback to give up');
      const dropped = await ctx.core().abandonRecovery(o.path);
      if (!dropped) { io.stdout(`no interrupted rollback of ${o.path}\n`); return; }
      if ('damaged' in dropped) {
        io.stdout(`set the damaged rollback journal of ${o.path} aside as ${dropped.damaged}; the folder may be partly restored: roll back again (its safety snapshot is in 'snapctl list --path ${o.path}')\n`);
        return;
      }
      io.stdout(`gave up the interrupted rollback of ${dropped.target} to ${dropped.snapshotId}; the folder may be partly restored: 'snapctl rollback ${dropped.safetyId} --yes' returns it to the state before\n`);
    });
}
