import { randomBytes } from 'node:crypto';
import { lstatSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { errnoCode } from '../base/errors.js';
import { MountBoundary } from '../tree/mount-points.js';
import { fsPath } from '../tree/names.js';
import { syncCookieName } from '../tree/temp-names.js';
import { inotifyAvailable } from './inotify.js';
import { InotifySource } from './inotify-source.js';
import { parcelAvailable, ParcelSource } from './parcel-source.js';
import type { EventSink, EventSource, Fault, FaultKind } from './source.js';

/**
 * What changed in a folder since a mark, as git's fsmonitor answers: the paths, or "cannot say" with why.
 * `paths` are relative (`/`-separated, names as walk gives them); a folder stands for everything below it.
 * `inodes`: files with several names changed through one of them (every name of each changed too).
 */
export type ChangedSince = { tracked: true; paths: string[]; inodes: string[] } | Untracked;

export interface Untracked {
  tracked: false;
  kind: UntrackedKind;
  /** One line a user can act on. */
  reason: string;
}

export type UntrackedKind = FaultKind | 'not-watched' | 'restarted' | 'unknown-token' | 'too-many' | 'sync-timeout' | 'sync-failed';

/** An opaque mark: a point in one watch's stream of events (see ChangeJournal.mark). */
export type JournalToken = string & { readonly journalToken: unique symbol };

export interface JournalOptions {
  /** How long a sync waits for its cookie before saying it cannot vouch (default 5 s). */
  syncTimeoutMs?: number;
  /** More changed paths than this since a mark: a walk is cheaper than the list (default 20,000). */
  maxPaths?: number;
  /** Paths remembered in all; past it, older marks cannot be answered (default 200,000). */
  maxRemembered?: number;
  /** How often queued events are read while nobody asks (default 50 ms; a sync reads at once). */
  pollMs?: number;
  /** The event source (tests); by default inotify on Linux, @parcel/watcher elsewhere. */
  source?: (root: string, sink: EventSink) => EventSource;
}

/**
 * A folder's change journal: the paths changed since a mark, kept by a watch that runs as long as the
 * runtime does. It is a hint that narrows a walk, never the truth: an answer is given only after a sync
 * point (a cookie file written in the folder and its own event seen, as watchman and git's fsmonitor do:
 * every change made before the question is then known), and anything that breaks the stream (an overflow,
 * an error, the folder moved or replaced, a filesystem mounted or unmounted inside, the watch limit) makes
 * every mark of this watch unanswerable until it starts again. Each start is a new generation: a mark of
 * an earlier one (or of another process) is never answered, so a restart is never taken for "nothing changed".
 */
export class ChangeJournal {
  private readonly nonce = randomBytes(6).toString('hex');
  private generation = 0;
  private seq = 0;
  /** Marks at or below this cannot be answered (paths were forgotten to bound memory). */
  private floor = 0;
  private readonly paths = new Map<string, number>();
  private readonly inodes = new Map<string, number>();
  private fault: Fault | null = null;
  private source: EventSource | null = null;
  private timer: NodeJS.Timeout | null = null;
  private cookies = 0;
  private readonly seen = new Set<string>();
  private rootId: { dev: bigint; ino: bigint } | null = null;
  private mounts = '';
  private readonly rootAbs: string;
  private readonly options: Required<Omit<JournalOptions, 'source'>> & Pick<JournalOptions, 'source'>;

  private constructor(root: string, options: JournalOptions) {
    this.rootAbs = path.resolve(root);
    this.options = { syncTimeoutMs: 5000, maxPaths: 20000, maxRemembered: 200000, pollMs: 50, ...options };
  }

  /** Starts watching `root`; failures are not thrown but kept as the reason every answer gives. */
  static async start(root: string, options: JournalOptions = {}): Promise<ChangeJournal> {
    const journal = new ChangeJournal(root, options);
    await journal.begin();
    return journal;
  }

  get root(): string {
    return this.rootAbs;
  }

  /** Folders watched now (on Linux, inotify watches: one per folder). */
  watches(): number {
    return this.source?.watches() ?? 0;
  }

  /** Why this journal cannot answer now, or null when it can (after a sync). */
  problem(): Untracked | null {
    return this.fault ? { tracked: false, kind: this.fault.kind, reason: this.fault.reason } : null;
  }

  /** Stops the watch and starts a new one: a new generation, every earlier mark unanswerable. */
  async restart(): Promise<void> {
    await this.halt();
    await this.begin();
  }

  async stop(): Promise<void> {
    await this.halt();
  }

  /**
   * The sync point: a cookie file written in the folder's top, its event awaited, then removed. Once it is
   * seen, every change made before this call was reported. Untracked when the journal cannot vouch.
   */
  async sync(): Promise<Untracked | null> {
    if (!this.source) return this.problem() ?? { tracked: false, kind: 'not-watched', reason: 'the folder is not watched: its next snapshot looks at every file' };
    this.checkRoot();
    if (this.fault) return this.problem();
    this.cookies += 1;
    const name = syncCookieName(process.pid, this.generation, this.cookies);
    const file = path.join(this.rootAbs, name);
    try {
      writeFileSync(fsPath(file), '', { flag: 'wx', mode: 0o600 });
    } catch (err) {
      return { tracked: false, kind: 'sync-failed', reason: `could not write in the folder to check its watch (${errnoCode(err) ?? String(err)}): its next snapshot looks at every file` };
    }
    try {
      const deadline = Date.now() + this.options.syncTimeoutMs;
      let wait = 1;
      for (;;) {
        this.source.poll();
        if (this.seen.delete(name)) break;
        if (this.fault) return this.problem();
        if (Date.now() >= deadline) return { tracked: false, kind: 'sync-timeout', reason: `the folder's watch did not answer within ${seconds(this.options.syncTimeoutMs)}: its next snapshot looks at every file` };
        await new Promise<void>((resolve) => setTimeout(resolve, wait));
        wait = Math.min(wait * 2, 50);
      }
    } finally {
      try { unlinkSync(fsPath(file)); } catch { /* gone already */ }
    }
    // Both checked again after the cookie: a move or a mount during the wait is seen here.
    this.checkRoot();
    return this.problem();
  }

  /** A mark after a sync: changedSince(mark) will name every change made after this call. */
  async mark(): Promise<JournalToken | Untracked> {
    const problem = await this.sync();
    if (problem) return problem;
    const token = `${this.nonce}.${this.generation}.${this.seq}` as JournalToken;
    this.seq += 1;
    return token;
  }

  /** The paths changed since `token` (after a sync), or why that cannot be said. */
  async changedSince(token: JournalToken | string): Promise<ChangedSince> {
    const [nonce, gen, at] = String(token).split('.');
    if (nonce !== this.nonce) return { tracked: false, kind: 'unknown-token', reason: 'the folder was not watched since its last snapshot (the app started after it): its next snapshot looks at every file' };
    if (Number(gen) !== this.generation) return { tracked: false, kind: 'restarted', reason: "the folder's watch started again since its last snapshot: its next snapshot looks at every file" };
    const seq = Number(at);
    const problem = await this.sync();
    if (problem) return problem;
    if (seq < this.floor) return { tracked: false, kind: 'too-many', reason: 'too many changes since the last snapshot to list them: its next snapshot looks at every file' };
    const paths: string[] = [];
    for (const [p, s] of this.paths) {
      if (s <= seq) continue;
      paths.push(p);
      if (paths.length > this.options.maxPaths) return { tracked: false, kind: 'too-many', reason: `more than ${this.options.maxPaths} paths changed since the last snapshot: it looks at every file` };
    }
    const inodes: string[] = [];
    for (const [ino, s] of this.inodes) if (s > seq) inodes.push(ino);
    return { tracked: true, paths: paths.sort(), inodes };
  }

  /**
   * How many paths the events read so far name since `token`, without a sync point: a live count to show
   * ("12 changes since the last snapshot"), never an answer a snapshot relies on. Null when it cannot say.
   */
  countSince(token: JournalToken | string): number | null {
    const [nonce, gen, at] = String(token).split('.');
    if (this.fault || nonce !== this.nonce || Number(gen) !== this.generation || Number(at) < this.floor) return null;
    this.source?.poll();
    let count = 0;
    for (const s of this.paths.values()) if (s > Number(at)) count++;
    return count;
  }

  private async begin(): Promise<void> {
    this.generation += 1;
    this.seq = 1;
    this.floor = 0;
    this.paths.clear();
    this.inodes.clear();
    this.seen.clear();
    this.fault = null;
    const st = lstatSync(fsPath(this.rootAbs), { bigint: true, throwIfNoEntry: false });
    if (!st?.isDirectory()) {
      this.fault = { kind: 'moved', reason: 'the folder is missing: its next snapshot looks at every file' };
      return;
    }
    this.rootId = { dev: st.dev, ino: st.ino };
    this.mounts = mountsInside(this.rootAbs);
    const sink: EventSink = {
      changed: (rel) => this.changed(rel),
      linked: (ino) => { this.inodes.set(ino, this.seq); },
      cookie: (name) => { this.seen.add(name); },
      fault: (fault) => { if (!this.fault) this.fault = fault; },
    };
    const make = this.options.source ?? defaultSource;
    try {
      const source = make(this.rootAbs, sink);
      this.source = source;
      await source.start();
    } catch (err) {
      if (!this.fault) this.fault = { kind: 'error', reason: `the folder cannot be watched (${err instanceof Error ? err.message : String(err)}): snapshots look at every file` };
      return;
    }
    this.timer = setInterval(() => this.source?.poll(), this.options.pollMs);
    this.timer.unref();
  }

  private async halt(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    const source = this.source;
    this.source = null;
    await source?.stop();
  }

  private changed(rel: string): void {
    this.paths.set(rel, this.seq);
    if (this.paths.size > this.options.maxRemembered) {
      // Memory stays bounded: marks up to now can no longer be answered, later ones can.
      this.paths.clear();
      this.inodes.clear();
      this.floor = this.seq;
      this.seq += 1;
    }
  }

  /** The folder must still be the one watched, with the same filesystems mounted inside it. */
  private checkRoot(): void {
    if (this.fault || !this.rootId) return;
    const st = lstatSync(fsPath(this.rootAbs), { bigint: true, throwIfNoEntry: false });
    if (!st || st.dev !== this.rootId.dev || st.ino !== this.rootId.ino) {
      this.fault = { kind: 'moved', reason: 'the folder was moved, deleted or replaced while watched: its next snapshot looks at every file' };
      return;
    }
    if (mountsInside(this.rootAbs) !== this.mounts) this.fault = { kind: 'mount', reason: 'a filesystem was mounted or unmounted inside the folder: its next snapshot looks at every file' };
  }
}

/** 5 s, 0.2 s. */
function seconds(ms: number): string {
  return `${ms >= 10_000 ? Math.round(ms / 1000) : Number((ms / 1000).toFixed(1))} s`;
}

function defaultSource(root: string, sink: EventSink): EventSource {
  if (inotifyAvailable()) return new InotifySource(root, sink);
  if (parcelAvailable()) return new ParcelSource(root, sink);
  throw new Error('no file watcher for this system');
}

/** The mount points inside the folder now, as one string to compare. */
function mountsInside(root: string): string {
  return [...MountBoundary.of(root).points].sort().join('\0');
}
