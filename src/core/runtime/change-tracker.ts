import { ChangeJournal, type JournalOptions } from '../changes/journal.js';
import type { ChangeFeed, FolderChanges } from '../service/change-feed.js';
import type { WalkSide } from '../tree/walk-changed.js';
import type { FolderChangesView } from '../../shared/api.js';

interface Watched {
  journal: ChangeJournal;
  /** Snapshots this process marked, newest last: the token taken before each one's walk, and its side lists. */
  marks: Map<string, { token: string; side: WalkSide }>;
  /** Why the last snapshot of the folder walked in full, or null when it was narrowed (or none was taken yet). */
  walked: string | null;
  /** A defect the audit found: the next snapshot walks, whatever the journal says. */
  distrusted: string | null;
}

/** Marks kept per folder: the newest few, since a snapshot is narrowed from the folder's newest one only. */
const MARKS_KEPT = 4;

const NOT_WATCHED = 'the folder is not watched by the app (only clone folders in the settings are): each snapshot looks at every file';

/**
 * The change journals of the running app (tray app, `snapctl serve`), one per watched folder, as the service's
 * ChangeFeed: snapshots taken here then walk only what changed since the folder's newest snapshot, when the
 * journal can vouch for it; anything else walks in full and says why (`view`).
 */
export class ChangeTracker implements ChangeFeed {
  private readonly folders = new Map<string, Watched>();
  private starting: Promise<void> = Promise.resolve();

  constructor(private readonly options: JournalOptions = {}) {}

  /** Watches exactly these folders: new ones start (their first snapshot walks), others stop. */
  watch(targets: readonly string[]): Promise<void> {
    this.starting = this.starting.then(async () => {
      const wanted = new Set(targets);
      for (const [target, w] of this.folders) {
        if (wanted.has(target)) continue;
        this.folders.delete(target);
        await w.journal.stop().catch(() => undefined);
      }
      for (const target of wanted) {
        if (this.folders.has(target)) continue;
        this.folders.set(target, { journal: await ChangeJournal.start(target, this.options), marks: new Map(), walked: null, distrusted: null });
      }
    });
    return this.starting;
  }

  async stop(): Promise<void> {
    await this.starting.catch(() => undefined);
    for (const w of this.folders.values()) await w.journal.stop().catch(() => undefined);
    this.folders.clear();
  }

  async mark(target: string): Promise<unknown> {
    await this.starting.catch(() => undefined);
    const w = this.folders.get(target);
    if (!w) return null;
    const token = await w.journal.mark();
    return typeof token === 'string' ? token : null;
  }

  async since(target: string, id: string): Promise<FolderChanges & { side?: WalkSide }> {
    const answer = await this.ask(target, id);
    const w = this.folders.get(target);
    if (w) w.walked = answer.tracked ? null : answer.reason;
    return answer;
  }

  peek(target: string, id: string): Promise<FolderChanges & { side?: WalkSide }> {
    return this.ask(target, id);
  }

  recorded(target: string, id: string, mark: unknown, side: WalkSide | undefined, narrowed: boolean): void {
    const w = this.folders.get(target);
    if (!w) return;
    // A whole walk is the truth again: an audit's doubt ends with it (never with a narrowed snapshot the audit
    // doubted while it ran).
    if (!narrowed) w.distrusted = null;
    if (typeof mark !== 'string' || !side) return;
    w.marks.set(id, { token: mark, side });
    while (w.marks.size > MARKS_KEPT) w.marks.delete(w.marks.keys().next().value as string);
  }

  /** The next snapshot of the folder walks in full (the audit found the journal wrong: `why`). */
  distrust(target: string, why: string): void {
    const w = this.folders.get(target);
    if (w) w.distrusted = why;
  }

  /** The journal and the mark of the folder's newest snapshot, for the audit. */
  journalOf(target: string, id: string): { journal: ChangeJournal; token: string; side: WalkSide } | null {
    const w = this.folders.get(target);
    const m = w?.marks.get(id);
    return w && m && w.distrusted === null ? { journal: w.journal, ...m } : null;
  }

  watched(): string[] {
    return [...this.folders.keys()];
  }

  /**
   * What `status` and the popover say of a folder's changes: tracked (with the count of paths changed since
   * its newest snapshot, read without a sync point: a live figure, not an answer a snapshot relies on) or
   * walked, and why.
   */
  view(target: string, newestId: string | null): FolderChangesView {
    const w = this.folders.get(target);
    if (!w) return { tracked: false, why: NOT_WATCHED, count: null };
    const problem = w.journal.problem();
    if (problem) return { tracked: false, why: problem.reason, count: null };
    if (w.distrusted) return { tracked: false, why: w.distrusted, count: null };
    const mark = newestId === null ? undefined : w.marks.get(newestId);
    if (!mark) return { tracked: false, why: newestId === null ? 'no snapshot yet: the first one looks at every file' : 'its newest snapshot was not taken by this app since it started: the next one looks at every file, later ones only at what changed', count: null };
    const count = w.journal.countSince(mark.token);
    return count === null ? { tracked: false, why: w.walked ?? 'the watch cannot say what changed: the next snapshot looks at every file', count: null } : { tracked: true, why: null, count };
  }

  private async ask(target: string, id: string): Promise<FolderChanges & { side?: WalkSide }> {
    await this.starting.catch(() => undefined);
    const w = this.folders.get(target);
    if (!w) return { tracked: false, reason: NOT_WATCHED };
    if (w.distrusted) return { tracked: false, reason: w.distrusted };
    const m = w.marks.get(id);
    if (!m) return { tracked: false, reason: 'its newest snapshot was not taken by this app since it started: this one looks at every file' };
    const answer = await w.journal.changedSince(m.token);
    return answer.tracked ? { tracked: true, paths: answer.paths, inodes: answer.inodes, side: m.side } : { tracked: false, reason: answer.reason };
  }
}
