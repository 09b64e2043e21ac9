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
export function freesText(s: { uniqueBytes: number | null; size: number }): string {
  if (s.uniqueBytes === null) return 'How much it frees is not known here (btrfs without quotas, APFS).';
  if (s.uniqueBytes < 64 * 1024 || (s.size > 0 && s.uniqueBytes < s.size / 100)) return `Frees little (${humanBytes(s.uniqueBytes)}): it shares its files with other snapshots.`;
  return `Frees ${humanBytes(s.uniqueBytes)}.`;
}
