import { listingDifferences, walkChanged, type BaseListing } from '../tree/walk-changed.js';
import { walk, type WalkOptions } from '../tree/walk.js';
import type { ChangeJournal, JournalToken, Untracked } from './journal.js';

export interface AuditResult {
  /** Paths where what the journal claims (the base and the paths it named) differs from a full walk now. */
  defects: string[];
  /** Changed paths the journal named since the mark. */
  changed: number;
}

/**
 * Checks a journal against the truth: a full walk now, compared field for field with the base's listing
 * narrowed by the paths the journal says changed since `token`. Any difference is a defect of the journal (a
 * change no event named): the runtime reports it and makes the folder's next snapshot walk. Paths that
 * changed while the audit ran (named by the journal afterwards) are no defect: they are left out.
 * Untracked when the journal cannot vouch for the mark (then there is nothing to audit).
 */
export async function audit(journal: ChangeJournal, token: JournalToken, base: BaseListing, options: WalkOptions = {}): Promise<AuditResult | Untracked> {
  const before = await journal.changedSince(token);
  if (!before.tracked) return before;
  const claimed = await walkChanged(journal.root, base, before, options);
  const truth = await walk(journal.root, options);
  const after = await journal.changedSince(token);
  if (!after.tracked) return after;
  const known = new Set(before.paths);
  const during = after.paths.filter((p) => !known.has(p));
  const defects = listingDifferences(claimed, truth).filter((p) => !during.some((d) => related(p, d)));
  return { defects, changed: before.paths.length };
}

/** The same path, or one holds the other (a folder's mtime moves with what it holds). */
function related(a: string, b: string): boolean {
  return a === b || a === '' || b === '' || a.startsWith(`${b}/`) || b.startsWith(`${a}/`);
}
