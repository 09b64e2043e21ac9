/**
 * Where a restore writes files before moving them into place: a folder of its own at the top of the folder
 * being restored, named with the restore's token (the safety snapshot's id, kept in its journal), so a re-run
 * after a crash finds and removes exactly its own leftovers and a user's file is never taken for one.
 */
export function tempDirName(token: string): string {
  return `.snapctl-restore-${token}`;
}
