import { watch, type FSWatcher } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';

/** What identifies one version of the index: a rewrite renames a new file into place. */
async function fingerprint(file: string): Promise<string> {
  const st = await stat(file).catch(() => null);
  return st ? `${st.ino}:${st.size}:${st.mtimeMs}` : 'absent';
}

/**
 * Calls `onChange` soon after the store's index changes, whoever changed it (a command, a hook, `snapctl run`,
 * this process): fs.watch on the state folder, and a periodic look at the index as the fallback, since
 * inotify drops events when its queue overflows and a watched folder may be replaced or not exist yet.
 */
export class StoreWatcher {
  private watcher: FSWatcher | null = null;
  private poller: NodeJS.Timeout | undefined;
  private debounce: NodeJS.Timeout | undefined;
  private last = '';
  private stopped = false;

  constructor(private readonly root: string, private readonly indexName: string, private readonly onChange: () => void, private readonly options: { pollMs?: number; debounceMs?: number } = {}) {}

  async start(): Promise<void> {
    this.last = await fingerprint(this.file);
    this.watchFolder();
    this.poller = setInterval(() => void this.check(), this.options.pollMs ?? 5_000);
    this.poller.unref();
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.poller);
    clearTimeout(this.debounce);
    this.watcher?.close();
    this.watcher = null;
  }

  private get file(): string {
    return path.join(this.root, this.indexName);
  }

  private watchFolder(): void {
    if (this.watcher || this.stopped) return;
    try {
      const w = watch(this.root, { persistent: false }, (_event, name) => {
        // Some platforms give no name: look at the index then too.
        if (name === null || name === this.indexName) this.soon();
      });
      w.on('error', () => { w.close(); if (this.watcher === w) this.watcher = null; });
      this.watcher = w;
    } catch {
      // No state folder yet, or no watching here: the periodic check covers it and tries again.
    }
  }

  /** A rewrite is a burst of events (temp file, rename): one look after it settles. */
  private soon(): void {
    clearTimeout(this.debounce);
    this.debounce = setTimeout(() => void this.check(), this.options.debounceMs ?? 200);
    this.debounce.unref();
  }

  private async check(): Promise<void> {
    if (this.stopped) return;
    this.watchFolder();
    const now = await fingerprint(this.file);
    if (now === this.last) return;
    this.last = now;
    try { this.onChange(); } catch { /* the observer's failure is its own */ }
  }
}
