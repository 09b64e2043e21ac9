import path from 'node:path';
import type { Command } from 'commander';
import { SnapctlError, describeError } from '../../core/base/errors.js';
import { say, type CommandContext } from '../context.js';
import { plural, shown } from '../format.js';
import { abandonRecovery, type RecoveryReport, retryRollback } from '../../core/service/recovery.js';

interface RecoverOptions { abandon?: boolean; path?: string }

function reportLine(r: RecoveryReport): string {
  return r.outcome === 'finished'
    ? shown`finished the interrupted rollback of ${r.target} to ${r.snapshotId} ('snapctl undo --path ${r.target}' restores the state before it: ${r.safetyId})`
    : say(r.error ?? `could not finish the interrupted rollback of ${r.target}`);
}

export function registerRecover(program: Command, ctx: CommandContext): void {
  const { io } = ctx;
  program.command('recover')
    .description('finish interrupted rollbacks now (a command on that folder does this first; read-only commands only say one is left), or give one up that cannot be finished; exits 1 while one is left unfinished')
    .option('--abandon', "give up the interrupted rollback of --path (its safety snapshot keeps the state before; 'snapctl undo --path DIR' restores it)")
    .option('-p, --path <dir>', 'only this folder')
    .action(async (o: RecoverOptions) => {
      if (!o.abandon) {
        // One report: the recovery before this command has just tried each interrupted rollback (and printed
        // nothing); with --path, that folder's is tried once more.
        let reports = [...ctx.recoveries];
        const target = o.path !== undefined ? await ctx.knownTarget(o.path) : undefined;
        if (target !== undefined) {
          reports = reports.filter((r) => r.target === target);
          if (!reports.some((r) => r.outcome === 'finished')) {
            const again = await retryRollback(ctx.core(), target).then(
              (r) => r,
              (err: unknown): RecoveryReport => ({ target, snapshotId: '', safetyId: '', outcome: 'failed', error: describeError(err) }),
            );
            reports = again ? [again] : [];
          }
        }
        for (const r of reports) io.stdout(`${reportLine(r)}\n`);
        const failed = reports.filter((r) => r.outcome === 'failed').length;
        if (failed > 0) throw new SnapctlError('busy', `${plural(failed, 'interrupted rollback')} could not be finished`, 'each is named above, with the way back');
        // The folder by its absolute path, as every other line of the report names it ('.' says nothing later).
        if (reports.length === 0) io.stdout(target !== undefined ? shown`no interrupted rollback of ${target}\n` : 'no interrupted rollback is left unfinished\n');
        return;
      }
      if (!o.path) throw new SnapctlError('usage', '--abandon needs --path DIR', 'name the folder whose interrupted rollback to give up');
      const dropped = await abandonRecovery(ctx.core(), o.path);
      const typed = o.path;
      const folder = await ctx.knownTarget(typed).catch(() => path.resolve(io.cwd, typed));
      if (!dropped) { io.stdout(shown`no interrupted rollback of ${folder}\n`); return; }
      if ('damaged' in dropped) {
        io.stdout(shown`set the damaged rollback journal of ${folder} aside as ${dropped.damaged}; the folder may be partly restored: roll back again (its safety snapshot is in 'snapctl list --path ${folder}')\n`);
        return;
      }
      io.stdout(shown`gave up the interrupted rollback of ${dropped.target} to ${dropped.snapshotId}; the folder may be partly restored: 'snapctl rollback ${dropped.safetyId} --yes' returns it to the state before\n`);
    });
}
