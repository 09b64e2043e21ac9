import type { Command } from 'commander';
import { snapshotLabel } from '../../core/service/labels.js';
import type { CommandContext } from '../context.js';
import { fileArg } from '../file-arg.js';
import { countsText, humanBytes, shown, shownPath } from '../format.js';
import { getSnapshot } from '../../core/service/queries.js';
import { rollback } from '../../core/service/rollback.js';

interface RestoreOptions { to?: string; force?: boolean; path?: string; json?: boolean }

export function registerRestore(program: Command, ctx: CommandContext): void {
  const { io } = ctx;
  program.command('restore')
    .description("one file back from a snapshot: in place (undoable, like a rollback of that path) or as a copy under --to")
    .argument('<id>', "snapshot id (a unique beginning of one, or 'latest')")
    .argument('<file>', 'the file (relative to here or absolute; it may no longer exist)')
    .option('--to <dest>', 'write the version here instead (a new file, or into this folder), with its mode and mtime')
    .option('--force', 'with --to: replace what stands at DEST (a link there is replaced, never written through)')
    .option('-p, --path <dir>', 'the watched folder (default: the one holding the file)')
    .option('--json', 'print the result as JSON')
    .action(async (input: string, file: string, o: RestoreOptions) => {
      const { target, rel } = await fileArg(ctx, file, o.path);
      const record = await getSnapshot(ctx.core(), await ctx.idOf(input, target));
      const name = await ctx.core().history.nameIn(record.target, record.target === target ? rel : (await fileArg(ctx, file, record.target)).rel);
      if (o.to !== undefined) {
        const done = await ctx.core().history.restoreTo(record, name, o.to.startsWith('/') ? o.to : `${io.cwd}/${o.to}`, { force: o.force ?? false });
        if (o.json) ctx.json(done);
        else io.stdout(shown`wrote ${shownPath(name)} as ${snapshotLabel(record)} held it (${humanBytes(done.size)}) to ${shownPath(done.written)}\n`);
        return;
      }
      const result = await rollback(ctx.core(), record.id, { paths: [name] });
      if (o.json) ctx.json(result);
      else if (result.nothingToChange || !result.safety) io.stdout(shown`nothing to change: ${shownPath(name)} already matches ${snapshotLabel(record)}\n`);
      else io.stdout(shown`restored ${shownPath(name)} from ${snapshotLabel(record)} (${record.id}): ${countsText(result.restored)}; undo with 'snapctl undo --path ${record.target}' (safety snapshot ${result.safety.id})\n`);
    });
}
