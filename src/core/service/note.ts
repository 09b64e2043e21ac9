import { SnapctlError } from '../base/errors.js';
import { parseSnapshotId } from '../state/ids.js';
import { MAX_NOTE_LENGTH, type SnapshotRecord } from '../../shared/model.js';
import type { ServiceContext } from './context.js';

/** Records what happened after a snapshot, e.g. the command `snapctl run` guarded and how it ended. */
export async function setNote(ctx: ServiceContext, id: unknown, note: string): Promise<SnapshotRecord> {
  const valid = parseSnapshotId(id);
  const text = note.slice(0, MAX_NOTE_LENGTH);
  const updated = await ctx.store.update((store) => {
    const record = store.snapshots.find((s) => s.id === valid);
    if (!record) throw new SnapctlError('not-found', `no snapshot ${valid}`);
    record.note = text;
    return { ...record };
  });
  await ctx.recordsOf(updated.provider).write(updated);
  return updated;
}
