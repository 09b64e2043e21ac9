import { hostname } from 'node:os';
import { readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { PROVIDER_NAMES, type ProviderName } from '../../shared/model.js';
import { isObject, isString } from '../base/checks.js';
import { nullIfMissing } from '../base/errors.js';
import { isFresh, mkdirPrivate, writeSmallFile } from '../base/private-fs.js';
import { isAlive } from './locks.js';

export interface PendingCreate {
  id: string;
  provider: ProviderName;
  target: string;
  pid: number;
  host: string;
}

/**
 * A marker per snapshot being taken, written before the provider makes anything and removed once the index
 * names it (or the failed create cleaned up): a create killed with -9 leaves its marker, and the next command
 * finishes it (the snapshot was complete and recorded beside its data) or removes what it left.
 */
const MARKER = /^\d{8}-\d{6}-[0-9a-f]{6}\.json$/;

export class PendingCreates {
  constructor(readonly dir: string) {}

  async begin(entry: Omit<PendingCreate, 'pid' | 'host'>): Promise<void> {
    await mkdirPrivate(this.dir);
    // No fsync: it guards against a killed process, whose writes the page cache keeps; after a power cut,
    // what a create left is unreferenced data that the next collection reclaims.
    await writeSmallFile(path.join(this.dir, `${entry.id}.json`), JSON.stringify({ ...entry, pid: process.pid, host: hostname() }));
  }

  async end(id: string): Promise<void> {
    await rm(path.join(this.dir, `${id}.json`), { force: true });
  }

  /** Creates whose process is gone (on this host); unreadable markers are removed: they were never begun. */
  async abandoned(): Promise<PendingCreate[]> {
    const out: PendingCreate[] = [];
    for (const name of (await readdir(this.dir).catch(nullIfMissing)) ?? []) {
      const file = path.join(this.dir, name);
      // A marker being written is not ours to judge; an unreadable one that old is a killed writer's (as are
      // the temporary files of atomic writes that earlier versions used for markers).
      if (!MARKER.test(name)) { if (!(await isFresh(file))) await rm(file, { force: true }); continue; }
      const entry = parse(await readFile(file, 'utf8').catch(() => ''));
      if (!entry || `${entry.id}.json` !== name) { if (!(await isFresh(file))) await rm(file, { force: true }); continue; }
      if (entry.host === hostname() && !isAlive(entry.pid)) out.push(entry);
    }
    return out;
  }
}

function parse(text: string): PendingCreate | null {
  let raw: unknown;
  try { raw = JSON.parse(text); } catch { return null; }
  if (!isObject(raw) || !isString(raw['id']) || !isString(raw['target']) || !isString(raw['host']) || !Number.isInteger(raw['pid'])) return null;
  const provider = raw['provider'];
  if (!isString(provider) || !(PROVIDER_NAMES as readonly string[]).includes(provider)) return null;
  return { id: raw['id'], target: raw['target'], host: raw['host'], pid: raw['pid'] as number, provider: provider as ProviderName };
}
