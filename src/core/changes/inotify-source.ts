import { lstatSync, readdirSync, readFileSync, type BigIntStats, type Dirent } from 'node:fs';
import path from 'node:path';
import { errnoCode, describeError } from '../base/errors.js';
import { MountBoundary } from '../tree/mount-points.js';
import { fromBytes, toBytes } from '../tree/names.js';
import { isSyncCookie } from '../tree/temp-names.js';
import { IN, Inotify, type RawEvent } from './inotify.js';
import type { EventSink, EventSource } from './source.js';

/** The value to suggest when the watch limit is reached: what VS Code and JetBrains ask for. */
const SUGGESTED_WATCHES = 524288;

/**
 * A folder watched with inotify, one watch per folder inside it (inotify watches no trees), kept as folders
 * come, go and move: a folder made or moved in is watched before it is listed (so nothing made in it is
 * missed), and its path is reported changed (so a narrowed walk lists it whole); a folder moved out or away
 * has its watches removed (the kernel keeps them on the inodes, and their events would name old paths).
 * Filesystems mounted inside are not entered, as a walk does not enter them.
 */
export class InotifySource implements EventSource {
  private inotify: Inotify | null = null;
  private readonly pathOf = new Map<number, string>();
  private readonly wdOf = new Map<string, number>();
  private rootWd = -1;
  private boundary: MountBoundary = MountBoundary.none();
  private readonly rootBytes: Buffer;

  constructor(private readonly root: string, private readonly sink: EventSink) {
    this.rootBytes = toBytes(path.resolve(root));
  }

  async start(): Promise<void> {
    this.inotify = Inotify.open();
    this.boundary = MountBoundary.of(path.resolve(this.root));
    await this.watchTree('');
    this.rootWd = this.wdOf.get('') ?? -1;
  }

  watches(): number {
    return this.pathOf.size;
  }

  poll(): void {
    if (!this.inotify) return;
    let events: RawEvent[];
    try {
      events = this.inotify.drain();
    } catch (err) {
      this.sink.fault({ kind: 'error', reason: `the folder's watch failed (${describeError(err)}): its next snapshot looks at every file` });
      return;
    }
    for (const e of events) {
      try {
        this.handle(e);
      } catch (err) {
        // Never thrown out of a timer (it would end the app): an event not handled is an event lost.
        this.sink.fault({ kind: 'error', reason: `the folder's watch failed (${describeError(err)}): its next snapshot looks at every file` });
      }
    }
  }

  async stop(): Promise<void> {
    this.inotify?.close();
    this.inotify = null;
    this.pathOf.clear();
    this.wdOf.clear();
  }

  private handle(e: RawEvent): void {
    if (e.mask & IN.Q_OVERFLOW) {
      this.sink.fault({ kind: 'overflow', reason: 'more changes came at once than the system queues for a watch (fs.inotify.max_queued_events): its next snapshot looks at every file' });
      return;
    }
    const dir = this.pathOf.get(e.wd);
    if (dir === undefined) return; // a watch just removed: its last events name paths already reported
    if (e.mask & IN.UNMOUNT) {
      this.sink.fault({ kind: 'mount', reason: 'a filesystem inside the folder was unmounted: its next snapshot looks at every file' });
      return;
    }
    if (e.mask & IN.IGNORED) {
      this.forget(e.wd);
      if (e.wd === this.rootWd) this.sink.fault({ kind: 'moved', reason: 'the folder was deleted or replaced while watched: its next snapshot looks at every file' });
      return;
    }
    if (e.name.length === 0) {
      if (e.wd === this.rootWd && e.mask & (IN.DELETE_SELF | IN.MOVE_SELF)) this.sink.fault({ kind: 'moved', reason: 'the folder was moved or deleted while watched: its next snapshot looks at every file' });
      return;
    }
    const name = fromBytes(e.name);
    const rel = dir === '' ? name : `${dir}/${name}`;
    if (dir === '' && isSyncCookie(rel)) {
      if (e.mask & IN.CREATE) this.sink.cookie(rel);
      return;
    }
    this.sink.changed(rel);
    if (!(e.mask & IN.ISDIR)) {
      // Read now, while the name is likely still there: a second name's writes change the first one unseen.
      if (e.mask & (IN.CREATE | IN.MOVED_TO | IN.MODIFY | IN.ATTRIB)) this.noteLinks(Buffer.concat([this.rootBytes, Buffer.from('/'), toBytes(rel)]));
      return;
    }
    if (e.mask & IN.MOVED_FROM) this.forgetTree(rel);
    // Made, moved in, or made readable: watched (again) with all it holds.
    else if (e.mask & (IN.CREATE | IN.MOVED_TO) || (e.mask & IN.ATTRIB && !this.wdOf.has(rel))) void this.watchTree(rel, true);
  }

