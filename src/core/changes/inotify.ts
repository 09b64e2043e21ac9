import { createRequire } from 'node:module';

/**
 * inotify(7) through koffi (the prebuilt N-API foreign-function binding holes.ts already uses), read by us
 * rather than through @parcel/watcher on Linux: its inotify backend (src/linux/InotifyBackend.cc) drops the
 * kernel's overflow event without a word (`if ((event->mask & IN_Q_OVERFLOW) == IN_Q_OVERFLOW) { // overflow
 * continue; }` in handleEvents), forgets a folder created later whose inotify_add_watch fails (ENOSPC:
 * `sub->tree->remove(path); return false;` in handleSubscription, no error reported), and keeps the old paths
 * of the folders inside a renamed folder (only the renamed folder's own subscription is erased), so events
 * there are named by paths that no longer exist. Each of those would be a journal saying "tracked" after lost
 * events; here each is seen and said.
 */

export const IN = {
  MODIFY: 0x2, ATTRIB: 0x4, MOVED_FROM: 0x40, MOVED_TO: 0x80, CREATE: 0x100, DELETE: 0x200, DELETE_SELF: 0x400,
  MOVE_SELF: 0x800, UNMOUNT: 0x2000, Q_OVERFLOW: 0x4000, IGNORED: 0x8000, ONLYDIR: 0x1000000, DONT_FOLLOW: 0x2000000,
  EXCL_UNLINK: 0x4000000, ISDIR: 0x40000000,
} as const;

/** Every change a snapshot sees: contents, metadata, names made, removed and moved; the watched folder itself. */
export const WATCH_MASK = IN.MODIFY | IN.ATTRIB | IN.MOVED_FROM | IN.MOVED_TO | IN.CREATE | IN.DELETE | IN.DELETE_SELF
  | IN.MOVE_SELF | IN.ONLYDIR | IN.DONT_FOLLOW | IN.EXCL_UNLINK;

/** IN_NONBLOCK and IN_CLOEXEC (O_NONBLOCK, O_CLOEXEC on x86-64 and arm64, the Linux builds shipped). */
const INIT_FLAGS = 0o4000 | 0o2000000;

export interface RawEvent {
  wd: number;
  mask: number;
  cookie: number;
  /** The name inside the watched folder, as bytes (names.ts decodes them as a walk does); empty for the folder itself. */
  name: Buffer;
}

interface Native {
  init: (flags: number) => number;
  add: (fd: number, path: Buffer, mask: number) => number;
  rm: (fd: number, wd: number) => number;
  read: (fd: number, buf: Buffer, size: number) => number;
  close: (fd: number) => number;
  errno: () => number;
  codes: Record<string, number>;
}

let loaded: Native | null | undefined;

function native(): Native | null {
  if (loaded !== undefined) return loaded;
  loaded = null;
  if (process.platform !== 'linux' || (process.arch !== 'x64' && process.arch !== 'arm64')) return loaded;
  try {
    type Fn = (...args: never[]) => number;
    type Koffi = { load: (name: string | null) => { func: (signature: string) => Fn }; errno: () => number; os: { errno: Record<string, number> } };
    const koffi = createRequire(import.meta.url)('koffi') as Koffi;
    const lib = koffi.load(null);
    loaded = {
      init: lib.func('int inotify_init1(int flags)') as unknown as Native['init'],
      add: lib.func('int inotify_add_watch(int fd, const uint8_t *path, uint32_t mask)') as unknown as Native['add'],
      rm: lib.func('int inotify_rm_watch(int fd, int wd)') as unknown as Native['rm'],
      read: lib.func('intptr_t read(int fd, _Out_ uint8_t *buf, size_t count)') as unknown as Native['read'],
      close: lib.func('int close(int fd)') as unknown as Native['close'],
      errno: () => koffi.errno(),
      codes: koffi.os.errno,
    };
  } catch {
    loaded = null;
  }
  return loaded;
}

/** Whether this system can be watched through inotify here. */
export function inotifyAvailable(): boolean {
  return native() !== null;
}

/** An error of one inotify call, with the errno's name (ENOSPC, ENOENT...). */
export class InotifyError extends Error {
  constructor(readonly call: string, readonly code: string) {
    super(`${call} failed: ${code}`);
  }
}

/** One inotify instance: its queue holds `fs.inotify.max_queued_events` events, read at creation. */
export class Inotify {
  private readonly buf = Buffer.alloc(64 * 1024);
  private closed = false;

  private constructor(private readonly n: Native, readonly fd: number) {}

  static open(): Inotify {
    const n = native();
    if (!n) throw new InotifyError('inotify', 'ENOSYS');
    const fd = n.init(INIT_FLAGS);
    if (fd < 0) throw new InotifyError('inotify_init1', codeName(n));
    return new Inotify(n, fd);
  }

  /** The watch descriptor, or the errno's name when the folder cannot be watched. */
  add(absPath: Buffer): number | string {
    const wd = this.n.add(this.fd, Buffer.concat([absPath, Buffer.from([0])]), WATCH_MASK);
    return wd >= 0 ? wd : codeName(this.n);
  }

  remove(wd: number): void {
    if (!this.closed) this.n.rm(this.fd, wd);
  }

  /** Every event queued now (none when the queue is empty); never waits. */
  drain(): RawEvent[] {
    const events: RawEvent[] = [];
    while (!this.closed) {
      const got = this.n.read(this.fd, this.buf, this.buf.length);
      if (got < 0) {
        const code = codeName(this.n);
        if (code === 'EAGAIN' || code === 'EINTR') break;
        throw new InotifyError('read', code);
      }
      if (got === 0) break;
      for (let at = 0; at + 16 <= got;) {
        const len = this.buf.readUInt32LE(at + 12);
        const raw = this.buf.subarray(at + 16, at + 16 + len);
        const nul = raw.indexOf(0);
        events.push({ wd: this.buf.readInt32LE(at), mask: this.buf.readUInt32LE(at + 4), cookie: this.buf.readUInt32LE(at + 8), name: Buffer.from(nul === -1 ? raw : raw.subarray(0, nul)) });
        at += 16 + len;
      }
    }
    return events;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.n.close(this.fd);
  }
}

function codeName(n: Native): string {
  const errno = n.errno();
  for (const [name, value] of Object.entries(n.codes)) if (value === errno) return name;
  return `errno ${errno}`;
}
