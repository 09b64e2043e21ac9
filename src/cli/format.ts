import { shownName } from '../core/tree/names.js';
import { humanBytes, plural, progressText, snapshotSize } from '../shared/format.js';
export { humanBytes, plural, progressText };
import type { SnapshotRecord } from '../shared/model.js';
import type { DiffView, StoreTotals, UnfinishedRollback } from '../shared/api.js';
import { describeGitImpact } from '../core/service/git-impact.js';

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

export function snapshotTable(records: readonly (SnapshotRecord & { uniqueBytes?: number | null })[]): string {
  if (records.length === 0) return 'no snapshots yet: take one with snapctl create --path DIR\n';
  const rows = records.map((r) => [r.id, localTime(r.createdAt), r.trigger, r.provider, snapshotSize(r), r.uniqueBytes == null ? '?' : humanBytes(r.uniqueBytes), r.state === 'ready' ? '' : r.state, r.target, r.tag ?? '']);
  const header = ['ID', 'CREATED', 'TRIGGER', 'PROVIDER', 'SIZE', 'FREES', 'STATE', 'FOLDER', 'TAG'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ').trimEnd();
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}

/** "store: 1.2 GB of snapshot data; 40 GB free (floor 5.0 GB)": the line under the table. */
export function totalsText(t: StoreTotals): string {
  const parts: string[] = [];
  if (t.folderBytes !== null) parts.push(`this folder's snapshots take ${humanBytes(t.folderBytes)}`);
  if (t.storeBytes !== null) parts.push(`the store holds ${humanBytes(t.storeBytes)} of snapshot data`);
  if (t.freeBytes !== null) parts.push(`${humanBytes(t.freeBytes)} free${t.floorBytes !== null ? ` (snapshots keep ${humanBytes(t.floorBytes)} free)` : ''}`);
  if (t.sharesBlocks) parts.push('FREES is at most what a delete gives the disk: the store shares blocks with the folder\'s unchanged files');
  return parts.length > 0 ? `\n${parts.join('; ')}\n` : '';
}

/** The preview's words for each kind of change, deletions first (what a rollback takes away matters most). */
const GROUPS = [
  { key: 'added', mark: '+', word: 'remove     ', title: 'removed (added since)' },
  { key: 'removed', mark: '-', word: 'bring back ', title: 'brought back (deleted since)' },
  { key: 'modified', mark: 'M', word: 'restore    ', title: 'restored (changed since)' },
] as const;

type Changes = Pick<DiffView, 'added' | 'removed' | 'modified'>;

/** Every changed path, one a line: `+` in the folder only, `-` in the snapshot only, `M` changed. */
export function diffText(diff: Changes, limit = Number.POSITIVE_INFINITY): string {
  const lines: string[] = [];
  for (const g of GROUPS) {
    const paths = diff[g.key];
    for (const p of paths.slice(0, limit)) lines.push(`${g.mark} ${shownPath(p)}`);
    if (paths.length > limit) lines.push(`${g.mark} … and ${paths.length - limit} more`);
  }
  return lines.length === 0 ? 'no differences\n' : lines.join('\n') + '\n';
}

/** "3 restored, 1 brought back, 2 removed": the words the preview and the result share. */
export function countsText(c: { restored: number; broughtBack: number; removed: number }): string {
  return `${c.restored} restored, ${c.broughtBack} brought back, ${c.removed} removed`;
}

/** The unfinished rollback a preview meets, first, and what to run about it. */
export function unfinishedText(u: UnfinishedRollback): string {
  return `an earlier rollback of ${u.target} to ${u.snapshotLabel} stopped part way${u.error ? ` (${u.error})` : ' (it was interrupted)'}: ` +
    `'snapctl recover --path ${u.target}' finishes it, 'snapctl undo --path ${u.target}' returns the folder to how it was before it\n`;
}

/** What a rollback will do, in the words of the folder rather than of the snapshot, with what it does to git. */
export function rollbackPreview(view: DiffView, verb = 'rolling back'): string {
  const out: string[] = [];
  if (view.unfinished) out.push(`note: ${unfinishedText(view.unfinished)}`);
  for (const g of view.git) out.push(`WARNING: ${describeGitImpact(g)}; pass --keep-git to leave .git alone\n`);
  if (view.keepGit) out.push('every .git folder is left alone (keepGit)\n');
  const alone = view.leftAlone;
  if (alone.count > 0) out.push(`${leftAloneText(alone)}\n`);
  out.push(meetsText(view));
  const n = view.added.length + view.removed.length + view.modified.length;
  if (n === 0) return [...out, 'the folder already matches this snapshot\n'].join('');
  out.push(`${verb} will change ${plural(n, 'path')} (${countsText({ restored: view.modified.length, broughtBack: view.removed.length, removed: view.added.length })}):\n`);
  for (const g of GROUPS) {
    const paths = view[g.key];
    for (const p of paths.slice(0, 20)) out.push(`${g.word}${shownPath(p)}\n`);
    if (paths.length > 20) out.push(`${g.word}… and ${paths.length - 20} more\n`);
  }
  return out.join('');
}

/**
 * What the rollback meets besides its changes, decided before it runs: why it will be refused (a locked
 * file), the filesystems mounted inside the folder it leaves alone, and the folders that stay.
 */
export function meetsText(view: Pick<DiffView, 'refusal' | 'mounts' | 'kept'>): string {
  const out: string[] = [];
  if (view.refusal) out.push(`WARNING: the rollback will be refused: ${view.refusal}\n`);
  const mounts = view.mounts ?? [];
  if (mounts.length > 0) out.push(`${plural(mounts.length, 'filesystem')} mounted inside the folder ${mounts.length === 1 ? 'is' : 'are'} left alone (${mounts.slice(0, 5).map((p) => shownPath(p, 80)).join(', ')}${mounts.length > 5 ? ', …' : ''})\n`);
  const kept = view.kept ?? [];
  for (const k of kept.slice(0, 20)) out.push(`  stays ${shownPath(k)} (a folder holding paths left alone: only the rest of it is removed)\n`);
  if (kept.length > 20) out.push(`  … and ${kept.length - 20} more folders stay\n`);
  return out.join('');
}

/** "12 paths excluded from snapshots are left alone (node_modules, .cache, …)": the preview's sentence. */
export function leftAloneText(alone: { count: number; examples: string[] }): string {
  const shown = alone.examples.map((p) => shownPath(p, 80)).join(', ');
  return `${alone.count} ${alone.count === 1 ? 'path excluded from snapshots is' : 'paths excluded from snapshots are'} left alone (${shown}${alone.count > alone.examples.length ? ', …' : ''})`;
}
