/** The names a restore writes beside a path before renaming them into place. */
export const RESTORE_TEMP_PREFIX = '.snapctl-restore-';

/** snapctl's own half-written restore files are never part of a snapshot. */
export function isRestoreTemp(relPath: string): boolean {
  // The last segment, found without path.posix.basename (called for every entry of every walk).
  return relPath.startsWith(RESTORE_TEMP_PREFIX, relPath.lastIndexOf('/') + 1);
}
