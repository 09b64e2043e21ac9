import type { Command } from 'commander';
import type { CommandContext } from '../context.js';
import { plural, shown, shownPath } from '../format.js';
import { verifySnapshots } from '../../core/service/verify.js';

interface VerifyOptions { path?: string; json?: boolean }

export function registerVerify(program: Command, ctx: CommandContext): void {
  const { io } = ctx;
  program.command('verify')
    .description("check that snapshots' data is whole (every file there, with the content recorded for it); exits 1 naming each damaged snapshot and path")
    .argument('[id]', "one snapshot (a unique beginning of its id is enough, or 'latest'; default: all)")
    .option('-p, --path <dir>', "the folder whose snapshot 'latest' means (default: the folder you are in)")
    .option('--json', 'print one report per snapshot as JSON')
    .action(async (input: string | undefined, o: VerifyOptions) => {
      const reports = await verifySnapshots(ctx.core(), input === undefined ? undefined : await ctx.idOf(input, o.path));
      const damaged = reports.filter((r) => r.problems.length > 0);
      if (damaged.length > 0) ctx.setExitCode(1);
      if (o.json) { ctx.json(reports); return; }
      for (const r of damaged) {
        io.stdout(shown`damaged ${r.id} of ${r.target}: ${plural(r.problems.length, 'path')}\n`);
        for (const p of r.problems) io.stdout(shown`  "${shownPath(p.path)}": ${p.problem}\n`);
      }
      const files = reports.reduce((sum, r) => sum + r.checked, 0);
      const whole = damaged.filter((r) => r.problems.some((p) => p.path.startsWith('(')));
      io.stdout(damaged.length === 0
        ? `${plural(reports.length, 'snapshot')} verified, all whole (${plural(files, 'file')} checked)\n`
        : `${damaged.length} of ${plural(reports.length, 'snapshot')} damaged; a rollback refuses the damaged paths before it changes anything${whole.length < damaged.length ? ', other paths still restore with --only' : ''}${whole.length > 0 ? `; ${whole.map((r) => r.id).join(', ')} cannot be read at all: delete ${whole.length > 1 ? 'them' : 'it'} with 'snapctl delete ID'` : ''}\n`);
    });
}
