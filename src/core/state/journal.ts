import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from './atomic-write.js';
import { isString, firstProblem, recordShape } from '../base/checks.js';
import { nullIfMissing } from '../base/errors.js';
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
]);

export function targetKey(target: string): string {
  return nodeCrypto().createHash('sha256').update(target).digest('hex').slice(0, 20);
}

export class RollbackJournal {
  constructor(readonly dir: string) {}

  private file(target: string): string {
    return path.join(this.dir, `${targetKey(target)}.json`);
  }

  async write(entry: JournalEntry): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    await writeFileAtomic(this.file(entry.target), JSON.stringify(entry), { fsync: true });
  }

  async read(target: string): Promise<JournalEntry | null> {
    return this.readFile(this.file(target));
  }

  async clear(target: string): Promise<void> {
    await rm(this.file(target), { force: true });
  }

  async all(): Promise<JournalEntry[]> {
    const names = (await readdir(this.dir).catch(nullIfMissing)) ?? [];
    const out: JournalEntry[] = [];
    for (const name of names) {
      if (!name.endsWith('.json')) continue;
      const entry = await this.readFile(path.join(this.dir, name));
      if (entry) out.push(entry);
    }
    return out;
  }

  private async readFile(file: string): Promise<JournalEntry | null> {
    const text = await readFile(file, 'utf8').catch(nullIfMissing);
    if (text === null) return null;
    let raw: unknown;
    try { raw = JSON.parse(text); } catch { raw = null; }
    if (firstProblem(raw, JOURNAL_ENTRY) === null) return raw as JournalEntry;
    throw new Error(`the rollback journal ${file} is damaged; the folder may be half restored: move the file aside and roll back again`);
  }
}
