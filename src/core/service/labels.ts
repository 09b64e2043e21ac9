import { clockTime, dayMonth } from '../../shared/format.js';
import type { SnapshotRecord } from '../../shared/model.js';
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

type Named = Pick<SnapshotRecord, 'tag' | 'createdAt' | 'trigger'>;

/**
 * What a safety tag calls the snapshot it is about: its own tag, quoted, when a person gave it one; else the
 * time it was taken. A safety snapshot is never named by its tag, which is itself "before rolling back to...":
 * labels would nest with every rollback to one.
 */
function targetName(record: Named): string {
  const when = dayAndTime(record.createdAt).replace(',', '');
  if (record.trigger === 'safety') return `the safety snapshot of ${when}`;
  return record.tag ? snapshotLabel(record) : `the snapshot of ${when}`;
}

/** The tag of a rollback's safety snapshot: what it protects, and when ("before rolling back to 'x', 14:02"). */
export function safetyTag(kind: 'rollback' | 'undo', restoring: Named, undoing: Named | null, now = new Date(), paths: readonly string[] | null = null): string {
  if (kind === 'undo') return `before undoing the rollback to ${undoing ? targetName(undoing) : 'an earlier snapshot'}, ${clockTime(now)}`;
  // One file brought back (a restore from its history) is said as that, not as a rollback of the folder.
  if (paths?.length === 1 && paths[0] !== undefined) return `before restoring ${shownName(paths[0])} from ${targetName(restoring)}, ${clockTime(now)}`;
  return `before rolling back to ${targetName(restoring)}, ${clockTime(now)}`;
}
