import type { Command } from 'commander';
import { usageError } from '../../core/base/errors.js';
import type { CommandContext } from '../context.js';
import { humanBytes, shown } from '../format.js';
import { deleteSnapshot } from '../../core/service/delete.js';
import { snapshotSpace } from '../../core/service/listing.js';
import { getSnapshot, listSnapshots } from '../../core/service/queries.js';
import { undoOffer } from '../../core/service/status.js';

interface DeleteOptions { path?: string; json?: boolean; yes?: boolean }

export function registerDelete(program: Command, ctx: CommandContext): void {
  const { io } = ctx;
  program.command('delete')
    .description('delete a snapshot and free the space only it uses (the safety snapshot an undo needs only after a question, or with --yes)')
    .argument('<id>', "snapshot id (a unique beginning is enough), or 'latest'")
    .option('-p, --path <dir>', "the folder whose snapshot 'latest' means (default: the folder you are in)")
    .option('-y, --yes', 'delete it even when it is the safety snapshot the undo of the last rollback needs')
    .option('--json', 'print the deleted record as JSON')
    .action(async (input: string, o: DeleteOptions) => {
      const id = await ctx.idOf(input, o.path);
      const record = await getSnapshot(ctx.core(), id);
      // The undo of a rollback restores its safety snapshot: deleting that one takes the undo away for good.
      const offer = await undoOffer(ctx.core(), record.target);
      if (offer && offer.rollback.safetyId === record.id && !o.yes) {
        const what = shown`deleting ${record.id} takes away the undo of the last rollback of ${record.target} (${offer.label}): it is the safety snapshot that undo restores`;
        if (!io.isInteractive) throw usageError(what, 'pass --yes to delete it anyway');
        if (!(await io.confirm(`${what}; delete it anyway?`))) { io.stdout('nothing was deleted\n'); return; }
      }
      // What it frees, read before: afterwards what it shared has become the others' own.
      const frees = o.json ? null : await listSnapshots(ctx.core()).then((all) => snapshotSpace(ctx.core(), all)).then((s) => s.unique.get(record.id) ?? null, () => null);
      // Asked, or --yes: the core checks again under the folder's lock, and needs to be told.
      const deleted = await deleteSnapshot(ctx.core(), record.id, { undoLossConfirmed: true });
      if (o.json) ctx.json(deleted);
      else io.stdout(`deleted ${deleted.id}${frees === null ? '' : frees === 0 ? ' (it freed nothing: its files are all in other snapshots too)' : ` (freed ${humanBytes(frees)})`}\n`);
    });
}
