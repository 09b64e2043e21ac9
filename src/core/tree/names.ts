import { oneLine } from '../../shared/model.js';

/**
 * File names on Linux and macOS are bytes, not text: a Latin-1 `café.txt` or a folder `d\xff` is not valid
 * UTF-8, and Node's string paths would turn its bytes into U+FFFD, a different name that does not exist.
 * Paths are kept as strings all the same (manifests are JSON, the UI shows them): each byte of a name that is
 * not part of valid UTF-8 becomes one of the lone surrogates U+DC80-U+DCFF (Python's "surrogateescape"),
 * which no valid UTF-8 name can hold, and turns back into its byte whenever the path reaches the filesystem.
 */

const LOW = 0xdc80;

/** A name (or path) as read from the filesystem, as a string that keeps every byte. */
export function fromBytes(bytes: Buffer): string {
  const text = bytes.toString('utf8');
  // The common case: valid UTF-8 round-trips unchanged (and holds no U+FFFD that was not in the bytes).
  if (!text.includes('\ufffd') || Buffer.from(text, 'utf8').equals(bytes)) return text;
  let out = '';
  let i = 0;
  while (i < bytes.length) {
    const length = validSequenceAt(bytes, i);
    if (length > 0) {
      out += bytes.toString('utf8', i, i + length);
      i += length;
    } else {
      out += String.fromCharCode(LOW + ((bytes[i] ?? 0) & 0x7f));
      i++;
    }
  }
  return out;
}

/** The bytes a string made by `fromBytes` stands for. */
export function toBytes(text: string): Buffer {
  if (!hasEscapes(text)) return Buffer.from(text, 'utf8');
  const parts: Buffer[] = [];
  let run = '';
  for (const ch of text) {
    const code = ch.charCodeAt(0);
    if (ch.length === 1 && code >= LOW && code <= 0xdcff) {
      if (run) { parts.push(Buffer.from(run, 'utf8')); run = ''; }
      parts.push(Buffer.from([0x80 + (code - LOW)]));
    } else {
      run += ch;
    }
  }
  if (run) parts.push(Buffer.from(run, 'utf8'));
  return Buffer.concat(parts);
}

/** A path as a filesystem call takes it. */
export type FsPath = string | Buffer;

/** What to hand to a filesystem call: the string itself, or its bytes when it stands for a non-UTF-8 name. */
export function fsPath(text: string): FsPath {
  return hasEscapes(text) ? toBytes(text) : text;
}

/** The name shown to a person: escaped bytes as `\xff`, one line whatever the name holds. */
export function shownName(text: string): string {
  return oneLine(text.replace(ESCAPE, (c) => `\\x${(0x80 + c.charCodeAt(0) - LOW).toString(16)}`));
}

/** A byte escape: a lone U+DC80-U+DCFF (with the u flag, half of a surrogate pair never matches). */
const ESCAPE = /[\udc80-\udcff]/gu;

export function hasEscapes(text: string): boolean {
  return /[\udc80-\udcff]/u.test(text);
}

/** The length of the valid UTF-8 sequence at `i`, or 0 when the byte there does not start one. */
function validSequenceAt(b: Buffer, i: number): number {
  const c = b[i] ?? 0;
  if (c < 0x80) return 1;
  const cont = (k: number): boolean => ((b[i + k] ?? 0) & 0xc0) === 0x80;
  if (c >= 0xc2 && c <= 0xdf) return cont(1) ? 2 : 0;
  if (c >= 0xe0 && c <= 0xef) {
    const c1 = b[i + 1] ?? 0;
    if (c === 0xe0 && c1 < 0xa0) return 0; // overlong
    if (c === 0xed && c1 >= 0xa0) return 0; // UTF-16 surrogates are not valid UTF-8
    return cont(1) && cont(2) ? 3 : 0;
  }
  if (c >= 0xf0 && c <= 0xf4) {
    const c1 = b[i + 1] ?? 0;
    if (c === 0xf0 && c1 < 0x90) return 0;
    if (c === 0xf4 && c1 >= 0x90) return 0;
    return cont(1) && cont(2) && cont(3) ? 4 : 0;
  }
  return 0;
}
