/** Formatting shared by the CLI and the popover, so both show sizes and times the same way. */

/** "1 file", "3 files": a count with its noun, never "file(s)". */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

export function humanBytes(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) { value /= 1024; unit++; }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

/** "just now", "5 min ago", "3 h ago", "2 days ago"; future times (clock skew) read "in …". */
export function relativeTime(iso: string, now: number = Date.now()): string {
  const diff = Math.round((now - Date.parse(iso)) / 1000);
  const abs = Math.abs(diff);
  const say = (n: number, unit: string): string => (diff >= 0 ? `${n} ${unit} ago` : `in ${n} ${unit}`);
  if (abs < 45) return diff >= 0 ? 'just now' : 'in a moment';
  if (abs < 3600) return say(Math.round(abs / 60), 'min');
  if (abs < 86_400) return say(Math.round(abs / 3600), 'h');
  const days = Math.round(abs / 86_400);
  return say(days, days === 1 ? 'day' : 'days');
}

/** A snapshot's size for display: filesystem snapshots (btrfs, APFS) whose size is not known show "?". */
export function snapshotSize(s: { provider: string; size: number }): string {
  return s.provider !== 'clone' && s.size === 0 ? '?' : humanBytes(s.size);
}

/** What deleting a snapshot frees, on its row: "4.2 MB", or "?" where the filesystem does not say. */
export function costText(s: { uniqueBytes: number | null }): string {
  return s.uniqueBytes === null ? '?' : humanBytes(s.uniqueBytes);
}

/**
 * The delete confirmation's words for what it frees: "Frees 5.1 MB.", "Frees little: it shares its files with
 * other snapshots." (under 1% of what it holds, or under 64 KB), or that it is not known.
 */
export function freesText(s: { uniqueBytes: number | null; size: number }, sharesBlocks = false): string {
  if (s.uniqueBytes === null) return 'How much it frees is not known here (btrfs without quotas, APFS).';
  if (s.uniqueBytes < 64 * 1024 || (s.size > 0 && s.uniqueBytes < s.size / 100)) return `Frees little (${humanBytes(s.uniqueBytes)}): it shares its files with other snapshots.`;
  // Copy-on-write clones share blocks with the folder's unchanged files: those blocks stay in use.
  if (sharesBlocks) return `Frees up to ${humanBytes(s.uniqueBytes)} (less where the folder still holds the same files).`;
  return `Frees ${humanBytes(s.uniqueBytes)}.`;
}

// Clock times are built from the date's fields, not toLocaleString: under en-US that reads "2:02 PM", and the
// popover must read like the CLI and the core's safety labels ("before rolling back to 'x', 14:02").
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const pad = (n: number): string => String(n).padStart(2, '0');
const dateOf = (when: string | Date): Date => (typeof when === 'string' ? new Date(when) : when);

/** "14:02", or "14:02:07" with seconds: 24-hour, local time. */
export function clockTime(when: string | Date, options: { seconds?: boolean } = {}): string {
  const d = dateOf(when);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}${options.seconds ? `:${pad(d.getSeconds())}` : ''}`;
}

/** "2 Dec": day and month, local time, never a year (the core's safety labels). */
export function dayMonth(when: string | Date): string {
  const d = dateOf(when);
  return `${d.getDate()} ${MONTHS[d.getMonth()] ?? ''}`;
}

/** "2 Dec", "Tue 2 Dec" with the weekday; the year is added when it is not the year of `now`. */
export function shortDate(when: string | Date, options: { weekday?: boolean; now?: number } = {}): string {
  const d = dateOf(when);
  const year = d.getFullYear() !== new Date(options.now ?? Date.now()).getFullYear() ? ` ${d.getFullYear()}` : '';
  return `${options.weekday ? `${WEEKDAYS[d.getDay()] ?? ''} ` : ''}${dayMonth(d)}${year}`;
}

/** "2 Dec, 14:02" ("2 Dec 2024, 14:02" in another year; "2 Dec, 14:02:07" with seconds). */
export function dateTime(when: string | Date, options: { seconds?: boolean; now?: number } = {}): string {
  return `${shortDate(when, { now: options.now })}, ${clockTime(when, options)}`;
}

const dayKey = (d: Date): string => `${d.getFullYear()}-${d.getMonth()}-${d.getDate()}`;

/** The list's day heading: "Today", "Yesterday", else "Mon 1 Dec" (with the year when it is not this one). */
export function dayHeader(when: string | Date, now: number = Date.now()): string {
  const d = dateOf(when);
  const today = new Date(now);
  const yesterday = new Date(now);
  yesterday.setDate(today.getDate() - 1);
  if (dayKey(d) === dayKey(today)) return 'Today';
  if (dayKey(d) === dayKey(yesterday)) return 'Yesterday';
  return shortDate(d, { weekday: true, now });
}

/**
 * What an undo gave back, said of what it undid (the undone rollback's paths): one file restored from its
 * history ("src/a.ts is as it was before the restore"), some paths of the folder, or the folder.
 */
export function undoneText(paths: readonly string[] | null, shown: (p: string) => string = (p) => p): string {
  if (paths?.length === 1 && paths[0] !== undefined) return `${shown(paths[0])} is as it was before the restore`;
  if (paths && paths.length > 1) return 'the paths rolled back are as they were before the rollback';
  return 'the folder is as it was before the rollback';
}
