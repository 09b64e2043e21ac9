import type { CreateProgress, ProviderName, RestoreResult, RollbackRecord, SnapshotRecord, Trigger } from './model.js';

// Over 400 lines: types only, the whole contract in one place so both sides and the schemas read one file.

/**
 * The one API contract between the popover and the core, whichever way it travels: Electron IPC (preload
 * → main) or HTTP (browser → `snapctl serve`). Every request is validated against these schemas on the
 * trusted side; nothing from the renderer is trusted.
 */
/**
 * The methods and the shape of their params; `api-schemas.ts` holds the validators that enforce them.
 *
 * Snapshot ids: the API takes whole ids only. The CLI's unique beginnings and 'latest' are refused, with an
 * error saying so ("id must be a whole snapshot id…; the API takes neither the beginning of an id nor
 * 'latest'"). The CLI's shortcuts are for a person who reads what happened; an API caller holds ids from
 * `list`, and a beginning that was unique when it was kept can later name another snapshot (the first one
 * deleted, a newer one starting the same way), on which a delete or rollback would then act unseen.
 */
export interface ApiRequests {
  status: Record<string, never>;
  /** One folder's snapshots (the popover always asks for one); every folder's when `target` is absent. */
  list: { target?: string };
  /**
   * A snapshot of `target` (default: the first folder in the settings). The popover sends target and tag; the
   * CLI through the app's socket also sends what `snapctl create` takes: `trigger` (default manual), `provider`
   * (default: the folder's in the settings, else clone; `auto` chooses as the CLI does), `note`, and `exclude`
   * patterns on top of the folder's.
   */
  create: { target?: string; tag?: string | null; trigger?: Trigger; provider?: ProviderName | 'auto'; note?: string | null; exclude?: string[] };
  /**
   * `undoLossConfirmed`: the person was told that this snapshot is the safety snapshot the folder's undo
   * restores, and chose to delete it anyway; without it, deleting that one is refused (nothing else needs it).
   */
  delete: { id: string; undoLossConfirmed?: boolean };
  /** The preview of a rollback: what it would change, the unfinished rollback it would meet, what it does to git. */
  /** `undoing`: the preview of an undo, restoring `id` (a safety snapshot) after a rollback to `undoing`: only what that rollback changed. */
  diff: { id: string; paths?: string[] | null; keepGit?: boolean; undoing?: string };
  /** One path's text diff, the folder's current file against the snapshot's (what a rollback would write). */
  fileDiff: { id: string; path: string };
  /** `keepGit`: leave every `.git` alone (default: the folder's setting). */
  rollback: { id: string; paths?: string[] | null; keepGit?: boolean };
  /**
   * Undoes the last rollback of the folder (back to its safety snapshot). When that rollback stopped part way
   * (an unfinished rollback), this is the way back from it: its journal is set aside and the safety snapshot
   * restored.
   */
  undo: { target?: string };
  /** Tries an unfinished rollback of the folder again (what every command does first). */
  retry: { target: string };
  /** The snapshots being taken now and how far each has got: cheap, for a progress bar to poll. */
  progress: Record<string, never>;
  getSettings: Record<string, never>;
  setSettings: { settings: unknown };
  setPaused: { paused: boolean };
  /** Which provider a folder would get; a folder that does not exist is an error in plain words. */
  detect: { path: string };
  /** A schedule read back in plain words with its next runs, or what is wrong with it (as the user types). */
  checkSchedule: { schedule: string };
  /** Paths across the folder's snapshots matching `query` (a part of a path, or a glob), deleted ones marked. */
  searchFiles: { target: string; query: string };
  /** Every version of one path across the folder's snapshots. */
  fileHistory: { target: string; path: string };
  /**
   * One path back from a snapshot: in place (a partial rollback: safety snapshot, undoable), or, with `to` (a
   * path inside the folder that does not exist yet), as a copy beside it with its mode and mtime.
   */
  restoreFile: { id: string; path: string; to?: string };
}
export type ApiMethod = keyof ApiRequests;
export type ApiRequest<M extends ApiMethod> = ApiRequests[M];

/** A rollback that stopped part way (its journal is still there): a state the folder is in until resolved. */
export interface UnfinishedRollback {
  target: string;
  kind: RollbackRecord['kind'];
  snapshotId: string;
  /** The state before it: Undo restores this. */
  safetyId: string;
  /** What the person knows the snapshot by: its tag, else its time ("before upgrade", "1 Dec, 14:02"). */
  snapshotLabel: string;
  startedAt: string;
  /** Why it stopped, in plain words, when known (the last attempt's error); null when it was killed. */
  error: string | null;
  /** The paths it was restoring (null: the whole folder). */
  paths: string[] | null;
}

