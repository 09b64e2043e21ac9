/**
 * Snapshot ids sort by creation time and are safe as file names on every OS:
 * `YYYYMMDD-HHMMSS-xxxxxx` (UTC, then 24 random bits so concurrent creates never collide).
 */
export const ID_PATTERN = /^\d{8}-\d{6}-[0-9a-f]{6}$/;

export const PROVIDER_NAMES = ['clone', 'apfs', 'btrfs', 'zfs'] as const;
export type ProviderName = (typeof PROVIDER_NAMES)[number];

export const TRIGGERS = ['manual', 'schedule', 'git-commit', 'npm-install', 'safety'] as const;
export type Trigger = (typeof TRIGGERS)[number];

/**
 * `ready`: can be rolled back to. `damaged`: some of its data is missing or changed in the store (verify says
 * which paths; a rollback refuses before it changes anything if it needs them). `vanished`: the provider no
 * longer has it (e.g. macOS thinned it).
 */
export const SNAPSHOT_STATES = ['ready', 'damaged', 'vanished'] as const;
export type SnapshotState = (typeof SNAPSHOT_STATES)[number];

export const MAX_TAG_LENGTH = 200;
export const MAX_NOTE_LENGTH = 2000;
export const ROLLBACK_KINDS = ['rollback', 'undo'] as const;

export interface SnapshotRecord {
  id: string;
  provider: ProviderName;
  target: string;
  tag: string | null;
  trigger: Trigger;
  /** ISO 8601, UTC. */
  createdAt: string;
  /** Bytes of file content the snapshot holds (what a full copy would take). */
  size: number;
  /** Bytes this snapshot added to the store; the rest is shared with earlier snapshots. */
  addedBytes: number;
  files: number;
  state: SnapshotState;
  /** Provider-specific handle (clone: manifest id; btrfs: subvolume path; zfs: dataset@snap; apfs: name). */
  ref: string;
  /** Where the user asked for it to come from, e.g. the commit or command that triggered it. */
  note: string | null;
  /** What it left out (the folder's excludes, folders holding a CACHEDIR.TAG); absent when nothing was. */
  excluded?: SnapshotExclusions;
}

/**
 * What a snapshot left out: the gitignore patterns it was taken with and the folders whose CACHEDIR.TAG left
 * their contents out. A rollback to it leaves those paths alone: it has nothing to put there.
 */
export interface SnapshotExclusions {
  patterns: string[];
  cacheDirs: string[];
}

export interface RollbackRecord {
  at: string;
  target: string;
  /** The snapshot the target was rolled back to. */
  snapshotId: string;
  /** The snapshot of the state just before: undoing the rollback restores it. */
  safetyId: string;
  paths: string[] | null;
  kind: (typeof ROLLBACK_KINDS)[number];
  /** Every `.git` was left alone (so its undo leaves them alone too); absent when they were rolled back. */
  keepGit?: boolean;
  /** The folder had been deleted and the rollback made it again: its undo removes it again once empty. */
  folderMade?: boolean;
}

/**
 * What a restore did to the folder, counted in the preview's words (a diff's `modified`, `removed` and
 * `added`), so the result a person reads matches the preview they accepted. Folders and links count like files.
 */
export interface RestoreResult {
  /** Paths that existed and were changed since: written back as the snapshot has them (preview: "Restored"). */
  restored: number;
  /** Paths deleted since: made again (preview: "Brought back"). */
  broughtBack: number;
  /** Paths added since: removed (preview: "Removed"). */
  removed: number;
  unchanged: number;
  /** Paths left as they were because the safety snapshot could not hold them (unreadable, too long). */
  kept: string[];
  /**
   * Folders left in place, emptied of the rest, because they hold paths a rollback leaves alone (excluded,
   * a cache folder's contents, a mounted filesystem, `.git` with keepGit): where the snapshot has a file or a
   * link at such a path, it was not put there. Absent when there are none.
   */
  keptFolders?: string[];
}

/**
 * How far a snapshot being taken has got. While the folder is read (`reading`) only the paths listed so far are
 * known; then (`copying`) the files held so far (unchanged ones at once, new and changed ones as they are
 * stored) of all the snapshot will hold, and their bytes; last (`saving`) what it holds is written down.
 * Providers that take a filesystem snapshot say nothing.
 */
export interface CreateProgress {
  phase: 'reading' | 'copying' | 'saving';
  /** Paths listed (reading), or files held (copying). */
  files: number;
  /** Bytes of the files held (0 while reading). */
  bytes: number;
  /** All the files and bytes it will hold; null while reading. */
  totalFiles: number | null;
  totalBytes: number | null;
}

export interface StoreFile {
  version: 1;
  snapshots: SnapshotRecord[];
  rollbacks: RollbackRecord[];
}

export function emptyStore(): StoreFile {
  return { version: 1, snapshots: [], rollbacks: [] };
}

/* eslint-disable no-control-regex -- control characters are what these patterns are about */
/**
 * Tags are free text shown in the UI and CLI. Control characters are refused because they would let a tag
 * rewrite a terminal line or a log; everything else (quotes, `$()`, `;`) is stored as plain text and is
 * never interpreted. Returns what is wrong, or null.
 */
export function tagProblem(tag: string): string | null {
  if (tag.length > MAX_TAG_LENGTH) return `a tag is at most ${MAX_TAG_LENGTH} characters`;
  if (/[\u0000-\u001f\u007f]/.test(tag)) return 'a tag cannot hold control characters (newlines, tabs, NUL)';
  return null;
}

/** Free text (a command line, a commit subject) made into a valid tag: control characters become spaces. */
export function toTag(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f]+/g, ' ').slice(0, MAX_TAG_LENGTH);
}

/** Text made to fit on one line: control characters are shown escaped (`\n`, `\u001b`), never acted on. */
export function oneLine(text: string): string {
  // Bidirectional controls too: U+202E in 'evil\u202Etxt.exe' would show it as 'evilexe.txt'.
  return text.replace(/[\u0000-\u001f\u007f\u0080-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]/g, (c) => (c.charCodeAt(0) < 0x80 ? JSON.stringify(c).slice(1, -1) : `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`));
}

/** Newest first, by creation time then id (ids sort by time too). */
export function newestFirst<T extends Pick<SnapshotRecord, 'createdAt' | 'id'>>(a: T, b: T): number {
  return a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}
