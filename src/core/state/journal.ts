import { copyFile, readdir, readFile, rm } from 'node:fs/promises';
import { mkdirPrivate } from '../base/private-fs.js';
import path from 'node:path';
import { writeFileAtomic } from './atomic-write.js';
import { isObject, isString, firstProblem, recordShape } from '../base/checks.js';
import { SnapctlError, nullIfMissing } from '../base/errors.js';
import { quarantine } from './store.js';
import { nodeCrypto } from '../base/lazy-crypto.js';

/**
 * A rollback in progress, written before the first change to the target and removed after the last. If
 * snapctl dies in between, the next command finds it and finishes the restore (which is idempotent), so the
 * folder always ends up as the snapshot, with the state before it kept in the safety snapshot.
 */
export interface JournalEntry {
  version: 1;
  target: string;
  snapshotId: string;
  safetyId: string;
  paths: string[] | null;
  kind: 'rollback' | 'undo';
  startedAt: string;
  pid: number;
  /** Paths the safety snapshot could not hold: the restore leaves them alone (absent in older journals). */
  protect?: string[];
  /** Every `.git` was left alone (keepGit); absent in older journals. */
  keepGit?: boolean;
  /** The folder had been deleted and this rollback made it again (see RollbackRecord.folderMade). */
  folderMade?: boolean;
  /** What was excluded from snapshots and so left alone (see leaveAloneFilter); absent in older journals. */
  leaveAlone?: { patterns: string[]; cacheDirs: string[] }[];
  /**
   * Two snapshots whose differing paths (with their folders) are all this restore may change: the snapshot
   * and its safety snapshot for a rollback, the safety snapshot and the one rolled back to for an undo (see
   * outsideRollback). Absent in older journals, and when the provider cannot say: the whole folder.
   */
  between?: [string, string];
}

const JOURNAL_ENTRY = recordShape<keyof JournalEntry>([
  ['version', (v) => v === 1, '1'],
  ['target', isString, 'a folder path'],
  ['snapshotId', isString, 'a snapshot id'],
  ['safetyId', isString, 'a snapshot id'],
  ['paths', (v) => v === null || (Array.isArray(v) && v.every(isString)), 'null or a list of paths'],
  ['kind', (v) => v === 'rollback' || v === 'undo', 'rollback or undo'],
  ['startedAt', isString, 'a time'],
  ['pid', Number.isInteger, 'a process id'],
  ['protect', (v) => v === undefined || (Array.isArray(v) && v.every(isString)), 'a list of paths'],
  ['keepGit', (v) => v === undefined || typeof v === 'boolean', 'true or false'],
  ['folderMade', (v) => v === undefined || typeof v === 'boolean', 'true or false'],
  ['between', (v) => v === undefined || (Array.isArray(v) && v.length === 2 && v.every(isString)), 'two snapshot ids'],
  ['leaveAlone', (v) => v === undefined || (Array.isArray(v) && v.every((e) => isObject(e) && isStrings(e['patterns']) && isStrings(e['cacheDirs']))), 'a list of exclusions'],
]);

const isStrings = (v: unknown): boolean => Array.isArray(v) && v.every(isString);

export function targetKey(target: string): string {
  return nodeCrypto().createHash('sha256').update(target).digest('hex').slice(0, 20);
}

export interface DamagedJournal {
  file: string;
  /** The folder, when the damaged text still names it. */
  target: string | null;
}

function parseEntry(text: string): JournalEntry | null {
  let raw: unknown;
  try { raw = JSON.parse(text); } catch { return null; }
  return firstProblem(raw, JOURNAL_ENTRY) === null ? (raw as JournalEntry) : null;
}

/** The folder a damaged journal names, if its text still holds it (the target is written near the start). */
function targetIn(text: string): string | null {
  const m = /"target":("(?:[^"\\]|\\.)*")/.exec(text);
  if (!m?.[1]) return null;
  try {
    const target: unknown = JSON.parse(m[1]);
    return typeof target === 'string' ? target : null;
  } catch {
    return null;
  }
}

export class RollbackJournal {
  constructor(readonly dir: string) {}

