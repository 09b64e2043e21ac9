import { constants as fsConstants } from 'node:fs';
import { appendFile } from 'node:fs/promises';
import { describeError } from '../base/errors.js';
import type { Trace } from '../base/trace.js';
import { IndexBuilder, emptyIndex, entriesAt, makeDelta, markSkipped, removeSnapshots, serialiseDelta, type IndexDelta, type IndexHeader, type PathIndexData } from '../history/path-index.js';
import type { SnapshotProvider } from '../providers/provider.js';
import { applyChanges } from '../providers/snapshot-changes.js';
import type { ManifestEntry } from '../tree/manifest.js';
import type { ProviderName, SnapshotRecord } from '../../shared/model.js';

/**
 * The path index's catch-up: bringing a folder's index (history.ts) up to date with snapshots taken without
 * it, from the log of what the filesystem says changed (btrfs, ZFS) or from the snapshots themselves.
 */

/** Written again every so many snapshots while the index is built, so a killed build keeps its work. */
const CHECKPOINT = 100;

/** The index file's text and header (`main`), and its log's deltas; `header` is `main` with them folded in. */
export interface IndexState { text: string; main: IndexHeader; header: IndexHeader; deltas: IndexDelta[]; log: string }

/** The index's files as its keeper (history.ts `FileHistory`) reads and writes them. */
export interface IndexKeeper {
  readState(target: string): Promise<IndexState | null>;
  loadParsed(target: string): Promise<PathIndexData | null>;
  write(index: PathIndexData): Promise<void>;
  compactLog(target: string): Promise<void>;
  logFile(target: string): string;
}

export interface CatchUpDeps {
  provider: (name: ProviderName) => SnapshotProvider;
  trace?: Trace | undefined;
}

/** Brings the folder's index up to date with `again`, its snapshots now; the caller holds the folder's lock. */
export async function catchUp(keeper: IndexKeeper, deps: CatchUpDeps, target: string, again: readonly SnapshotRecord[]): Promise<void> {
  if (await appendChanges(keeper, deps, target, again)) return;
  const index = (await keeper.loadParsed(target)) ?? emptyIndex(target);
  if (covers(headerOf(index), again)) return;
  const wanted = new Set(again.map((r) => r.id));
  removeSnapshots(index, [...index.snapshots.keys()].filter((id) => !wanted.has(id)));
  let sinceWrite = 0;
  const builder = new IndexBuilder(index);
  // The snapshot just before, in time: what the next one is read against where the filesystem can tell
  // what changed between them (btrfs, ZFS); its entries are known once read, else taken from the index.
  let before: { record: SnapshotRecord; entries: readonly ManifestEntry[] | null } | null = null;
  for (const r of [...again].sort((a, b) => -newestFirstRecord(a, b))) {
    if (index.snapshots.has(r.id)) { before = index.skipped.has(r.id) ? null : { record: r, entries: null }; continue; }
    try {
      const entries = await entriesOf(deps, r, before, index);
      builder.add(r.id, entries);
      before = { record: r, entries };
    } catch (err) {
      markSkipped(index, r.id, describeError(err));
      before = null;
    }
    if (++sinceWrite >= CHECKPOINT) { await keeper.write(index); sinceWrite = 0; }
  }
  await keeper.write(index);
}

/**
 * Catches a whole index up with snapshots taken after all it covers, where the filesystem tells what each
 * changed since the one before (btrfs, ZFS): one line appended to the log per snapshot, as a create of
 * clone's appends, so neither the index nor any snapshot's tree is read. False when that cannot be done (no
 * whole index, a snapshot deleted or older than one covered, a provider without it, a difference it cannot
 * vouch for): the caller reads the index and the snapshots instead. The caller holds the folder's lock.
 */
async function appendChanges(keeper: IndexKeeper, deps: CatchUpDeps, target: string, records: readonly SnapshotRecord[]): Promise<boolean> {
  const state = await keeper.readState(target);
  if (!state) return false;
  const ids = new Set(records.map((r) => r.id));
  if ([...state.header.snapshots.keys()].some((id) => !ids.has(id))) return false;
  const ordered = [...records].sort((a, b) => -newestFirstRecord(a, b));
  const first = ordered.findIndex((r) => !state.header.snapshots.has(r.id));
  if (first <= 0 || ordered.slice(first).some((r) => state.header.snapshots.has(r.id))) return false;
  const trace = deps.trace ?? ((): void => undefined);
  for (let i = first; i < ordered.length; i++) {
    const before = ordered[i - 1] as SnapshotRecord;
    const record = ordered[i] as SnapshotRecord;
    const provider = deps.provider(record.provider);
    // What was appended stays: the read of the index that follows folds it in and reads only the rest.
    if (before.provider !== record.provider || state.header.skipped.has(before.id) || !provider.changesBetween) return false;
    const olderEntries = async (): Promise<readonly ManifestEntry[] | null> => {
      const index = await keeper.loadParsed(target);
      return index ? entriesAt(index, before.id) : null;
    };
    const changes = await provider.changesBetween(before, record, { olderEntries, trace });
    if (!changes) return false;
    // The paths that changed, with their entries, and those gone: what a create's delta against its base holds.
    const delta: IndexDelta = { ...makeDelta(target, record.id, changes.changed, null), base: before.id, removed: changes.removed };
    try {
      await appendFile(keeper.logFile(target), serialiseDelta(delta), { mode: 0o600, flag: fsConstants.O_WRONLY | fsConstants.O_APPEND | fsConstants.O_CREAT | fsConstants.O_NOFOLLOW });
    } catch {
      // A log that cannot be appended to (a link put in its place is never followed): the index is built again.
      return false;
    }
  }
  await keeper.compactLog(target);
  return true;
}

/**
 * What `record` holds, for the index: the snapshot before it with what the filesystem says changed between
 * the two (only those paths looked at), else a walk of its tree.
 */
async function entriesOf(deps: CatchUpDeps, record: SnapshotRecord, before: { record: SnapshotRecord; entries: readonly ManifestEntry[] | null } | null, index: PathIndexData): Promise<readonly ManifestEntry[]> {
  const provider = deps.provider(record.provider);
  const trace = deps.trace ?? ((): void => undefined);
  if (before && before.record.provider === record.provider && provider.changesBetween) {
    const olderEntries = before.entries ?? entriesAt(index, before.record.id);
    const changes = olderEntries ? await provider.changesBetween(before.record, record, { olderEntries, trace }) : null;
    if (olderEntries && changes) return applyChanges(olderEntries, changes);
    if (!olderEntries) trace(`index of ${record.target}: walked ${record.id} (the index cannot give back what ${before.record.id} holds)`);
  }
  trace(`index of ${record.target}: walked ${record.id}`);
  return provider.listEntries(record);
}

export function headerOf(index: IndexHeader): IndexHeader {
  return { target: index.target, nextSeq: index.nextSeq, snapshots: index.snapshots, skipped: index.skipped };
}

export function covers(header: IndexHeader, records: readonly SnapshotRecord[]): boolean {
  if (header.snapshots.size !== records.length) return false;
  return records.every((r) => header.snapshots.has(r.id));
}

export function newestFirstRecord(a: SnapshotRecord, b: SnapshotRecord): number {
  return a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}
