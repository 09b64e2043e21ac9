import path from 'node:path';
import { SnapctlError, usageError } from '../base/errors.js';
import { chooseProvider, type ProviderChoice } from '../providers/detect.js';
import { parseSnapshotId } from '../state/ids.js';
import { ID_PATTERN, newestFirst, oneLine, type RollbackRecord, type SnapshotRecord } from '../../shared/model.js';
import { plural } from '../../shared/format.js';
import type { ServiceContext } from './context.js';
import { resolveTarget } from './targets.js';

/** A folder's (or every folder's) snapshots, newest first. */
export async function listSnapshots(ctx: ServiceContext, filter: { target?: string } = {}): Promise<SnapshotRecord[]> {
  const { snapshots } = await ctx.store.read();
  const out = filter.target ? snapshots.filter((s) => s.target === filter.target) : [...snapshots];
  return out.sort(newestFirst);
}

export async function getSnapshot(ctx: ServiceContext, id: unknown): Promise<SnapshotRecord> {
  const valid = parseSnapshotId(id);
  const found = (await ctx.store.read()).snapshots.find((s) => s.id === valid);
  if (!found) throw new SnapctlError('not-found', `no snapshot ${valid}`, "run 'snapctl list' to see the snapshots");
  return found;
}

/** A snapshot whose data still exists, to roll back to or compare with. */
export async function readySnapshot(ctx: ServiceContext, id: unknown): Promise<SnapshotRecord> {
  const record = await getSnapshot(ctx, id);
  // A damaged snapshot may still be rolled back: the check before any change refuses it if it needs the
  // damaged paths (a partial rollback of others works).
  if (record.state === 'vanished') {
    throw new SnapctlError('not-found', `snapshot ${record.id} is ${record.state}: its data no longer exists`, `delete it with 'snapctl delete ${record.id}'`);
  }
  return record;
}

/** The folder a path names, as snapshots know it (real path, a folder, apart from the state folder). */
export async function resolveFolder(ctx: ServiceContext, input: string): Promise<string> {
  return resolveTarget(input, ctx.layout.root);
}

/** A folder that may no longer exist (deleted by mistake): known by its path when snapctl has state for it. */
export async function knownFolder(ctx: ServiceContext, input: string): Promise<string> {
  try {
    return await resolveFolder(ctx, input);
  } catch (err) {
    const typed = path.resolve(input);
    const { snapshots, rollbacks } = await ctx.store.read();
    if (snapshots.some((s) => s.target === typed) || rollbacks.some((r) => r.target === typed) || (await ctx.journal.exists(typed))) return typed;
    throw err;
  }
}

/** Which provider would snapshot `path`, and every provider's reason. */
export async function providerChoice(ctx: ServiceContext, pathInput: string): Promise<ProviderChoice> {
  return chooseProvider(await resolveFolder(ctx, pathInput), ctx.allProviders());
}

export async function lastRollback(ctx: ServiceContext): Promise<RollbackRecord | null> {
  const { rollbacks } = await ctx.store.read();
  return rollbacks[rollbacks.length - 1] ?? null;
}

/**
 * A snapshot id as a person types it: whole, a unique beginning of one, or `latest` (the folder's newest
 * ready snapshot that is not a safety snapshot). Ambiguity and no match are usage errors naming candidates.
 */
export async function resolveId(ctx: ServiceContext, input: string, options: { target?: string } = {}): Promise<string> {
  const text = input.trim();
  const { snapshots } = await ctx.store.read();
  if (text === 'latest') {
    if (!options.target) throw usageError("'latest' needs a folder", 'pass --path DIR, or run the command inside the folder');
    const mine = snapshots.filter((s) => s.target === options.target);
    const newest = mine.filter((s) => s.state === 'ready' && s.trigger !== 'safety').sort(newestFirst)[0];
    if (!newest) throw noLatest(options.target, mine);
    return newest.id;
  }
  if (ID_PATTERN.test(text)) return text;
  if (!/^[0-9a-f-]{1,22}$/.test(text)) throw usageError(`not a snapshot id: ${oneLine(text)}`, "ids look like 20261201-140200-1a2b3c; a unique beginning of one is enough, or its last six characters, or 'latest'");
  let matches = snapshots.filter((s) => s.id.startsWith(text)).sort(newestFirst);
  // The random end of an id (what tells a day's snapshots apart, and what a person copies) is taken too:
  // six hex digits, the whole of it, never a part that could later fit another.
  if (matches.length === 0 && /^[0-9a-f]{6}$/.test(text)) matches = snapshots.filter((s) => s.id.endsWith(`-${text}`)).sort(newestFirst);
  const only = matches[0];
  if (matches.length === 1 && only) return only.id;
  if (matches.length === 0) throw usageError(`no snapshot id starts with ${text}${/^[0-9a-f]{6}$/.test(text) ? ' or ends with it' : ''}`, "run 'snapctl list' to see them");
  const shown = matches.slice(0, 8).map((s) => `${s.id}${s.tag ? ` (${oneLine(s.tag)})` : ''}`).join(', ');
  throw usageError(`${text} is the beginning of ${matches.length} snapshot ids: ${shown}${matches.length > 8 ? ', …' : ''}`, 'type more of the id');
}

/** Why a folder has no 'latest', from what it does have: nothing, only safety snapshots, none ready. */
function noLatest(target: string, mine: readonly SnapshotRecord[]): SnapctlError {
  const take = `'snapctl create --path ${target}' takes one`;
  if (mine.length === 0) return usageError(`snapctl has no snapshot of ${target} yet, so there is no 'latest'`, take);
  const ready = mine.filter((s) => s.state === 'ready');
  if (ready.length > 0 && ready.every((s) => s.trigger === 'safety')) {
    return usageError(`${target} has only ${plural(ready.length, 'safety snapshot', 'safety snapshots')} (taken before rollbacks), and 'latest' never means one`,
      `name it by its id ('snapctl list --path ${target}' shows them), or ${take}`);
  }
  const states = [...new Set(mine.filter((s) => s.state !== 'ready').map((s) => s.state))].join(' or ');
  return usageError(`${target} has ${plural(mine.length, 'snapshot', 'snapshots')}, but none is ready (${states}), so there is no 'latest'`, `'snapctl list --path ${target}' shows them; ${take}`);
}