/** What a rollback would do to a git repository inside the folder (the folder itself or one below it). */
export interface GitImpact {
  /** The repository's folder relative to the watched folder ('' for the folder itself). */
  repo: string;
  /** Branch now and in the snapshot (null: detached or unknown). */
  branchNow: string | null;
  branchThen: string | null;
  headNow: string | null;
  headThen: string | null;
  /** Commits reachable now that the snapshot's repository does not have: the rollback undoes them. */
  undoneCommits: { sha: string; subject: string }[];
  /** How many more undone commits there are beyond those listed. */
  moreUndone: number;
  /** True when HEAD (or the branch it names) would move. */
  headMoves: boolean;
  /**
   * Where HEAD goes: `forward` to a descendant of HEAD now (nothing is undone by the move), `backward` to an
   * ancestor, `sideways` to another line of history, `same` nowhere (its branch may change), `unknown` when
   * git could not tell (not installed, or the snapshot's commits could not be read).
   */
  direction: 'forward' | 'backward' | 'sideways' | 'same' | 'unknown';
  /** Commits HEAD goes to that it does not reach now, newest first (the rollback brings them back). */
  gainedCommits: { sha: string; subject: string }[];
  /** How many more gained commits there are beyond those listed. */
  moreGained: number;
}

export interface DiffView {
  /** Paths a rollback removes (added since the snapshot). */
  added: string[];
  /** Paths a rollback brings back (deleted since). */
  removed: string[];
  /** Paths a rollback restores (changed since). */
  modified: string[];
  /** An unfinished rollback of this folder: the preview says so first. */
  unfinished: UnfinishedRollback | null;
  /** Each repository whose HEAD or commits the rollback would change (empty when none, or with keepGit). */
  git: GitImpact[];
  /** Whether `.git` folders are left alone in this preview (the request's keepGit, else the folder's setting). */
  keepGit: boolean;
  /**
   * Paths of the folder excluded from snapshots (the snapshot's excludes, the folder's now, cache folders):
   * the rollback neither removes nor writes them. `count` trees, the first few named.
   */
  leftAlone: { count: number; examples: string[] };
  /**
   * Folders the rollback would remove that hold paths it leaves alone (excluded, a cache, a mounted
   * filesystem): they stay, emptied of the rest; the snapshot's file there, if any, is not put back.
   */
  kept?: string[];
  /** Filesystems mounted inside the folder: a rollback never enters, removes or writes them. */
  mounts?: string[];
  /** Paths the rollback would have to change that cannot change now (immutable, append-only), and why. */
  refused?: { path: string; why: string }[];
  /** With `refused`: the rollback refuses before changing anything, in these words (with what to run). */
  refusal?: string;
}

/** One line of a unified diff: kept, only in the current file (removed by the rollback), or only in the snapshot. */
export interface DiffLine { op: 'same' | 'now' | 'then' | 'gap'; text: string }

export interface FileDiffView {
  path: string;
  /** `text`: `lines` holds the diff; otherwise why there is none (binary, too large to show, a folder or link). */
  kind: 'text' | 'binary' | 'too-large' | 'not-a-file' | 'same';
  /** Bytes now and in the snapshot (null: absent on that side). */
  sizeNow: number | null;
  sizeThen: number | null;
  lines: DiffLine[];
}

export interface RollbackView {
  snapshot: SnapshotRecord;
  /** The state just before, for undo; null when nothing needed changing (then no safety snapshot is taken). */
  safety: SnapshotRecord | null;
  restored: RestoreResult;
  paths: string[] | null;
  /** True when the folder already matched: nothing was changed and no safety snapshot was taken. */
  nothingToChange: boolean;
  /** Every .git folder was left alone (asked, or the folder's keepGit setting); absent from older apps. */
  keepGit?: boolean;
}

/** Undo, offered one click away from the last rollback of a folder until it is undone or another one runs. */
export interface UndoOffer {
  rollback: RollbackRecord;
  /** "rolled back to 'before upgrade' at 14:02" */
  label: string;
}

/** A snapshot being taken now by the app (asked for, scheduled, or a rollback's safety snapshot). */
export interface SnapshotInProgress {
  id: string;
  target: string;
  trigger: SnapshotRecord['trigger'];
  startedAt: string;
  /** null until the provider says (a filesystem snapshot never does: it takes a moment). */
  progress: CreateProgress | null;
}

