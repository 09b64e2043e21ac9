/**
 * Where a journal's events come from (inotify on Linux, @parcel/watcher elsewhere), reduced to what a journal
 * needs: a path changed, its sync cookie arrived, or the stream can no longer be trusted.
 */
export interface EventSink {
  /** `rel` (relative, `/`-separated, names as walk gives them; a folder stands for all it holds) changed. */
  changed(rel: string): void;
  /**
   * A file with more than one name was made, written or changed through `rel` (its inode, as a decimal): its
   * other names changed too, and no event names them.
   */
  linked(ino: string): void;
  /** The sync cookie `name` (in the folder's top) was seen: every event queued before it has been delivered. */
  cookie(name: string): void;
  /** From now on events may be missing: the journal cannot vouch until it starts again. */
  fault(fault: Fault): void;
}

export type FaultKind = 'error' | 'overflow' | 'moved' | 'mount' | 'watch-limit';

export interface Fault {
  kind: FaultKind;
  /** One line a user can act on. */
  reason: string;
}

export interface EventSource {
  /** Watches the folder; resolves once every folder in it is watched (events from then on are reported). */
  start(): Promise<void>;
  /** Delivers what has arrived so far (a no-op where events are pushed). */
  poll(): void;
  stop(): Promise<void>;
  /** Folders watched (inotify: one watch each), for status and measurements. */
  watches(): number;
}