  private file(target: string): string {
    return path.join(this.dir, `${targetKey(target)}.json`);
  }

  async write(entry: JournalEntry): Promise<void> {
    await mkdirPrivate(this.dir);
    await writeFileAtomic(this.file(entry.target), JSON.stringify(entry), { fsync: true });
  }

  async read(target: string): Promise<JournalEntry | null> {
    return this.readFile(this.file(target));
  }

  async clear(target: string): Promise<void> {
    await rm(this.file(target), { force: true });
    await rm(this.errorFile(target), { force: true });
  }

  /**
   * Why the last attempt at a folder's rollback stopped, kept beside its journal entry: cleared when an
   * attempt starts, written when one fails, so a process killed part way leaves none (the reason is unknown).
   */
  private errorFile(target: string): string {
    return path.join(this.dir, `${targetKey(target)}.last-error`);
  }

  async writeError(target: string, error: string): Promise<void> {
    await mkdirPrivate(this.dir);
    await writeFileAtomic(this.errorFile(target), JSON.stringify({ error }));
  }

  async clearError(target: string): Promise<void> {
    await rm(this.errorFile(target), { force: true });
  }

  async readError(target: string): Promise<string | null> {
    const text = await readFile(this.errorFile(target), 'utf8').catch(nullIfMissing);
    if (text === null) return null;
    try {
      const raw: unknown = JSON.parse(text);
      return typeof raw === 'object' && raw !== null && 'error' in raw && typeof raw.error === 'string' ? raw.error : null;
    } catch {
      return null;
    }
  }

  /**
   * Keeps a copy of a folder's journal entry aside (with a timestamp) before the rollback it records is given
   * up: the entry itself stays until the next one replaces it in one atomic write, so a crash in between
   * leaves the folder's unfinished rollback where it was.
   */
  async keepCopy(target: string): Promise<string | null> {
    const aside = `${this.file(target)}.set-aside-${new Date().toISOString().replace(/[:.]/g, '-')}`;
    try {
      await copyFile(this.file(target), aside);
    } catch (err) {
      return nullIfMissing(err);
    }
    await rm(this.errorFile(target), { force: true });
    return aside;
  }

  /**
   * Every interrupted rollback, and the journal files that are damaged: a damaged one blocks only its own
   * folder (see read), never the others.
   */
  async all(): Promise<{ entries: JournalEntry[]; damaged: DamagedJournal[] }> {
    const names = (await readdir(this.dir).catch(nullIfMissing)) ?? [];
    const entries: JournalEntry[] = [];
    const damaged: DamagedJournal[] = [];
    for (const name of names) {
      if (!name.endsWith('.json')) continue;
      const file = path.join(this.dir, name);
      const text = await readFile(file, 'utf8').catch(nullIfMissing);
      if (text === null) continue;
      const entry = parseEntry(text);
      if (entry) entries.push(entry);
      else damaged.push({ file, target: targetIn(text) });
    }
    return { entries, damaged };
  }

  private async readFile(file: string): Promise<JournalEntry | null> {
    const text = await readFile(file, 'utf8').catch(nullIfMissing);
    if (text === null) return null;
    const entry = parseEntry(text);
    if (entry) return entry;
    const target = targetIn(text);
    throw new SnapctlError('corrupt', `the rollback journal of ${target ?? 'a folder'} (${file}) is damaged, so an interrupted rollback there cannot be finished; the folder may be half restored`,
      `run 'snapctl recover --abandon --path ${target ?? 'DIR'}' to set it aside, then roll back again (the safety snapshot taken before it is in 'snapctl list')`);
  }

  async exists(target: string): Promise<boolean> {
    return (await readFile(this.file(target)).catch(nullIfMissing)) !== null;
  }

  /** Moves a damaged journal file aside (kept, with a timestamp) so its folder can be used again. */
  async setAside(target: string): Promise<string | null> {
    const file = this.file(target);
    const text = await readFile(file, 'utf8').catch(nullIfMissing);
    if (text === null || parseEntry(text)) return null;
    return quarantine(file);
  }
}
