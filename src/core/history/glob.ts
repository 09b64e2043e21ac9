import { usageError } from '../base/errors.js';

/**
 * A glob as gitignore reads one: a pattern without a slash (`*.ts`, `config.json`) matches the name in any
 * folder; one with a slash (`src/**\/config.*`, `/README.md`) matches from the top of the folder. Dot files
 * match like any other name. picomatch loads on first use: `snapctl list` never needs it.
 */
export async function globMatcher(pattern: string): Promise<(p: string) => boolean> {
  const { default: picomatch } = await import('picomatch');
  const trimmed = pattern.trim().replace(/\/+$/, '');
  // A leading slash anchors the pattern at the top (as in .gitignore), even when it is the only slash.
  const bare = !trimmed.replace(/^\/+/, '').includes('/') && !trimmed.startsWith('/');
  const anchored = typedBytes(trimmed.replace(/^\/+/, ''))
    // A leading '!' is a name here ('!important.txt'), not picomatch's negation that matches everything else.
    .replace(/^!/, '\\!');
  if (anchored === '') throw usageError(`the pattern '${pattern}' names no path`, "give a glob such as '*.ts' or 'src/**'");
  if (anchored.length > MAX_PATTERN) throw usageError(`the pattern is ${anchored.length.toLocaleString('en')} characters long`, `give one of at most ${MAX_PATTERN.toLocaleString('en')}`);
  return picomatch(anchored, { dot: true, basename: bare });
}

/** The longest pattern taken: picomatch refuses longer ones in its own words. */
const MAX_PATTERN = 65_536;

/**
 * A name typed as it is shown (`caf\xe9.txt`, a byte that is not UTF-8) matches the name the index keeps for
 * it (names.ts: one lone surrogate per such byte); `\x` below 0x80 is a plain backslash and x, as typed.
 */
function typedBytes(pattern: string): string {
  return pattern.replace(/\\x([89a-f][0-9a-f])/gi, (_, hex: string) => String.fromCharCode(0xdc80 + (parseInt(hex, 16) & 0x7f)));
}

/**
 * What the popover's search field means: a glob when it has glob characters, else a part of a path. A real
 * name holding such characters (`file[1].txt`) is found by its part as well.
 */
export async function searchMatcher(query: string): Promise<(p: string) => boolean> {
  const needle = typedBytes(query).toLowerCase();
  const part = (p: string): boolean => p.toLowerCase().includes(needle);
  if (!/[*?[\]{}]/.test(query)) return part;
  const glob = await globMatcher(query).catch(() => null);
  return glob ? (p) => glob(p) || part(p) : part;
}
