import { stat } from 'node:fs/promises';
import path from 'node:path';
import { SnapctlError, describeError, errnoCode, usageError } from '../base/errors.js';
import { phaseTrace, type Trace } from '../base/trace.js';
import { chooseProvider } from '../providers/detect.js';
import { CreateStopped, type CreateRequest, type CreatedSnapshot } from '../providers/provider.js';
import { newSnapshotId } from '../state/ids.js';
import { excludeMatcher, excludePatternProblem } from '../tree/excludes.js';
import { MOUNT_NOTE } from '../tree/mount-points.js';
import { oneLine, tagProblem, type ProviderName, type SnapshotRecord, type Trigger } from '../../shared/model.js';
import type { SnapshotInProgress } from '../../shared/api.js';
import { humanBytes } from '../../shared/format.js';
import type { ServiceContext } from './context.js';
import { throttledProgress } from './create-progress.js';
import { LowSpace, floorBytes, fsSpace, roomAfter, type FsSpace } from './free-space.js';
import { pruneForSpace } from './prune.js';
import { listSnapshots, resolveFolder } from './queries.js';
import { samePatterns, type ChangeFeed } from './change-feed.js';
import { collect } from './record-changes.js';
import { finishFirst } from './recovery.js';

export interface CreateOptions {
  /** The folder to snapshot, as the user gave it. */
  path: string;
  tag?: string | null;
  trigger?: Trigger;
  /** `auto` (the default) picks the filesystem's own snapshots where the folder has them, else clone. */
  provider?: ProviderName | 'auto';
  note?: string | null;
  /** Gitignore patterns left out of this snapshot, on top of the folder's excludes in the settings. */
  exclude?: readonly string[];
}

/** A new snapshot's record, with the paths it could not keep as they were (unreadable, changing, sockets). */
export type CreatedRecord = SnapshotRecord & { problems: { path: string; reason: string }[] };

export interface CreateLockedOptions {
  tag: string | null;
  trigger: Trigger;
  provider: ProviderName;
  note: string | null;
  /** For a rollback's safety snapshot: the snapshot about to be restored, a second base for sharing files. */
  restoring?: SnapshotRecord;
  trace?: Trace;
  inspect?: CreateRequest['inspect'];
  /** Patterns given for this snapshot only (`snapctl create --exclude`). */
  exclude?: readonly string[];
  /** A safety snapshot that must walk the whole folder (an undo with no bound: see rollback.ts). */
  whole?: boolean;
}

/** What a snapshot taken under the folder's lock leaves for a restore that follows under the same lock. */
export interface LockedSnapshot { record: SnapshotRecord; live: CreatedSnapshot['live']; problems: CreatedSnapshot['problems']; notHeld: string[] }

/** Takes a snapshot of a folder: the use case behind every trigger (schedule, popover, CLI, hooks, `snapctl run`). */
export async function createSnapshot(ctx: ServiceContext, options: CreateOptions): Promise<CreatedRecord> {
  const started = Date.now();
  const trigger = options.trigger ?? 'manual';
  const tag = parseTag(options.tag);
  const exclude = parseExcludes(options.exclude ?? []);
  const target = await resolveFolder(ctx, options.path);
  const providerName = !options.provider || options.provider === 'auto' ? (await chooseProvider(target, ctx.allProviders())).chosen : options.provider;
  const trace = phaseTrace('create', ctx.env);
  try {
    const record = await ctx.withTarget(target, async () => {
      trace('lock');
      await finishFirst(ctx, target);
      const o: CreateLockedOptions = { tag, trigger, provider: providerName, note: options.note ?? null, trace, exclude };
      try {
        const { record: made, problems } = await createLocked(ctx, target, o);
        return { ...made, problems };
      } catch (err) {
        // A scheduled snapshot makes room by what retention allows deleting anyway, then tries once more.
        if (!(err instanceof LowSpace) || trigger !== 'schedule') throw err;
        const pruned = await pruneForSpace(ctx, target, providerName, err.need);
        if (pruned === 0) throw err;
        try {
          const { record: made, problems } = await createLocked(ctx, target, o);
          return { ...made, problems };
        } catch (again) {
          if (again instanceof LowSpace) again.afterPruning(pruned);
          throw again;
        }
      }
    });
    ctx.emit({ type: 'snapshot-created', record, durationMs: Date.now() - started });
    return record;
  } catch (err) {
    if (err instanceof LowSpace) {
      ctx.emit({ type: 'snapshot-skipped', target, trigger, provider: providerName, reason: 'low_space', needBytes: err.need, freeBytes: err.space.free, floorBytes: err.floor, pruned: err.pruned, message: err.message });
    } else {
      ctx.emit({ type: 'snapshot-failed', target, trigger, provider: providerName, error: describeError(err), durationMs: Date.now() - started });
    }
    throw err;
  }
}

