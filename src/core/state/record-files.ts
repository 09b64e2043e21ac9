import { readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import type { SnapshotRecord } from '../../shared/model.js';
import { nullIfMissing } from '../base/errors.js';
import { mkdirPrivate } from '../base/private-fs.js';
import { writeFileAtomic } from './atomic-write.js';
import { checkStoreFile } from './store-file.js';

/**
 * Each snapshot's own record, one file per snapshot, written before the index (store.json) names it and
 * removed before the index forgets it: the index can always be rebuilt from these (see SnapshotStore).
 */
export class RecordFiles {
  constructor(readonly dir: string) {}

  private file(id: string): string {
    return path.join(this.dir, `${id}.json`);
  }

  async write(record: SnapshotRecord): Promise<void> {
    await mkdirPrivate(this.dir);
    // No fsync: the index written next is fsynced, and a record lost to a power cut costs only its tag and
    // trigger in a rebuild (the snapshot itself is rebuilt from its manifest).
    await writeFileAtomic(this.file(record.id), JSON.stringify(record), { fsync: false });
  }

  async remove(id: string): Promise<void> {
    await rm(this.file(id), { force: true });
  }

  /** The record of `id`, or null when it has none or it cannot be read as one. */
  async read(id: string): Promise<SnapshotRecord | null> {
    const text = await readFile(this.file(id), 'utf8').catch(nullIfMissing);
    const record = text === null ? null : parseRecord(text);
    return record?.id === id ? record : null;
  }

  /** Every readable record, and the files that could not be read as one (kept, and named to the user). */
  async readAll(): Promise<{ records: SnapshotRecord[]; damaged: string[] }> {
    const records: SnapshotRecord[] = [];
    const damaged: string[] = [];
    for (const name of (await readdir(this.dir).catch(nullIfMissing)) ?? []) {
      if (!name.endsWith('.json')) continue;
      const file = path.join(this.dir, name);
      const text = await readFile(file, 'utf8').catch(nullIfMissing);
      if (text === null) continue;
      const record = parseRecord(text);
      if (record && `${record.id}.json` === name) records.push(record);
      else damaged.push(file);
    }
    return { records, damaged };
  }
}

function parseRecord(text: string): SnapshotRecord | null {
  let raw: unknown;
  try { raw = JSON.parse(text); } catch { return null; }
  const checked = checkStoreFile({ version: 1, snapshots: [raw], rollbacks: [] });
  return checked.ok ? (checked.store.snapshots[0] ?? null) : null;
}
