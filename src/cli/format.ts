import { shownName } from '../core/tree/names.js';
import { humanBytes, snapshotSize } from '../shared/format.js';
export { humanBytes };
import type { SnapshotRecord } from '../shared/model.js';
import type { DiffResult } from '../core/providers/provider.js';

/**
 * A path for a terminal: bytes that are not UTF-8 and control characters shown escaped, and a path too long
 * to read in one line (deep trees can pass 4,096 characters) cut in the middle.
 */
export function shownPath(p: string, max = 300): string {
  const shown = shownName(p);
  return shown.length <= max ? shown : `${shown.slice(0, max / 2)}…(${shown.length - max} characters)…${shown.slice(-max / 2)}`;
}

export function localTime(iso: string): string {
  const d = new Date(iso);
  const pad = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

export function snapshotTable(records: readonly SnapshotRecord[]): string {
  if (records.length === 0) return 'no snapshots yet: take one with snapctl create --path DIR\n';
  const rows = records.map((r) => [r.id, localTime(r.createdAt), r.trigger, r.provider, snapshotSize(r), r.state === 'ready' ? '' : r.state, r.target, r.tag ?? '']);
  const header = ['ID', 'CREATED', 'TRIGGER', 'PROVIDER', 'SIZE', 'STATE', 'FOLDER', 'TAG'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ').trimEnd();
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}

export function diffText(diff: DiffResult, limit = Number.POSITIVE_INFINITY): string {
  const lines: string[] = [];
  const add = (mark: string, paths: string[]): void => {
    for (const p of paths.slice(0, limit)) lines.push(`${mark} ${p}`);
    if (paths.length > limit) lines.push(`${mark} … and ${paths.length - limit} more`);
  };
  add('+', diff.added);
  add('-', diff.removed);
  add('M', diff.modified);
  return lines.length === 0 ? 'no differences\n' : lines.join('\n') + '\n';
}

/** What a rollback will do, in the words of the folder rather than of the snapshot. */
export function rollbackPreview(diff: DiffResult): string {
  const n = diff.added.length + diff.removed.length + diff.modified.length;
  if (n === 0) return 'the folder already matches this snapshot\n';
  return `rolling back will delete ${diff.added.length}, restore ${diff.removed.length} and revert ${diff.modified.length} path(s):\n` +
    diffText({ added: diff.added, removed: diff.removed, modified: diff.modified }, 20)
      .replace(/^\+ /gm, 'delete  ').replace(/^- /gm, 'restore ').replace(/^M /gm, 'revert  ');
}
