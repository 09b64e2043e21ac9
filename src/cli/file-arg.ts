import { usageError } from '../core/base/errors.js';
import { isWithin } from '../core/state/paths.js';
import { locateFile } from '../core/service/history.js';
import type { CommandContext } from './context.js';

/**
 * FILE as history, cat, restore take it: relative to the current folder or absolute, existing or not, inside
 * the watched folder that holds it (the deepest) or the one `--path` names. Folders with snapshots are tried
 * before the settings, whose check loads zod (~70 ms of a query that must be quick to type into).
 */
export async function fileArg(ctx: CommandContext, input: string, pathOption?: string): Promise<{ target: string; rel: string }> {
  const found = await located(ctx, input, pathOption);
  // A link now on the way (lib -> src) leads elsewhere than the path the snapshots hold as typed: that one wins.
  if (found.typed !== undefined && await ctx.core().history.holds(found.target, found.typed)) return { target: found.target, rel: found.typed };
  return { target: found.target, rel: found.rel };
}

async function located(ctx: CommandContext, input: string, pathOption?: string): Promise<Awaited<ReturnType<typeof locateFile>>> {
  if (pathOption !== undefined) return locateFile(input, ctx.io.cwd, [await ctx.knownTarget(pathOption)]);
  const stored = [...new Set((await ctx.core().list()).map((s) => s.target))];
  return locateFile(input, ctx.io.cwd, stored).catch(async () => locateFile(input, ctx.io.cwd, [...stored, ...(await ctx.settings()).targets.map((t) => t.path)]));
}

/** The watched folder holding the current folder (the deepest one), for `find` without --path. */
export async function folderHere(ctx: CommandContext): Promise<string> {
  const cwd = await ctx.core().resolveTarget(ctx.io.cwd).catch(() => ctx.io.cwd);
  const deepest = (known: Iterable<string>): string | undefined => [...known].filter((t) => isWithin(t, cwd)).sort((a, b) => b.length - a.length)[0];
  const found = deepest(new Set((await ctx.core().list()).map((s) => s.target))) ?? deepest((await ctx.settings()).targets.map((t) => t.path));
  if (!found) throw usageError('the current folder is not inside a folder snapctl has snapshots of', 'pass --path DIR');
  return found;
}
