import { execFile } from 'node:child_process';
import { hasEscapes } from './names.js';

/** A flag that stops every change to an entry, or every change but appending (see chattr(1)). */
export type LockFlag = 'immutable' | 'append-only';

/** The chattr letter of each flag, for the advice that clears it. */
export const LOCK_LETTER: Record<LockFlag, string> = { immutable: 'i', 'append-only': 'a' };

/** Arguments per lsattr run: far below the system's limit on a command line, whatever the names' length. */
const BATCH_BYTES = 64 * 1024;

/**
 * The paths among `rels` (relative to `root`) that are immutable or append-only now. Node cannot ask for a
 * file's flags (no ioctl), so `lsattr -d` (e2fsprogs, on every Linux) is asked, with the paths as arguments,
 * in batches: a rollback asks only about what it would change. Where there is no lsattr, or the filesystem
 * keeps no such flags, nothing is found: the rollback then stops at the first refusal, naming the file.
 */
export async function lockFlags(root: string, rels: readonly string[]): Promise<Map<string, LockFlag>> {
  const found = new Map<string, LockFlag>();
  if (process.platform !== 'linux') return found;
  // A name that is not UTF-8 cannot be passed as an argument string; it goes unasked.
  const asked = rels.filter((r) => !hasEscapes(r) && !r.includes('\n'));
  let batch: string[] = [];
  let bytes = 0;
  const flush = async (): Promise<boolean> => {
    if (batch.length === 0) return true;
    const abs = batch.map((r) => (r === '' ? root : `${root}/${r}`));
    const out = await lsattr(abs);
    if (out === null) return false;
    for (const [i, flags] of parseLsattr(out, abs)) {
      const rel = batch[i] as string;
      if (flags.includes('i')) found.set(rel, 'immutable');
      else if (flags.includes('a')) found.set(rel, 'append-only');
    }
    batch = [];
    bytes = 0;
    return true;
  };
  for (const r of asked) {
    batch.push(r);
    bytes += root.length + r.length + 2;
    if (bytes >= BATCH_BYTES && !(await flush())) return found;
  }
  await flush();
  return found;
}

/** lsattr's output for `paths`, or null when it cannot run at all (not installed). */
function lsattr(paths: readonly string[]): Promise<string | null> {
  return new Promise((resolve) => {
    // It exits 1 when some path has no flags to read (a link, a filesystem without them): its output still holds the others.
    execFile('lsattr', ['-d', '--', ...paths], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, timeout: 60_000, env: { ...process.env, LC_ALL: 'C' } }, (err, stdout) => {
      if (err && typeof (err as NodeJS.ErrnoException).code === 'string') { resolve(null); return; }
      resolve(stdout);
    });
  });
}

/**
 * Each line of lsattr's output is `FLAGS PATH`, in the order the paths were given; a path it could not read
 * has no line (its complaint goes to stderr). Matched in order against the paths asked, so a name holding a
 * space or a newline is never misread. Yields the index of each path read and its flags.
 */
export function parseLsattr(out: string, paths: readonly string[]): [number, string][] {
  const read: [number, string][] = [];
  let at = 0;
  let next = 0;
  while (at < out.length && next < paths.length) {
    const space = out.indexOf(' ', at);
    if (space < 0) break;
    const flags = out.slice(at, space);
    if (!/^[-A-Za-z]+$/.test(flags)) break;
    let i = next;
    while (i < paths.length && !out.startsWith(`${paths[i]}\n`, space + 1)) i++;
    if (i === paths.length) break;
    read.push([i, flags]);
    at = space + 1 + (paths[i] as string).length + 1;
    next = i + 1;
  }
  return read;
}
