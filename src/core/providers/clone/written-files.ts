import type { FileEntry } from '../../tree/manifest.js';

/** Paths remembered per folder at most: a rollback of a whole large folder is not kept whole in memory. */
const MAX_PATHS = 200_000;

/**
 * The files a restore wrote, as they are now (their new inode and ctime) with the object each holds and the
 * snapshot (`ref`) whose manifest keeps that object alive. A long-running process (the tray app, `snapctl
 * serve`) then knows their content without reading it: the next snapshot shares their objects, and the next
 * comparison decides them by hash, as git's index knows the files a checkout wrote. Only in memory: a fresh
 * process reads them as before.
 */
export class WrittenFiles {
  private readonly folders = new Map<string, Map<string, { ref: string; entry: FileEntry }>>();

  remember(root: string, ref: string, entry: FileEntry): void {
    let files = this.folders.get(root);
    if (!files) { files = new Map(); this.folders.set(root, files); }
    files.delete(entry.path);
    files.set(entry.path, { ref, entry });
    if (files.size > MAX_PATHS) files.delete(files.keys().next().value as string);
  }

  /**
   * What was written into `root` from snapshots whose manifest is still there (`alive`, asked once per
   * snapshot): an object is kept only while a manifest names it, and one deleted since may be collected.
   */
  async of(root: string, alive: (ref: string) => Promise<boolean>): Promise<FileEntry[]> {
    const files = this.folders.get(root);
    if (!files) return [];
    const refs = new Map<string, boolean>();
    for (const { ref } of files.values()) if (!refs.has(ref)) refs.set(ref, await alive(ref));
    const out: FileEntry[] = [];
    for (const [p, { ref, entry }] of files) {
      if (refs.get(ref) === true) out.push(entry); else files.delete(p);
    }
    return out;
  }

  forget(root: string): void {
    this.folders.delete(root);
  }
}