  /**
   * Watches `rel` and every folder in it; each folder is watched before it is listed. The first watch of the
   * whole folder lets the event loop run now and then; a folder made later is watched at once, before the
   * events after it are read, and is `late`: names were made in it before its watch, with no event. The
   * journal names the folder (a walk lists it whole), but a walk lists nothing below a cache folder or an
   * excluded one, so a second name made there for a file listed elsewhere would move that file's link count
   * and ctime unseen: each file found with several names is noted (`linked`), as an event's file is.
   */
  private async watchTree(rel: string, late = false): Promise<void> {
    const stack = [rel];
    let sinceYield = 0;
    while (stack.length > 0) {
      const dir = stack.pop() as string;
      const listed = this.watchOne(dir);
      if (!listed) continue;
      for (const d of listed) {
        const child = `${dir === '' ? '' : `${dir}/`}${fromBytes(d.name as unknown as Buffer)}`;
        if (d.isDirectory() && !this.boundary.listed(child)) stack.push(child);
        else if (late && d.isFile()) this.noteLinks(Buffer.concat([this.rootBytes, Buffer.from('/'), toBytes(child)]));
      }
      sinceYield += listed.length + 1;
      if (!late && sinceYield >= 2000) {
        sinceYield = 0;
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    }
  }

  /** A file with several names at `abs` now: its inode is noted (its other names changed too, unseen). */
  private noteLinks(abs: Buffer): void {
    let st: BigIntStats | undefined;
    try {
      st = lstatSync(abs, { bigint: true, throwIfNoEntry: false });
    } catch {
      return; // below a name that is no folder now (ENOTDIR), a loop, made unreadable: nothing to note
    }
    if (st?.isFile() && st.nlink > 1n) this.sink.linked(st.ino.toString());
  }

  /** Watches one folder and lists it; null when it is gone or cannot be watched. */
  private watchOne(dir: string): Dirent[] | null {
    if (!this.inotify) return null;
    const abs = dir === '' ? this.rootBytes : Buffer.concat([this.rootBytes, Buffer.from('/'), toBytes(dir)]);
    const wd = this.inotify.add(abs);
    if (typeof wd === 'string') {
      if (wd === 'ENOENT' || wd === 'ENOTDIR' || wd === 'ELOOP') return null;
      if (wd === 'ENOSPC') {
        const limit = readLimit('max_user_watches');
        const to = Math.max(SUGGESTED_WATCHES, (limit ?? 0) * 2);
        this.sink.fault({ kind: 'watch-limit', reason: `too many folders to watch: raise fs.inotify.max_user_watches${limit === null ? '' : ` (now ${limit})`} to ${to} (sysctl -w fs.inotify.max_user_watches=${to}, and in /etc/sysctl.d to keep it); until then snapshots look at every file` });
      } else {
        this.sink.fault({ kind: 'error', reason: `could not watch ${dir === '' ? 'the folder' : dir} (${wd}): its next snapshot looks at every file` });
      }
      return null;
    }
    const was = this.pathOf.get(wd);
    if (was !== undefined && was !== dir) this.wdOf.delete(was);
    this.pathOf.set(wd, dir);
    this.wdOf.set(dir, wd);
    try {
      return readdirSync(abs, { withFileTypes: true, encoding: 'buffer' }) as unknown as Dirent[];
    } catch (err) {
      if (['ENOENT', 'ENOTDIR', 'EACCES', 'EPERM'].includes(errnoCode(err) ?? '')) return null;
      throw err;
    }
  }

  private forget(wd: number): void {
    const dir = this.pathOf.get(wd);
    this.pathOf.delete(wd);
    if (dir !== undefined && this.wdOf.get(dir) === wd) this.wdOf.delete(dir);
  }

  /** A folder moved away: its watches and those below it go (a move back in watches them again). */
  private forgetTree(rel: string): void {
    const prefix = `${rel}/`;
    for (const [dir, wd] of [...this.wdOf]) {
      if (dir !== rel && !dir.startsWith(prefix)) continue;
      this.inotify?.remove(wd);
      this.forget(wd);
    }
  }
}

/** A value under /proc/sys/fs/inotify, or null. */
export function readLimit(name: 'max_user_watches' | 'max_queued_events'): number | null {
  try {
    const n = Number(readFileSync(`/proc/sys/fs/inotify/${name}`, 'utf8').trim());
    return Number.isSafeInteger(n) ? n : null;
  } catch {
    return null;
  }
}
