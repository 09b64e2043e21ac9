import { errnoCode, usageError } from '../base/errors.js';
import { readTreeFile } from '../providers/snapshot-files.js';
import { bothFilters, isGitPath } from '../tree/compare.js';
import { isSafeRelativePath } from '../tree/manifest.js';
import { shownName } from '../tree/names.js';
import type { DiffView, FileDiffView } from '../../shared/api.js';
import { withBlockingAncestors } from './blocking-ancestors.js';
import type { ServiceContext } from './context.js';
import { FILE_DIFF_MAX_BYTES, fileDiffView } from './file-diff.js';
import { gitImpact } from './git-impact.js';
import { snapshotLabel } from './labels.js';
import { getSnapshot, listSnapshots, readySnapshot } from './queries.js';
import { outsideRollback } from './rollback-bound.js';
import { samePatterns } from './change-feed.js';
import type { ProviderDiffOptions } from '../providers/provider.js';
import type { SnapshotRecord } from '../../shared/model.js';
import type { WalkSide } from '../tree/walk-changed.js';
import { assertRealFolder, heldAsFolderIn, leaveAloneOf } from './rollback-folder.js';
import { lockedRefusal, lockedWhy, unknownPaths } from './rollback-words.js';
import { unfinished } from './status.js';

/**
 * The preview of a rollback: what it would change (in the words its result uses), the unfinished rollback
 * of the folder it would meet first, and what it would do to each git repository of the folder.
 */
export async function previewRollback(ctx: ServiceContext, id: unknown, paths: string[] | null = null, options: { keepGit?: boolean; journal?: JournalAnswer | null; undoing?: unknown } = {}): Promise<DiffView> {
  const record = await readySnapshot(ctx, id);
  const provider = ctx.provider(record.provider);
  const keepGit = options.keepGit ?? false;
  // A preview compares what a rollback would write into: the very folder, never one a link leads to.
  await assertRealFolder(record.target);
  const policy = await ctx.policy(record.target);
  const { filter: leaveAlone } = await leaveAloneOf(record, policy);
  const changes = await listingBase(ctx, record, policy.excludes, options.journal !== undefined ? options.journal : await journalAnswer(ctx, record));
  // An undo's preview: only what its rollback changed, as the undo does (see outsideRollback).
  const untouched = options.undoing === undefined ? null : await outsideRollback(provider, record, await getSnapshot(ctx, options.undoing).catch(() => null));
  const exclude = bothFilters(keepGit ? isGitPath : undefined, untouched ?? undefined);
  const found = await provider.diff(record, await withBlockingAncestors(record.target, paths, heldAsFolderIn(provider, record)), {
    ...(exclude ? { exclude } : {}), ...(leaveAlone ? { leaveAlone } : {}), ...(changes ? { changes } : {}),
  });
  if (found.unknown && found.unknown.length > 0) throw await unknownPaths(record, found.unknown, leaveAlone, provider);
  const paths_ = found.git;
  const git = keepGit || !paths_ ? [] : await provider.read(record, (reader) => gitImpact(record.target, paths_, reader, ctx.env, [...found.removed, ...found.modified]));
  const alone = found.leftAlone ?? [];
  return {
    added: found.added, removed: found.removed, modified: found.modified, unfinished: await unfinished(ctx, record.target), git, keepGit,
    leftAlone: { count: alone.length, examples: alone.slice(0, 5) },
    ...(found.kept ? { kept: found.kept } : {}), ...(found.mounts ? { mounts: found.mounts } : {}),
    ...(found.refused ? { refused: found.refused.map((r) => ({ path: r.path, why: lockedWhy(r.flag) })), refusal: lockedRefusal(record, found.refused).line } : {}),
  };
}

/**
 * What the running app's change journal saw since the folder's newest clone snapshot (after a sync point), or
 * null when it cannot vouch for it. Plain data: the popover's preview runs in a worker thread (runtime/queries.ts),
 * which has no journal of its own, so the main thread asks it and passes the answer along.
 */
export interface JournalAnswer { baseId: string; paths: string[]; inodes: string[]; side: WalkSide }

export async function journalAnswer(ctx: ServiceContext, record: SnapshotRecord): Promise<JournalAnswer | null> {
  if (!ctx.changes || record.provider !== 'clone') return null;
  const newest = (await listSnapshots(ctx, { target: record.target })).find((s) => s.provider === 'clone' && s.state === 'ready');
  if (!newest) return null;
  const since = await ctx.changes.peek(record.target, newest.id).catch(() => null);
  return since?.tracked && since.side ? { baseId: newest.id, paths: [...since.paths], inodes: [...(since.inodes ?? [])], side: since.side } : null;
}

/** The journal's answer for `record`'s preview, when it is still of the folder's newest snapshot and that one was taken with its excludes now. */
async function listingBase(ctx: ServiceContext, record: SnapshotRecord, patterns: readonly string[], answer: JournalAnswer | null): Promise<ProviderDiffOptions['changes']> {
  if (!answer || record.provider !== 'clone') return undefined;
  const newest = (await listSnapshots(ctx, { target: record.target })).find((s) => s.provider === 'clone' && s.state === 'ready');
  if (newest?.id !== answer.baseId || !samePatterns(newest, patterns)) return undefined;
  return { base: newest, paths: answer.paths, inodes: answer.inodes, side: answer.side };
}

/** One file now against the snapshot's copy of it, as text lines (or why not: binary, too large, not a file). */
export async function fileDiff(ctx: ServiceContext, id: unknown, relPath: string): Promise<FileDiffView> {
  const record = await readySnapshot(ctx, id);
  if (!isSafeRelativePath(relPath)) throw usageError(`not a path inside the folder: ${shownName(relPath)}`);
  const now = await readTreeFile(record.target, relPath, FILE_DIFF_MAX_BYTES).catch((err: unknown) => {
    if (errnoCode(err) === 'ENOENT' || errnoCode(err) === 'ENOTDIR') return { kind: 'missing' } as const;
    throw err;
  });
  const then = await ctx.provider(record.provider).readFile(record, relPath, FILE_DIFF_MAX_BYTES);
  if (now.kind === 'missing' && then.kind === 'missing') throw usageError(`${shownName(relPath)} is in neither snapshot ${snapshotLabel(record)} nor the folder ${record.target}`);
  return await fileDiffView(relPath, now, then);
}

