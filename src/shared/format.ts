/** Formatting shared by the CLI and the popover, so both show sizes and times the same way. */
import type { CreateProgress } from './model.js';

/** "1 file", "3 files": a count with its noun, never "file(s)". */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/**
 * Sizes in one convention everywhere (popover, CLI, the core's messages): decimal units, 1 kB = 1000 bytes and
 * 1 MB = 1000 kB, as macOS, GNOME and disk makers count, so "500 MB" typed into a field is what is shown back.
 * `parseSize` reads the same units (and KiB/MiB/GiB/TiB as powers of 1024, for those who type them).
 */
const SIZE_UNITS = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'];

/** "812 B", "4.2 MB", "120 GB": two or three significant digits, never "1000 kB". */
export function humanBytes(bytes: number): string {
  if (!(Math.abs(bytes) >= 1000)) return `${bytes} B`;
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1000 && unit < SIZE_UNITS.length - 1) { value /= 1000; unit++; }
  // 999.7 kB would round to "1000 kB": said in the next unit instead.
  if (Math.abs(value) >= 999.5 && unit < SIZE_UNITS.length - 1) { value /= 1000; unit++; }
  return `${value.toFixed(Math.abs(value) < 9.95 ? 1 : 0)} ${SIZE_UNITS[unit] ?? ''}`;
}

const PARSED_UNITS: Record<string, number> = {
  b: 1, byte: 1, bytes: 1,
  k: 1e3, kb: 1e3, m: 1e6, mb: 1e6, g: 1e9, gb: 1e9, t: 1e12, tb: 1e12,
  kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3, tib: 1024 ** 4,
};

/**
 * A size as typed ("500 MB", "2gb", "1.5 GiB", "0") in bytes, in humanBytes' units; otherwise why not, in
 * words for beside the field. A number without a unit is refused (500 what?), but for 0.
 */
export function parseSize(text: string): { ok: true; bytes: number } | { ok: false; why: string } {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  const amount = m?.[1];
  if (!m || amount === undefined) return { ok: false, why: 'Type a size such as 500 MB or 2 GB.' };
  const unit = (m[2] ?? '').toLowerCase();
  if (unit === '' && Number(amount) !== 0) return { ok: false, why: `Add a unit: ${amount} MB or ${amount} GB?` };
  const factor = unit === '' ? 1 : PARSED_UNITS[unit];
  if (factor === undefined) return { ok: false, why: `“${m[2] ?? ''}” is not a unit: use kB, MB, GB or TB.` };
  const bytes = Math.round(Number(amount) * factor);
  if (!Number.isSafeInteger(bytes)) return { ok: false, why: 'That is more than any disk holds.' };
  return { ok: true, bytes };
}

/** "34,700": thousands grouped with commas whatever the locale, like every other number shown. */
export function thousands(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/**
 * How far a snapshot being taken has got, in a line: "reading the folder: 120,400 paths so far" while it
 * walks, then "12,400 of 34,700 files · 210 MB of 1.2 GB", then "saving: 34,700 files · 1.2 GB".
 */
export function progressText(p: CreateProgress): string {
  if (p.phase === 'reading') return `reading the folder: ${thousands(p.files)} ${p.files === 1 ? 'path' : 'paths'} so far`;
  if (p.phase === 'saving') return `saving: ${thousands(p.files)} ${p.files === 1 ? 'file' : 'files'} · ${humanBytes(p.bytes)}`;
  const files = p.totalFiles === null ? `${thousands(p.files)} ${p.files === 1 ? 'file' : 'files'}` : `${thousands(p.files)} of ${thousands(p.totalFiles)} ${p.totalFiles === 1 ? 'file' : 'files'}`;
  return `${files} · ${humanBytes(p.bytes)}${p.totalBytes === null ? '' : ` of ${humanBytes(p.totalBytes)}`}`;
}

/** How much of a snapshot is done, 0 to 1, or null while that is not known (the folder is still being read). */
export function progressFraction(p: CreateProgress): number | null {
  if (p.phase === 'reading') return null;
  if (p.phase === 'saving') return 1;
  if (p.totalBytes !== null && p.totalBytes > 0) return Math.min(1, p.bytes / p.totalBytes);
  if (p.totalFiles !== null && p.totalFiles > 0) return Math.min(1, p.files / p.totalFiles);
  return null;
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
 * other snapshots." (under 1% of what it holds, or under 64 kB), or that it is not known.
 */
export function freesText(s: { uniqueBytes: number | null; size: number }, sharesBlocks = false): string {
  if (s.uniqueBytes === null) return 'How much it frees is not known here (btrfs without quotas, APFS).';
  if (s.uniqueBytes < 64_000 || (s.size > 0 && s.uniqueBytes < s.size / 100)) return `Frees little (${humanBytes(s.uniqueBytes)}): it shares its files with other snapshots.`;
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
