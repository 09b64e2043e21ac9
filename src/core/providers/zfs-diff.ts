import { fromBytes } from '../tree/names.js';
import type { ChangeHints } from './change-hints.js';

/** Output of `zfs diff` that snapctl cannot vouch for: the caller walks instead. */
export class ZfsDiffUnreadable extends Error {}

/** What `-F` prints for each kind of file (zfs-diff(8)). */
const TYPES = new Set(['B', 'C', '/', '>', '|', '@', 'P', '=', 'F', '?']);

/**
 * `zfs diff -H -F OLDER NEWER`: one line per changed object, tab-separated: the change (`-` removed, `+`
 * created, `M` modified, `R` renamed), its type (`F` file, `/` folder, `@` link, ...), its path under the
 * dataset's mountpoint, then the new path of a rename or `(+1)` for a change of link count. Without `-h`, zfs
 * writes every byte of a path that is not printable ASCII, and every space and backslash, as `\0ooo`
 * (libzfs_diff.c, stream_bytes), so a name with a tab, a newline or bytes that are not UTF-8 stays on its
 * line and comes back whole; with `-h` such a name could not be told from the line around it.
 *
 * Returns the paths relative to `mountpoint`; anything else in the output throws ZfsDiffUnreadable.
 */
export function parseZfsDiff(output: string, mountpoint: string): ChangeHints {
  const paths = new Set<string>();
  const trees = new Set<string>();
  const lines = output.split('\n');
  if (lines.pop() !== '') throw new ZfsDiffUnreadable('the output of zfs diff ends part way through a line');
  const top = mountpoint.replace(/\/+$/, '');
  const under = (field: string): string => {
    const p = fromBytes(unescape(field));
    if (p === top || p === `${top}/`) return '';
    if (!p.startsWith(`${top}/`)) throw new ZfsDiffUnreadable(`zfs diff names ${JSON.stringify(p)}, outside ${top}`);
    return p.slice(top.length + 1);
  };
  for (const line of lines) {
    const f = line.split('\t');
    const [change, type, first, second] = f;
    if (f.length < 3 || f.length > 4 || type === undefined || !TYPES.has(type) || first === undefined) throw unreadable(line);
    const from = under(first);
    if (change === 'R') {
      if (second === undefined) throw unreadable(line);
      const to = under(second);
      paths.add(from).add(to);
      if (type === '/') trees.add(from).add(to);
    } else if (change === 'M' || change === '+' || change === '-') {
      if (second !== undefined && !(change === 'M' && /^\([+-]\d+\)$/.test(second))) throw unreadable(line);
      paths.add(from);
    } else {
      throw unreadable(line);
    }
  }
  paths.delete('');
  return { paths, trees };
}

function unreadable(line: string): ZfsDiffUnreadable {
  return new ZfsDiffUnreadable(`zfs diff printed a line snapctl does not read: ${JSON.stringify(line.slice(0, 200))}`);
}

/** A path as zfs diff escapes it, back to its bytes: `\0ooo` for each byte it escapes, the rest printable ASCII. */
function unescape(field: string): Buffer {
  const out: number[] = [];
  for (let i = 0; i < field.length; i++) {
    const c = field.charCodeAt(i);
    if (c === 0x5c) {
      const m = /^\\0([0-3][0-7][0-7])/.exec(field.slice(i, i + 5));
      if (!m) throw new ZfsDiffUnreadable(`zfs diff printed a backslash snapctl does not read in ${JSON.stringify(field.slice(0, 200))}`);
      out.push(parseInt(m[1] as string, 8));
      i += 4;
    } else if (c > 0x20 && c < 0x7f) {
      out.push(c);
    } else {
      // zfs escapes these itself; raw ones mean -h, or a format this code does not know.
      throw new ZfsDiffUnreadable(`zfs diff printed an unescaped byte in ${JSON.stringify(field.slice(0, 200))}`);
    }
  }
  return Buffer.from(out);
}
