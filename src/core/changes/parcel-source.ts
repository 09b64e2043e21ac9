import { createRequire } from 'node:module';
import { lstatSync, realpathSync, type BigIntStats } from 'node:fs';
import path from 'node:path';
import { describeError } from '../base/errors.js';
import { isSyncCookie } from '../tree/temp-names.js';
import type { EventSink, EventSource } from './source.js';

/**
 * A folder watched through @parcel/watcher: FSEvents on macOS (and the Windows backend), where events name
 * real paths (links resolved) and FSEvents says when it dropped some (its MustScanSubDirs flags, which
 * parcel's FSEventsBackend.cc reports through the callback's error: "Events were dropped by the kernel...").
 * Not used on Linux (see inotify.ts for why). UNTESTED HERE: the CI machines and this project's test
 * machine are Linux; the macOS path is built behind a platform check and waits for a Mac to run the tests.
 */

type Watcher = typeof import('@parcel/watcher');

let loaded: Watcher | null | undefined;

function parcel(): Watcher | null {
  if (loaded === undefined) {
    try {
      loaded = createRequire(import.meta.url)('@parcel/watcher') as Watcher;
    } catch {
      loaded = null;
    }
  }
  return loaded;
}

export function parcelAvailable(): boolean {
  return parcel() !== null;
}

export class ParcelSource implements EventSource {
  private subscription: { unsubscribe(): Promise<void> } | null = null;
  private readonly real: string;

  constructor(root: string, private readonly sink: EventSink) {
    this.real = realpathSync(path.resolve(root));
  }

  async start(): Promise<void> {
    const w = parcel();
    if (!w) throw new Error('@parcel/watcher has no build for this system');
    this.subscription = await w.subscribe(this.real, (err, events) => {
      if (err) {
        this.sink.fault({ kind: /dropped|too many events/i.test(err.message) ? 'overflow' : 'error', reason: `the folder's watch lost events (${err.message}): its next snapshot looks at every file` });
        return;
      }
      for (const e of events) this.handle(e.path, e.type);
    });
  }

  private handle(abs: string, type: 'create' | 'update' | 'delete'): void {
    const rel = relativeTo(this.real, abs);
    if (rel === null) return;
    if (rel === '') {
      if (type === 'delete') this.sink.fault({ kind: 'moved', reason: 'the folder was moved or deleted while watched: its next snapshot looks at every file' });
      return;
    }
    if (isSyncCookie(rel)) {
      if (type === 'create') this.sink.cookie(rel);
      return;
    }
    this.sink.changed(rel);
    // As the inotify source does: a file with several names changed through this one changed the others too,
    // and no event names them (the events come from another thread, later: the name may be gone by then).
    if (type !== 'delete') {
      let st: BigIntStats | undefined;
      try { st = lstatSync(abs, { bigint: true, throwIfNoEntry: false }); } catch { return; }
      if (st?.isFile() && st.nlink > 1n) this.sink.linked(st.ino.toString());
    }
  }

  poll(): void {
    // Events are pushed by the watcher's thread.
  }

  async stop(): Promise<void> {
    const s = this.subscription;
    this.subscription = null;
    try {
      await s?.unsubscribe();
    } catch (err) {
      this.sink.fault({ kind: 'error', reason: `the folder's watch could not be stopped (${describeError(err)})` });
    }
  }

  watches(): number {
    return this.subscription ? 1 : 0;
  }
}

function relativeTo(real: string, abs: string): string | null {
  if (abs === real) return '';
  if (!abs.startsWith(`${real}${path.sep}`)) return null;
  return abs.slice(real.length + 1).split(path.sep).join('/');
}

/**
 * macOS only: the FSEvents event id the volume is at now, written to `file` (parcel's writeSnapshot), so a
 * fresh process can ask what changed since (changedSinceFile), across restarts of the app, as Time Machine
 * does. Null elsewhere: on Linux parcel's writeSnapshot is a crawl of the folder (brute force), not a journal.
 */
export async function writeEventId(root: string, file: string): Promise<string | null> {
  const w = parcel();
  if (process.platform !== 'darwin' || !w) return null;
  return w.writeSnapshot(realpathSync(path.resolve(root)), file);
}

/**
 * macOS only: the paths changed since the event id in `file` (written by writeEventId), replayed from the
 * volume's FSEvents history; null where it cannot say (another system, the history cannot vouch: the
 * replay's error), and the caller walks. Cookies are not needed here: the replay ends at HistoryDone.
 */
export async function changedSinceEventId(root: string, file: string): Promise<string[] | null> {
  const w = parcel();
  if (process.platform !== 'darwin' || !w) return null;
  const real = realpathSync(path.resolve(root));
  try {
    const events = await w.getEventsSince(real, file);
    const paths: string[] = [];
    for (const e of events) {
      const rel = relativeTo(real, e.path);
      if (rel === '') return null;
      if (rel !== null && !isSyncCookie(rel)) paths.push(rel);
    }
    return paths;
  } catch {
    return null;
  }
}
