/**
 * The names a restore writes beside a path before renaming it into place: each restore has a token of its own
 * (the safety snapshot's id, kept in its journal), so a re-run after a crash removes exactly its own leftovers
 * and a user's file that merely starts with the same words is never taken for one.
 */
const PREFIX = '.snapctl-restore-';

export function tempPrefix(token: string): string {
  return `${PREFIX}${token}-`;
}

/** True when the last segment of `relPath` is a temporary file of the restore with `token`. */
export function isTempOf(relPath: string, token: string): boolean {
  return relPath.startsWith(tempPrefix(token), relPath.lastIndexOf('/') + 1);
}
