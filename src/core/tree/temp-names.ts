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

/**
 * Exactly the names a restore makes: the prefix, a snapshot id as token and 12 hex digits. Only a name of this
 * very shape is taken for a leftover (one a kill -9 left): a walk leaves it out (a preview never lists it, a
 * snapshot never keeps it) and a restore, which holds the folder's lock, removes it.
 */
const RESTORE_TEMP = /^\.snapctl-restore-\d{8}-\d{6}-[0-9a-f]{6}-[0-9a-f]{12}$/;

/** True when the last segment of `relPath` is a temporary file of any restore. */
export function isRestoreTemp(relPath: string): boolean {
  return RESTORE_TEMP.test(relPath.slice(relPath.lastIndexOf('/') + 1));
}

/**
 * The change journal's sync cookies (core/changes): a file written in the folder's top and removed once its own
 * event is seen, as watchman and git's fsmonitor do. Exactly this shape (process id, watch generation, count),
 * and only in the folder's top, is one: a walk never lists it, so no snapshot keeps it and no diff shows it.
 */
const SYNC_COOKIE = /^\.snapctl-sync-\d{1,10}-\d{1,10}-\d{1,15}$/;

export function syncCookieName(pid: number, generation: number, count: number): string {
  return `.snapctl-sync-${pid}-${generation}-${count}`;
}

/** True when `relPath` is a sync cookie (see syncCookieName): a name in the folder's top of that shape. */
export function isSyncCookie(relPath: string): boolean {
  return relPath.charCodeAt(0) === 0x2e && !relPath.includes('/') && SYNC_COOKIE.test(relPath);
}
