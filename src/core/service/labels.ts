import { clockTime, dayMonth } from '../../shared/format.js';
import type { RollbackRecord, SnapshotRecord } from '../../shared/model.js';
import { chainRoot } from '../../shared/safety-chain.js';
import { shownName } from '../tree/names.js';

export { clockTime };

/** "1 Dec, 14:02", local time. */
export function dayAndTime(iso: string | Date): string {
  return `${dayMonth(iso)}, ${clockTime(iso)}`;
}

/**
 * What a person knows a snapshot by: its tag, quoted, else its local time ("'before upgrade'", "1 Dec, 14:02").
 * A safety snapshot is read by its tag unquoted ("the safety snapshot taken before rolling back to 'x', 14:02"):
 * that tag quotes the snapshot it is about, and quoting it again would nest quotes in every sentence.
 */
export function snapshotLabel(record: Pick<SnapshotRecord, 'tag' | 'createdAt'> & { trigger?: SnapshotRecord['trigger'] }, maxTag = 120): string {
  const tag = record.tag && record.tag.length > maxTag ? `${record.tag.slice(0, maxTag - 1)}…` : record.tag;
  if (record.trigger === 'safety') {
    return tag?.startsWith('before ') ? `the safety snapshot taken ${tag}` : `the safety snapshot of ${dayAndTime(record.createdAt).replace(',', '')}`;
  }
  if (tag) return `'${tag}'`;
  return dayAndTime(record.createdAt);
}

type Named = Pick<SnapshotRecord, 'id' | 'tag' | 'createdAt' | 'trigger'>;

/** The folder's snapshots and rollbacks, through which a safety snapshot is followed back to its root. */
export interface LabelChain {
  snapshots: readonly Named[];
  rollbacks: readonly Pick<RollbackRecord, 'safetyId' | 'snapshotId'>[];
}

/**
 * What a safety tag calls the snapshot it is about: its own tag, quoted, when a person gave it one; else the
 * time it was taken. A safety snapshot is named by its time and the snapshot a person took at the root of its
 * chain, once ("the safety snapshot of 1 Dec 08:50 ('before refactor')"), never by its tag, which is itself
 * "before rolling back to...": labels would nest with every rollback to one.
 */
function targetName(record: Named, chain: LabelChain | null): string {
  const when = dayAndTime(record.createdAt).replace(',', '');
  if (record.trigger !== 'safety') return record.tag ? snapshotLabel(record) : `the snapshot of ${when}`;
  const root = chain ? chainRoot(record, chain.snapshots, chain.rollbacks) : null;
  return `the safety snapshot of ${when}${root ? ` (${targetName(root, null)})` : ''}`;
}

/**
 * The snapshot a rollback went to, in a sentence about that rollback ("rolled back to … at 14:02"): as
 * snapshotLabel says it, but a safety snapshot by its time and the root of its chain, whose tag would give
 * a second time of day.
 */
export function rolledBackTo(record: Named, chain: LabelChain): string {
  return record.trigger === 'safety' ? targetName(record, chain) : snapshotLabel(record);
}

/**
 * The tag of a rollback's safety snapshot: what it protects, and when ("before rolling back to 'x', 14:02").
 * `chain` names a safety snapshot restored by the snapshot at the root of its chain.
 */
export function safetyTag(kind: 'rollback' | 'undo', restoring: Named, undoing: Named | null, now = new Date(), paths: readonly string[] | null = null, chain: LabelChain | null = null): string {
  // One file brought back (a restore from its history) is said as that, not as a rollback of the folder; so is its undo.
  const one = paths?.length === 1 ? paths[0] : undefined;
  if (kind === 'undo') {
    const from = undoing ? targetName(undoing, chain) : 'an earlier snapshot';
    return one !== undefined ? `before undoing the restore of ${shownName(one)} from ${from}, ${clockTime(now)}` : `before undoing the rollback to ${from}, ${clockTime(now)}`;
  }
  if (one !== undefined) return `before restoring ${shownName(one)} from ${targetName(restoring, chain)}, ${clockTime(now)}`;
  return `before rolling back to ${targetName(restoring, chain)}, ${clockTime(now)}`;
}
