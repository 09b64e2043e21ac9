import { lstat } from 'node:fs/promises';
import path from 'node:path';
import { fsPath } from '../tree/names.js';

/**
 * The paths a rollback of `paths` only must also take: a folder on the way to one of them that stands in
 * the folder now as a file or a link (`d` for `d/x.txt`) has to be replaced to put the path back. Taken as
 * paths of their own, they are named in the preview and the result, kept by the safety snapshot and put
 * back by the undo, instead of being removed in passing.
 */
export async function withBlockingAncestors(target: string, paths: readonly string[] | null, heldAsFolder: (rel: string) => Promise<boolean>): Promise<string[] | null> {
  if (paths === null) return null;
  const blocking = new Set<string>();
  for (const p of paths) {
    const parts = p.split('/');
    for (let i = 1; i < parts.length; i++) {
      const up = parts.slice(0, i).join('/');
      const st = await lstat(fsPath(path.join(target, up))).catch(() => null);
      if (!st) break;
      // Only where the snapshot holds folders there and all the way down to the path: a link it holds on the
      // way (there or below) is refused by the restore, as before, whatever stands in the folder now.
      if (!st.isDirectory()) { if (await allFolders(parts.slice(0, -1), i, heldAsFolder)) blocking.add(up); break; }
    }
  }
  if (blocking.size === 0) return [...paths];
  // The folder taken whole holds the paths asked for below it: each path once, never inside another.
  const under = (p: string): boolean => [...blocking].some((b) => p.startsWith(`${b}/`));
  return [...new Set([...paths.filter((p) => !under(p)), ...blocking])];
}

/** Whether the snapshot holds a folder at each of the first `from`.. `parts.length` prefixes of `parts`. */
async function allFolders(parts: readonly string[], from: number, heldAsFolder: (rel: string) => Promise<boolean>): Promise<boolean> {
  for (let i = from; i <= parts.length; i++) if (!(await heldAsFolder(parts.slice(0, i).join('/')))) return false;
  return true;
}
