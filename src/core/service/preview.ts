import { errnoCode, usageError } from '../base/errors.js';
import { readTreeFile } from '../providers/snapshot-files.js';
import { isGitPath } from '../tree/compare.js';
import { isSafeRelativePath } from '../tree/manifest.js';
import { shownName } from '../tree/names.js';
import type { DiffView, FileDiffView } from '../../shared/api.js';
import { withBlockingAncestors } from './blocking-ancestors.js';
import type { ServiceContext } from './context.js';
import { FILE_DIFF_MAX_BYTES, fileDiffView } from './file-diff.js';
import { gitImpact } from './git-impact.js';
import { snapshotLabel } from './labels.js';
import { listSnapshots, readySnapshot } from './queries.js';
import { samePatterns } from './change-feed.js';
import type { ProviderDiffOptions } from '../providers/provider.js';
import type { SnapshotRecord } from '../../shared/model.js';
import { assertRealFolder, heldAsFolderIn, leaveAloneOf } from './rollback-folder.js';
import { lockedRefusal, lockedWhy, unknownPaths } from './rollback-words.js';
import { unfinished } from './status.js';

/**
 * The preview of a rollback: what it would change (in the words its result uses), the unfinished rollback
 * of the folder it would meet first, and what it would do to each git repository of the folder.
 */
export async function previewRollback(ctx: ServiceContext, id: unknown, paths: string[] | null = null, options: { keepGit?: boolean } = {}): Promise<DiffView> {
  const record = await readySnapshot(ctx, id);
  const provider = ctx.provider(record.provider);
  const keepGit = options.keepGit ?? false;
  // A preview compares what a rollback would write into: the very folder, never one a link leads to.
  await assertRealFolder(record.target);
  const policy = await ctx.policy(record.target);
  const { filter: leaveAlone } = await leaveAloneOf(record, policy);
  const changes = await journalChanges(ctx, record, policy.excludes);
  const found = await provider.diff(record, await withBlockingAncestors(record.target, paths, heldAsFolderIn(provider, record)), {
    ...(keepGit ? { exclude: isGitPath } : {}), ...(leaveAlone ? { leaveAlone } : {}), ...(changes ? { changes } : {}),
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
 * What the running app's change journal saw since the folder's newest snapshot, when it vouches for it and that
 * snapshot was taken with the folder's excludes now: the preview then lists the folder from that snapshot and
 * these paths instead of walking it. Undefined (no app, not watched, anything it cannot vouch for): it walks.
 */
async function journalChanges(ctx: ServiceContext, record: SnapshotRecord, patterns: readonly string[]): Promise<ProviderDiffOptions['changes']> {
  if (!ctx.changes || record.provider !== 'clone') return undefined;
  const newest = (await listSnapshots(ctx, { target: record.target })).find((s) => s.provider === 'clone' && s.state === 'ready');
  if (!newest || !samePatterns(newest, patterns)) return undefined;
  const since = await ctx.changes.peek(record.target, newest.id).catch(() => null);
  return since?.tracked && since.side ? { base: newest, paths: since.paths, ...(since.inodes ? { inodes: since.inodes } : {}), side: since.side } : undefined;
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

