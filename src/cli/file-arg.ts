import { realpath } from 'node:fs/promises';
import path from 'node:path';
import { usageError } from '../core/base/errors.js';
import { isWithin } from '../core/state/paths.js';
import { locateFile } from '../core/service/history.js';
import type { CommandContext } from './context.js';
import { listSnapshots, resolveFolder } from '../core/service/queries.js';

/**
 * FILE as history, cat, restore take it: relative to the current folder or absolute, existing or not, inside
 * the watched folder that holds it (the deepest) or the one `--path` names. With `--path DIR` run outside DIR,
 * a relative FILE is DIR's (`cat ID src/a.ts --path ~/app` from anywhere). Folders with snapshots are tried
 * before the settings, whose check loads zod (~70 ms of a query that must be quick to type into).
 */
export async function fileArg(ctx: CommandContext, input: string, pathOption?: string): Promise<{ target: string; rel: string }> {
  const found = pathOption === undefined ? [await located(ctx, input)] : await locatedIn(ctx, input, await ctx.knownTarget(pathOption));
  const holds = (f: Located): Promise<boolean> => ctx.core().history.holds(f.target, f.typed ?? f.rel);
  // Two readings of FILE (DIR's, the current folder's): the one the snapshots hold, else DIR's.
  const chosen = found.length > 1 ? await firstHeld(found, holds) ?? found[0] : found[0];
  if (!chosen) throw usageError('a file path is required');
  // A link now on the way (lib -> src) leads elsewhere than the path the snapshots hold as typed: that one wins.
  if (chosen.typed !== undefined && await ctx.core().history.holds(chosen.target, chosen.typed)) return { target: chosen.target, rel: chosen.typed };
  return { target: chosen.target, rel: chosen.rel };
}

type Located = Awaited<ReturnType<typeof locateFile>>;

async function located(ctx: CommandContext, input: string): Promise<Located> {
  const stored = [...new Set((await listSnapshots(ctx.core())).map((s) => s.target))];
  return locateFile(input, ctx.io.cwd, stored).catch(async () => locateFile(input, ctx.io.cwd, [...stored, ...(await ctx.settings()).targets.map((t) => t.path)]));
}

/**
 * FILE inside the folder `--path` names. Run inside it, a relative FILE is the current folder's; outside it,
 * the folder's, and the current folder's too when that reading lands inside the folder as well (run from
 * the folder above, `sub/a.ts --path sub` may mean either).
 */
async function locatedIn(ctx: CommandContext, input: string, target: string): Promise<Located[]> {
  const cwd = ctx.io.cwd;
  const inside = isWithin(target, path.resolve(cwd)) || isWithin(target, await realpath(cwd).catch(() => cwd));
  if (path.isAbsolute(input) || inside) return [await locateFile(input, cwd, [target], { named: true })];
  const theirs = await locateFile(input, target, [target], { named: true });
  const here = await locateFile(input, cwd, [target], { named: true }).catch(() => null);
  return here && here.rel !== theirs.rel ? [theirs, here] : [theirs];
}

async function firstHeld(found: readonly Located[], holds: (f: Located) => Promise<boolean>): Promise<Located | undefined> {
  for (const f of found) if (await holds(f)) return f;
  return undefined;
}

/** The watched folder holding the current folder (the deepest one), for `find` without --path. */
export async function folderHere(ctx: CommandContext): Promise<string> {
  const cwd = await resolveFolder(ctx.core(), ctx.io.cwd).catch(() => ctx.io.cwd);
  const deepest = (known: Iterable<string>): string | undefined => [...known].filter((t) => isWithin(t, cwd)).sort((a, b) => b.length - a.length)[0];
  const found = deepest(new Set((await listSnapshots(ctx.core())).map((s) => s.target))) ?? deepest((await ctx.settings()).targets.map((t) => t.path));
  if (!found) throw usageError('the current folder is not inside a folder snapctl has snapshots of', 'pass --path DIR');
  return found;
}
