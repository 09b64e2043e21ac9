import type { Command } from 'commander';
import type { CommandContext } from '../context.js';
import { fileArg } from '../file-arg.js';
import { getSnapshot } from '../../core/service/queries.js';

export function registerCat(program: Command, ctx: CommandContext): void {
  program.command('cat')
    .description("a file's bytes as a snapshot holds them, on stdout (for diff tools, pipes, | less)")
    .argument('<id>', "snapshot id (a unique beginning of one, or 'latest')")
    .argument('<file>', 'the file (relative to here or absolute; it may no longer exist)')
    .option('-p, --path <dir>', 'the watched folder (default: the one holding the file)')
    .action(async (input: string, file: string, o: { path?: string }) => {
      const { target, rel } = await fileArg(ctx, file, o.path);
      const record = await getSnapshot(ctx.core(), await ctx.idOf(input, target));
      const located = record.target === target ? rel : (await fileArg(ctx, file, record.target)).rel;
      const bytes = await ctx.core().history.read(record, located);
      if (ctx.io.stdoutBytes) await ctx.io.stdoutBytes(bytes); else ctx.io.stdout(bytes.toString('latin1'));
    });
}
