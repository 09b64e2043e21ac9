import { unrecognised } from './tools.js';

/**
 * Parsers for what tmutil and diskutil print, across macOS versions (see the field notes in DESIGN.md). Every
 * line must be understood: output we do not recognise is an error that quotes it, never an empty list.
 */

const DATE = /(\d{4})-(\d{2})-(\d{2})-(\d{2})(\d{2})(\d{2})/;
export const TM_SNAPSHOT = /^com\.apple\.TimeMachine\.(\d{4}-\d{2}-\d{2}-\d{6})(\.local)?$/;
/** Any snapshot's name in tmutil's list: reverse-DNS, as Apple and third parties (CCC, updates) name them. */
const ANY_SNAPSHOT = /^[A-Za-z0-9-]+(\.[A-Za-z0-9_-]+)+$/;
const LIST_HEADERS = [/^Snapshots for volume group containing disk .+:$/, /^Snapshots for disk .+:$/];
const FULL_DISK_ACCESS = /^tmutil: .+ requires Full Disk Access privileges\.?$/m;

/** The snapshot date tmutil prints and names snapshots with; it is local time, not UTC. */
export function parseTmutilDate(text: string): Date {
  const m = DATE.exec(text);
  if (!m) throw new Error(`not a tmutil date: ${text}`);
  const [, y, mo, d, h, mi, s] = m.map(Number) as [number, number, number, number, number, number, number];
  return new Date(y, mo - 1, d, h, mi, s);
}

export function needsFullDiskAccess(output: string): boolean {
  return FULL_DISK_ACCESS.test(output);
}

/** `tmutil localsnapshot`: the date of the snapshot it made. From macOS 12 a NOTE line comes first. */
export function parseLocalSnapshot(output: string): string {
  for (const line of output.split('\n')) {
    const m = /^Created local snapshot with date: (\d{4}-\d{2}-\d{2}-\d{6})$/.exec(line.trim());
    if (m?.[1]) return m[1];
  }
  throw unrecognised('tmutil', 'localsnapshot', output);
}

/** `tmutil listlocalsnapshots /`: every snapshot name (ours and others'), in the order listed. */
export function parseListLocalSnapshots(output: string): string[] {
  const names: string[] = [];
  for (const raw of output.split('\n')) {
    const line = raw.trim();
    if (line === '' || LIST_HEADERS.some((h) => h.test(line))) continue;
    if (!ANY_SNAPSHOT.test(line)) throw unrecognised('tmutil', 'listlocalsnapshots /', output);
    names.push(line);
  }
  return names;
}

export interface DiskutilSnapshot { uuid: string; name: string; xid: number | null; purgeable: boolean | null }

/**
 * `diskutil apfs listSnapshots /`: adds each snapshot's UUID and XID. The tree is drawn with `|` and `+--`;
 * "No snapshots for diskNsN" is an empty list.
 */
export function parseDiskutilSnapshots(output: string): DiskutilSnapshot[] {
  const out: DiskutilSnapshot[] = [];
  let current: DiskutilSnapshot | null = null;
  for (const raw of output.split('\n')) {
    const line = raw.replace(/^[|\s]+/, '').trimEnd();
    if (line === '' || /^Snapshots? for \S+ \(\d+ found\)$/.test(line) || /^No snapshots for \S+$/.test(line)) continue;
    const uuid = /^\+-- ([0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12})$/i.exec(line);
    if (uuid?.[1]) { current = { uuid: uuid[1].toUpperCase(), name: '', xid: null, purgeable: null }; out.push(current); continue; }
    const field = /^([A-Za-z ]+):\s+(.*)$/.exec(line);
    if (!current || !field) throw unrecognised('diskutil', 'apfs listSnapshots', output);
    const [, key, value] = field as unknown as [string, string, string];
    if (key === 'Name') current.name = value;
    else if (key === 'XID') current.xid = /^\d+$/.test(value) ? Number(value) : null;
    else if (key === 'Purgeable') current.purgeable = value === 'Yes';
    // Other fields (NOTE, Limiting Container Shrink, ...) carry nothing we use.
  }
  if (out.some((s) => s.name === '')) throw unrecognised('diskutil', 'apfs listSnapshots', output);
  return out;
}