/**
 * Takes a snapshot; the caller holds the target's lock. Returns the provider's walk of the folder too, for
 * a restore that follows under the same lock.
 */
export async function createLocked(ctx: ServiceContext, target: string, o: CreateLockedOptions): Promise<LockedSnapshot> {
  const provider = ctx.provider(o.provider);
  const id = newSnapshotId();
  // A new state folder gets its (empty) index before the first snapshot's data, so that index is never
  // mistaken for a lost one; a lost one is rebuilt here, before this snapshot starts.
  if (!(await ctx.store.exists())) await ctx.store.update(() => undefined);
  // Only snapshots known whole share their files: a damaged one would pass its damage on.
  const mine = (await listSnapshots(ctx, { target })).filter((s) => s.provider === o.provider && s.state === 'ready');
  const latest = mine[0];
  // The snapshot last restored into the folder holds what a rollback just wrote: undo's safety snapshot
  // shares it instead of copying those files again.
  const { rollbacks } = await ctx.store.read();
  const lastRestoredId = [...rollbacks].reverse().find((r) => r.target === target)?.snapshotId;
  const lastRestored = mine.find((s) => s.id === lastRestoredId);
  const restoring = o.restoring?.state === 'ready' ? o.restoring : undefined;
  const bases = [latest, restoring, lastRestored].filter((b, i, all): b is SnapshotRecord => b !== undefined && b.provider === o.provider && all.findIndex((x) => x?.id === b.id) === i);
  const policy = await ctx.policy(target);
  const patterns = [...new Set([...policy.excludes, ...(o.exclude ?? [])])];
  const skip = provider.capabilities.walksOnCreate ? await excludeMatcher(patterns) : null;
  // The floor is kept by every snapshot but a rollback's safety snapshot: refusing that would refuse the
  // rollback, and it writes little (it shares what is unchanged). A full disk still stops it cleanly.
  const dataDir = ctx.dataDir(o.provider, target);
  let need = 0;
  const budget = async (bytes: number): Promise<void> => {
    need = bytes;
    if (o.trigger === 'safety') return;
    const space = await fsSpace(dataDir);
    if (!space) return;
    const floor = floorBytes(policy.floor, space.size);
    if (roomAfter(bytes, space, floor) < 0) throw new LowSpace(bytes, space, floor, target);
  };
  // Filesystem snapshots copy nothing: they need room only for their metadata, and the floor still holds.
  if (!provider.capabilities.walksOnCreate) await budget(0);
  // The running app's change journal: a mark before the walk starts (what changes from here on is the next
  // snapshot's), and what changed since the newest snapshot when the journal can vouch for it.
  const feed = provider.capabilities.walksOnCreate ? ctx.changes : undefined;
  const mark = feed ? await feed.mark(target).catch(() => null) : null;
  const recheck = feed && latest ? await mayChange(ctx, o, latest) : null;
  const narrow = feed && latest && recheck && samePatterns(latest, patterns) ? await narrowFrom(feed, target, latest.id, recheck) : undefined;
  await ctx.pendingCreates.begin({ id, provider: o.provider, target });
  const taking: SnapshotInProgress = { id, target, trigger: o.trigger, startedAt: new Date().toISOString(), progress: null };
  ctx.taking.set(id, taking);
  const progress = throttledProgress((p) => {
    taking.progress = p;
    ctx.emit({ type: 'snapshot-progress', ...taking, progress: p });
  });
  let created: CreatedSnapshot;
  try {
    created = await provider.create({ id, target, tag: o.tag, bases, ...(o.inspect ? { inspect: o.inspect } : {}), ...(o.trace ? { trace: o.trace } : {}), skip, cacheDirs: true, budget, progress, ...(narrow ? { narrow } : {}) });
    await assertStateNotInside(ctx, target, created.live, created.problems.filter((p) => p.reason === MOUNT_NOTE).map((p) => p.path));
  } catch (err) {
    ctx.taking.delete(id);
    await provider.settle(id).catch(() => undefined);
    await provider.discard?.(id, target).catch(() => undefined);
    // What it wrote is given back at once (a full disk, most often), as far as no other create shares it;
    // a create stopped by its inspection stored nothing.
    const given = err instanceof CreateStopped || err instanceof LowSpace || await collect(ctx, [o.provider]).then(() => true, () => false);
    await ctx.pendingCreates.end(id);
    throw outOfSpace(err, target, need, await fsSpace(dataDir).catch(() => null), given);
  }
  o.trace?.(`${o.provider} snapshot: the rest`);
  const record: SnapshotRecord = {
    id,
    provider: o.provider,
    target,
    tag: o.tag,
    trigger: o.trigger,
    createdAt: new Date().toISOString(),
    size: created.size,
    addedBytes: created.addedBytes,
    files: created.files,
    state: 'ready',
    ref: created.ref,
    note: o.note,
    ...(patterns.length > 0 || (created.cacheDirs ?? []).length > 0 ? { excluded: { patterns, cacheDirs: created.cacheDirs ?? [] } } : {}),
  };
  try {
    // The record beside the data first: from then on the snapshot survives the loss of the index.
    await ctx.recordsOf(o.provider).write(record);
    // A rebuild of a missing index under this update already finds the record beside the data.
    await ctx.store.update((store) => { if (!store.snapshots.some((s) => s.id === record.id)) store.snapshots.push(record); });
    await ctx.pendingCreates.end(id);
  } catch (err) {
    ctx.taking.delete(id);
    throw err;
  } finally {
    await provider.settle(created.ref);
  }
  feed?.recorded(target, id, mark, created.side, created.narrowed ?? false);
  o.trace?.('record it in the store');
  // Still under the folder's lock; a failure leaves the index stale, which the next query finds and mends.
  // The change is appended to the index's log (bench/README.md, "File history"); a rollback's safety
  // snapshot never pays for writing the whole index again.
  if (created.entries) {
    await ctx.history.added(record, created.entries, created.base ?? null, { compact: o.trigger !== 'safety' }).catch(() => undefined);
    o.trace?.('add it to the path index');
  }
  ctx.taking.delete(id);
  return { record, live: created.live, problems: created.problems, notHeld: created.notHeld ?? [] };
}

