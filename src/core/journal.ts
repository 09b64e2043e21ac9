import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import { z } from 'zod';
import { errnoCode } from './errors.js';

/**
 * A rollback in progress, written before the first change to the target and removed after the last. If
 * snapctl dies in between, the next command finds it and finishes the restore (which is idempotent), so the
 * folder always ends up as the snapshot, with the state before it kept in the safety snapshot.
 */
export const journalSchema = z.object({
  version: z.literal(1),
  target: z.string(),
  snapshotId: z.string(),
  safetyId: z.string(),
  paths: z.array(z.string()).nullable(),
  kind: z.enum(['rollback', 'undo']),
  startedAt: z.string(),
  pid: z.number().int(),
});
export type JournalEntry = z.infer<typeof journalSchema>;

export function targetKey(target: string): string {
  return createHash('sha256').update(target).digest('hex').slice(0, 20);
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
    const parsed = journalSchema.safeParse(raw);
    if (!parsed.success) throw new Error(`the rollback journal ${file} is damaged; the folder may be half restored: move the file aside and roll back again`);
    return parsed.data;
  }
}
