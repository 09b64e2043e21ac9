import { usageError } from '../core/base/errors.js';
import { isWithin } from '../core/state/paths.js';
import { locateFile } from '../core/service/history.js';
import type { CommandContext } from './context.js';

/**
 * FILE as history, cat, restore take it: relative to the current folder or absolute, existing or not, inside
 * the watched folder that holds it (the deepest) or the one `--path` names.
 */
export async function fileArg(ctx: CommandContext, input: string, pathOption?: string): Promise<{ target: string; rel: string }> {
  const targets = pathOption !== undefined
    ? [await ctx.knownTarget(pathOption)]
    : [...new Set([...(await ctx.core().list()).map((s) => s.target), ...(await ctx.settings()).targets.map((t) => t.path)])];
  return locateFile(input, ctx.io.cwd, targets);
}

/** The watched folder holding the current folder (the deepest one), for `find` without --path. */
export async function folderHere(ctx: CommandContext): Promise<string> {
  const known = new Set([...(await ctx.core().list()).map((s) => s.target), ...(await ctx.settings()).targets.map((t) => t.path)]);
  const cwd = await ctx.core().resolveTarget(ctx.io.cwd).catch(() => ctx.io.cwd);
  const found = [...known].filter((t) => isWithin(t, cwd)).sort((a, b) => b.length - a.length)[0];
  if (!found) throw usageError('the current folder is not inside a folder snapctl has snapshots of', 'pass --path DIR');
  return found;
}
