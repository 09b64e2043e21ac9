import type { DiffLine, FileDiffView } from '../../shared/api.js';
import type { SnapshotFile } from '../providers/provider.js';

/** Larger files (either side) are not diffed: the preview says so instead. */
export const FILE_DIFF_MAX_BYTES = 1024 * 1024;
/** Unchanged lines kept around each change; longer runs become one 'gap' line. */
export const CONTEXT_LINES = 3;
/** A diff this far from a match costs too much to compute for a preview. */
const MAX_EDIT_LENGTH = 20_000;

const BINARY_PROBE = 8 * 1024;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The text of a file, or null when it is binary: a NUL byte in its first 8 KB, or bytes that are not UTF-8. */
export function textOf(bytes: Buffer): string | null {
  if (bytes.subarray(0, BINARY_PROBE).includes(0)) return null;
  try {
    return utf8.decode(bytes);
  } catch {
    return null;
  }
}

function splitLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** Long runs of unchanged lines cut to CONTEXT_LINES beside each change, with a 'gap' line saying how many. */
export function collapse(lines: readonly DiffLine[], context = CONTEXT_LINES): DiffLine[] {
  const out: DiffLine[] = [];
  let i = 0;
  while (i < lines.length) {
    if (lines[i]?.op !== 'same') { out.push(lines[i] as DiffLine); i++; continue; }
    let j = i;
    while (j < lines.length && lines[j]?.op === 'same') j++;
    const run = lines.slice(i, j);
    const keepBefore = i === 0 ? 0 : context;
    const keepAfter = j === lines.length ? 0 : context;
    if (run.length <= keepBefore + keepAfter + 1) out.push(...run);
    else {
      out.push(...run.slice(0, keepBefore));
      const hidden = run.length - keepBefore - keepAfter;
      out.push({ op: 'gap', text: `${hidden} unchanged line${hidden === 1 ? '' : 's'}` });
      out.push(...run.slice(run.length - keepAfter));
    }
    i = j;
  }
  return out;
}

/**
 * The file as it is now against the snapshot's (what a rollback would write), as unified lines: 'now' is
 * only in the current file (the rollback removes it), 'then' only in the snapshot (it comes back).
 */
export async function fileDiffView(path: string, now: SnapshotFile, then: SnapshotFile): Promise<FileDiffView> {
  const size = (f: SnapshotFile): number | null => (f.kind === 'file' || f.kind === 'too-large' ? f.size : null);
  const base = { path, sizeNow: size(now), sizeThen: size(then), lines: [] as DiffLine[] };
  if (now.kind === 'not-a-file' || then.kind === 'not-a-file') return { ...base, kind: 'not-a-file' };
  if (now.kind === 'too-large' || then.kind === 'too-large') return { ...base, kind: 'too-large' };
  const nowBytes = now.kind === 'file' ? now.bytes : Buffer.alloc(0);
  const thenBytes = then.kind === 'file' ? then.bytes : Buffer.alloc(0);
  if (now.kind === 'file' && then.kind === 'file' && nowBytes.equals(thenBytes)) return { ...base, kind: 'same' };
  const nowText = textOf(nowBytes);
  const thenText = textOf(thenBytes);
  if (nowText === null || thenText === null) return { ...base, kind: 'binary' };
  // jsdiff is loaded on first use: most commands never diff a file.
  const { diffLines } = await import('diff');
  const parts = diffLines(nowText, thenText, { maxEditLength: MAX_EDIT_LENGTH });
  if (!parts) return { ...base, kind: 'too-large' };
  const lines: DiffLine[] = [];
  for (const part of parts) {
    const op: DiffLine['op'] = part.removed ? 'now' : part.added ? 'then' : 'same';
    for (const text of splitLines(part.value)) lines.push({ op, text });
  }
  return { ...base, kind: 'text', lines: collapse(lines) };
}
