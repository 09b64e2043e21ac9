import { usageError } from '../base/errors.js';
import type { SnapshotRecord } from '../../shared/model.js';
import type { ServiceContext } from './context.js';
import { getSnapshot } from './queries.js';
import { deleteRecords } from './record-changes.js';
import { undoOffer } from './status.js';

/**
 * Deletes one snapshot. The safety snapshot the folder's undo would restore is deleted only with
 * `undoLossConfirmed` (the CLI's question or --yes, the popover's dialog): deleting it takes the undo away for
 * good, so every caller must have said so, checked under the folder's lock.
 */
export async function deleteSnapshot(ctx: ServiceContext, id: unknown, options: { undoLossConfirmed?: boolean } = {}): Promise<SnapshotRecord> {
  const record = await getSnapshot(ctx, id);
  await deleteRecords(ctx, record.target, [record], async () => {
    const offer = options.undoLossConfirmed ? null : await undoOffer(ctx, record.target);
    if (offer?.rollback.safetyId === record.id) {
      throw usageError(`deleting ${record.id} takes away the undo of the last rollback of ${record.target} (${offer.label}): it is the safety snapshot that undo restores`,
        'confirm that the undo may be lost (the CLI asks, or takes --yes); nothing was deleted');
    }
  });
  return record;
}
