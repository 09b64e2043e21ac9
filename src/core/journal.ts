import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from './atomic-write.js';
import { errnoCode } from './errors.js';
import { nodeCrypto } from './lazy-crypto.js';

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

/** The journal is read at the start of every command, so it is checked by hand rather than loading zod. */
function isJournalEntry(v: unknown): v is JournalEntry {
  if (typeof v !== 'object' || v === null) return false;
  const e = v as Record<string, unknown>;
  const text = (k: string): boolean => typeof e[k] === 'string';
  return e['version'] === 1 && text('target') && text('snapshotId') && text('safetyId') && text('startedAt')
    && (e['paths'] === null || (Array.isArray(e['paths']) && e['paths'].every((p) => typeof p === 'string')))
    && (e['kind'] === 'rollback' || e['kind'] === 'undo') && Number.isInteger(e['pid']);
}

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
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return [];
      throw err;
    }
    const out: JournalEntry[] = [];
    for (const name of names) {
      if (!name.endsWith('.json')) continue;
      const entry = await this.readFile(path.join(this.dir, name));
      if (entry) out.push(entry);
    }
    return out;
  }

  private async readFile(file: string): Promise<JournalEntry | null> {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return null;
      throw err;
    }
    let raw: unknown;
    try { raw = JSON.parse(text); } catch { raw = null; }
    if (!isJournalEntry(raw)) throw new Error(`the rollback journal ${file} is damaged; the folder may be half restored: move the file aside and roll back again`);
    return raw;
  }
}
