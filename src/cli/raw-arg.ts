import { readFileSync } from 'node:fs';
import { fromBytes } from '../core/tree/names.js';

/**
 * An argument as its bytes were given (names.ts's form): Node decodes the command line as UTF-8 and turns a
 * byte that is not UTF-8 into U+FFFD, a name that does not exist, so such an argument is looked up in the
 * process's raw command line (/proc/self/cmdline on Linux). Elsewhere, or when it is not found, the text is
 * kept as it came.
 */
export function rawArg(text: string, readCmdline: () => Buffer = () => readFileSync('/proc/self/cmdline')): string {
  if (!text.includes('\ufffd')) return text;
  let line: Buffer;
  try { line = readCmdline(); } catch { return text; }
  const found: string[] = [];
  let start = 0;
  for (let i = 0; i <= line.length; i++) {
    if (i < line.length && line[i] !== 0) continue;
    const arg = line.subarray(start, i);
    start = i + 1;
    if (arg.toString('utf8') === text) found.push(fromBytes(arg));
    // `--only=x`: the value after the first '='.
    const eq = arg.indexOf(0x3d);
    if (eq > 0 && arg.subarray(eq + 1).toString('utf8') === text) found.push(fromBytes(arg.subarray(eq + 1)));
  }
  // Two different byte strings read the same once decoded: which one was meant cannot be told.
  return new Set(found).size === 1 ? (found[0] ?? text) : text;
}