/**
 * The state folder must not be inside the folder by a way its path cannot show (a bind mount): a snapshot
 * would hold the store, and a rollback would remove it. Found by identity among the folders just walked.
 */
async function assertStateNotInside(ctx: ServiceContext, target: string, live: CreatedSnapshot['live'], mounts: readonly string[]): Promise<void> {
  if (!live) return;
  const home = await stat(ctx.layout.root).catch(() => null);
  if (!home) return;
  const ino = String(home.ino);
  // A walk never enters a mount point, so the state folder bind-mounted there is one of them (a snapshot
  // would leave it out, and a rollback alone, but a store mounted into its own folder is a mistake to say).
  const suspects = [...live.filter((e) => e.type === 'dir' && e.ino === ino).map((e) => e.path), ...mounts];
  for (const rel of suspects) {
    const inside = path.join(target, rel);
    const st = await stat(inside).catch(() => null);
    if (st?.dev === home.dev && st.ino === home.ino) {
      throw usageError(`${inside} is snapctl's own data folder ${ctx.layout.root}, mounted inside ${target}`, 'unmount it, or set SNAPCTL_HOME to a folder outside the project; nothing was changed');
    }
  }
}

function parseTag(tag: string | null | undefined): string | null {
  if (tag === undefined || tag === null || tag === '') return null;
  const problem = tagProblem(tag);
  if (problem) throw usageError(`invalid tag: ${problem}`);
  return tag;
}