export interface TargetStatus {
  path: string;
  schedule: string;
  provider: SnapshotRecord['provider'];
  paused: boolean;
  /** ISO time of the next scheduled snapshot, null when paused or unscheduled. */
  nextRun: string | null;
  /** The folder's newest snapshot (any state), null when it has none. */
  newest: { id: string; createdAt: string; tag: string | null; trigger: SnapshotRecord['trigger'] } | null;
  unfinished: UnfinishedRollback | null;
  undo: UndoOffer | null;
  /**
   * Why the last rollback, not undone, can no longer be undone (its safety snapshot was deleted), or null: shown
   * where the undo used to be offered. Not a problem: nothing needs fixing, the way back is gone.
   */
  undoLost: string | null;
  /** Problems of this folder, in plain words, each saying what to do (gone once resolved). */
  problems: string[];
  /** Leave `.git` alone on rollback (the folder's setting). */
  keepGit: boolean;
  /** A snapshot of this folder being taken now (a scheduled one, say), or null: `progress` then says how far. */
  taking: SnapshotInProgress | null;
  /** Whether the running app tracks what changes in the folder, or its snapshots walk it, and why (absent: no app). */
  changes?: FolderChangesView;
  /** The last scheduled snapshot found nothing changed since the newest one and took none (ISO time of the newest), or absent. */
  unchangedSince?: string;
}

/** The change journal's word on one folder (see core/runtime/change-tracker.ts). */
export interface FolderChangesView {
  /** Snapshots taken in the app walk only what changed. */
  tracked: boolean;
  /** Why not, in one line a user can act on; null when tracked. */
  why: string | null;
  /** Paths changed since the newest snapshot as the events read so far say (a live count), or null. */
  count: number | null;
}

/** A snapshot as listed: its record and what deleting it would free. */
export type ListedSnapshot = SnapshotRecord & {
  /**
   * Bytes deleting it would free: clone, the data only it holds; btrfs with quotas, its exclusive bytes; ZFS,
   * its `used`. null when not known (btrfs without quotas, APFS): never a guess.
   */
  uniqueBytes: number | null;
};

/** The store's space: what snapshots take and what the filesystem has left. */
export interface StoreTotals {
  /** Bytes of the clone store's data (every object a snapshot names); null when not known. */
  storeBytes: number | null;
  /** Bytes the listed folder's clone snapshots take (what deleting all of them frees), when one folder is listed. */
  folderBytes: number | null;
  /** Free bytes on the store's filesystem, and the floor snapshots keep there. */
  freeBytes: number | null;
  floorBytes: number | null;
  /**
   * The store's copies are copy-on-write clones (btrfs, XFS, APFS): a stored file shares its blocks with the
   * folder's own while that is unchanged, so deleting frees up to `uniqueBytes` on the disk, not always all.
   */
  sharesBlocks: boolean;
}

export interface ListView {
  snapshots: ListedSnapshot[];
  totals: StoreTotals;
  /** Rollbacks of the listed folders, oldest first: a safety snapshot is grouped under the rollback it protects. */
  rollbacks: RollbackRecord[];
}

export type ScheduleView =
  | { ok: true; schedule: string; /** "every hour at :00" */ description: string; /** ISO times, soonest first. */ next: string[] }
  | { ok: false; schedule: string; /** Plain words: "the minute must be 0 to 59 (61 given)". */ error: string };

/** Whether metrics reach Datadog: the same words in `snapctl status` and the popover's settings. */
export interface MetricsHealth {
  enabled: boolean;
  /** 'udp' (host:port) or 'uds' (a Unix datagram socket); null when disabled. */
  transport: 'udp' | 'uds' | null;
  /** "127.0.0.1:8125" or the socket path. */
  destination: string | null;
  sendErrors: number;
  lastError: string | null;
  /** The setting the last error points at (a host that cannot be found: 'host'), for the popover to mark; else null. */
  lastErrorSetting: 'host' | 'port' | 'socket' | null;
  /** ISO time of the last datagram handed to the transport without an error. */
  lastSentAt: string | null;
}

export interface StatusView {
  version: string;
  home: string;
  targets: TargetStatus[];
  schedulePaused: boolean;
  /** Failures a user should know about, newest last, each saying what to do. */
  problems: string[];
  lastRollback: RollbackRecord | null;
  metrics: MetricsHealth;
  /** Where the popover runs: in the tray app, or served headless. */
  host: 'electron' | 'headless';
  onboarded: boolean;
}

