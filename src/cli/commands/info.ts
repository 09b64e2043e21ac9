import type { Command } from 'commander';
import { xattrsUnavailable } from '../../core/tree/xattrs.js';
import type { CommandContext } from '../context.js';
import { shown } from '../format.js';
import { providerChoice } from '../../core/service/queries.js';

interface InfoOptions { path: string; json?: boolean }

export function registerInfo(program: Command, ctx: CommandContext): void {
  const { io } = ctx;
  program.command('info')
    .description('say which snapshot provider snapctl would use for a folder, and why')
    .requiredOption('-p, --path <dir>', 'the folder')
    .option('--json', 'print JSON')
    .action(async (o: InfoOptions) => {
      const choice = await providerChoice(ctx.core(), o.path);
      const notes = [xattrsUnavailable()].filter((n): n is string => n !== null);
      if (o.json) { ctx.json({ ...choice, notes }); return; }
      io.stdout(shown`${choice.target}: ${choice.chosen}\n`);
      for (const r of choice.reports) io.stdout(shown`  ${r.name === choice.chosen ? '*' : r.usable ? '+' : '-'} ${r.name.padEnd(6)} ${r.reason}\n`);
      for (const n of notes) io.stdout(shown`note: ${n}\n`);
    });
}