/** `--exclude` patterns as typed: each one checked, a bad one a usage error that names it. */
function parseExcludes(patterns: readonly string[]): string[] {
  for (const p of patterns) {
    const problem = excludePatternProblem(p);
    if (problem) throw usageError(`invalid exclude pattern "${oneLine(p)}": ${problem}`, 'patterns use gitignore syntax, e.g. node_modules/ or *.log; nothing was changed');
  }
  return [...patterns];
}

/**
 * A snapshot that ran out of space part way, in words that say what it needed and whether what it wrote
 * (objects, manifest, record, pending marker) was given back (`given`): on a disk too full even for the
 * clean-up it says so. Any other error is returned as it is.
 */
function outOfSpace(err: unknown, target: string, need: number, space: FsSpace | null, given: boolean): unknown {
  const code = errnoCode(err);
  if (code !== 'ENOSPC' && code !== 'EDQUOT') return err;
  return new SnapctlError('failed', `the snapshot of ${target} ran out of space part way (${code === 'ENOSPC' ? 'the disk is full' : 'the disk quota is used up'}): ` +
    `it needed about ${humanBytes(need)}${space ? ` and ${humanBytes(space.free)} is free now` : ''}; ${given ? 'everything it wrote was removed' : 'what it wrote could not all be removed yet (the disk was too full even for that)'}`,
  given ? 'free some space (delete old snapshots, add excludes for caches), then take it again' : "free a little space, then run 'snapctl prune', which gives back what the snapshot left; then take it again");
}

/**
 * The journal's paths since the folder's newest snapshot, when it vouches for them and kept that walk's side
 * lists, with `recheck`: paths looked at again whatever the journal says.
 */
async function narrowFrom(feed: ChangeFeed, target: string, baseId: string, recheck: readonly string[]): Promise<CreateRequest['narrow']> {
  const since = await feed.since(target, baseId).catch(() => null);
  if (!since?.tracked || !since.side) return undefined;
  const paths = recheck.length > 0 ? [...new Set([...since.paths, ...recheck])] : since.paths;
  return { baseId, paths, ...(since.inodes ? { inodes: since.inodes } : {}), side: since.side };
}

/**
 * What a snapshot narrowed by the journal must look at again whatever the journal says: nothing for most
 * snapshots. A rollback's safety snapshot must hold exactly what the rollback will overwrite, and some changes
 * raise no event (a write through mmap, through a link's other name outside the folder). A rollback changes
 * only paths where the folder now differs from the snapshot it restores; outside the journal's paths the
 * folder is taken as the newest snapshot holds it, so those are the paths where the snapshot to restore
 * differs from the newest: each is looked at again. The rollback then changes nothing outside what this
 * snapshot looked at, and its undo is exact (see rollback-bound.ts). null: the whole folder is walked.
 */
async function mayChange(ctx: ServiceContext, o: CreateLockedOptions, latest: SnapshotRecord): Promise<readonly string[] | null> {
  if (o.trigger !== 'safety') return [];
  if (!o.restoring || o.whole === true) return null;
  return await ctx.provider(o.provider).differingPaths?.(latest, o.restoring).catch(() => null) ?? null;
}