/** Settings as the popover edits them; validated by the core's settings schema on save. */
export interface SettingsView {
  version: 1;
  targets: {
    path: string;
    schedule: string;
    provider: SnapshotRecord['provider'];
    retention: { hourly: number; daily: number; weekly: number; monthly: number; manual: number; safety: number; preOperation: number };
    paused: boolean;
    /** Leave `.git` alone when rolling back (commits are never undone by a rollback). */
    keepGit: boolean;
    /** Gitignore patterns left out of its snapshots, one per entry. */
    excludes: string[];
    /** The most its snapshots may take in the store (bytes), or null for no limit. */
    maxStoreBytes: number | null;
  }[];
  statsd: { enabled: boolean; host: string; port: number; socket: string | null };
  launchAtLogin: boolean;
  schedulePaused: boolean;
  onboarded: boolean;
  /** The free space kept on the store's filesystem: bytes, a percentage ("10%"), or null for the default. */
  freeSpaceFloor: number | string | null;
}

/** Which provider snapctl would use for a folder, and every provider's reason (first run, settings). */
export interface DetectView {
  target: string;
  chosen: SnapshotRecord['provider'];
  reports: { name: SnapshotRecord['provider']; usable: boolean; reason: string }[];
}

export interface ApiResponses {
  status: StatusView;
  list: ListView;
  /** The new record, with the paths it could not keep as they were (unreadable, changing, sockets). */
  create: SnapshotRecord & { problems: { path: string; reason: string }[] };
  delete: SnapshotRecord;
  diff: DiffView;
  fileDiff: FileDiffView;
  rollback: RollbackView;
  undo: RollbackView;
  retry: TargetStatus;
  progress: { taking: SnapshotInProgress[] };
  getSettings: SettingsView;
  setSettings: SettingsView;
  setPaused: StatusView;
  detect: DetectView;
  checkSchedule: ScheduleView;
  searchFiles: SearchView;
  fileHistory: FileHistoryView;
  restoreFile: RestoreFileView;
}

/** A snapshot as a file's history names it. */
export interface SnapshotRef { id: string; createdAt: string; tag: string | null; trigger: SnapshotRecord['trigger'] }

/** One path found across a folder's snapshots. */
export interface FileMatch {
  path: string;
  /** What it is in the newest snapshot holding it. */
  type: 'file' | 'dir' | 'symlink';
  /** Not in the folder now (whatever the newest snapshot holds). */
  deleted: boolean;
  /** Distinct versions, and how many snapshots hold it. */
  versions: number;
  count: number;
  /** The newest snapshot holding it (ISO time). */
  newest: string;
}

export interface SearchView {
  target: string;
  query: string;
  matches: FileMatch[];
  /** All matches; `matches` holds the first few hundred. */
  total: number;
  /** Snapshots whose data could not be read (a damaged manifest): left out, named. */
  skipped: { id: string; reason: string }[];
}

export interface FileVersion {
  type: 'file' | 'dir' | 'symlink';
  /** Bytes (null for a folder or link). */
  size: number | null;
  /** ISO time of its mtime. */
  mtime: string;
  mode: number;
  /** The snapshots holding this version, newest first. */
  snapshots: SnapshotRef[];
  /**
   * The snapshot to name this version by (and restore it from): the newest holder a person took, by hand, a
   * schedule or a hook; a safety snapshot (whose tag is about another snapshot) only when no other holds it.
   */
  knownBy: SnapshotRef;
}

export interface FileHistoryView {
  target: string;
  path: string;
  /** Distinct versions (by content), newest first. */
  versions: FileVersion[];
  /** Snapshots where it was absent after being present, newest first. */
  deletions: SnapshotRef[];
  /** Nothing stands at this path in the folder now. */
  deletedNow: boolean;
  /** The version the folder holds now (same type; a file of the same size and mtime, a link to the same place), or null. */
  currentVersion: number | null;
  /** Snapshots that left the path out (the folder's excludes, a CACHEDIR.TAG): not deletions. */
  excludedIn: number;
  skipped: { id: string; reason: string }[];
}

export type RestoreFileView =
  | { kind: 'in-place'; rollback: RollbackView }
  | { kind: 'copy'; written: string; size: number };

/** What every transport returns: a result, or an error a user can read. */
export type ApiResult<M extends ApiMethod> = { ok: true; value: ApiResponses[M] } | { ok: false; error: string; kind: string };

/** The function the preload exposes and the HTTP client implements. */
export type ApiCall = <M extends ApiMethod>(method: M, params: ApiRequest<M>) => Promise<ApiResult<M>>;

export const IPC_CHANNEL = 'snapctl:call';
export const HTTP_API_PATH = '/api/call';
export const TOKEN_COOKIE = 'snapctl_token';

export type { CreateProgress, SnapshotRecord, RollbackRecord };
