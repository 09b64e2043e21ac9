import { usageError } from '../base/errors.js';

/**
 * A compiled glob. It never backtracks more than one star: each path costs at most (its length) x (the
 * pattern's length) comparisons, counted in `steps` (a regular expression built from a glob, as picomatch
 * makes, backtracks over every star and took minutes on a pattern with many stars against long names).
 */
export interface PathMatcher {
  (path: string): boolean;
  /** Comparisons made so far, over every path matched: what the tests bound. */
  readonly steps: number;
}

/**
 * A glob as gitignore reads one: a pattern without a slash (`*.ts`, `config.json`) matches the name in any
 * folder; one with a slash (`src/**\/config.*`, `/README.md`) matches from the top of the folder. Dot files
 * match like any other name. `*` and `?` never cross a `/`; `**` as a whole segment matches any number of
 * folders, none included (`src/**` matches `src` too); `[a-z]`, `[!a]` (or `[^a]`) and `[[:digit:]]` are
 * sets of one character; `{a,b}` are alternatives; `\` takes the next character as it is. A leading `!` is
 * part of the name, never a negation.
 */
export async function globMatcher(pattern: string): Promise<PathMatcher> {
  const trimmed = pattern.trim().replace(/\/+$/, '');
  // A leading slash anchors the pattern at the top (as in .gitignore), even when it is the only slash.
  const bare = !trimmed.replace(/^\/+/, '').includes('/') && !trimmed.startsWith('/');
  const anchored = typedBytes(trimmed.replace(/^\/+/, ''));
  if (anchored === '') throw usageError(`the pattern '${pattern}' names no path`, "give a glob such as '*.ts' or 'src/**'");
  if (anchored.length > MAX_PATTERN) throw usageError(`the pattern is ${anchored.length.toLocaleString('en')} characters long`, `give one of at most ${MAX_PATTERN.toLocaleString('en')}`);
  const alternatives = expandBraces(anchored).map((alt) => alt.split('/').map(compileSegment));
  let steps = 0;
  const count = (): void => { steps++; };
  const match = (p: string): boolean => {
    const names = p.split('/');
    const path = bare ? names.slice(-1) : names;
    return alternatives.some((segments) => matchPath(segments, path, count));
  };
  return Object.defineProperty(match, 'steps', { get: () => steps }) as PathMatcher;
}

/** The longest pattern taken (a path's own limit, PATH_MAX), so no pattern makes a match costly. */
const MAX_PATTERN = 4_096;
/** The most alternatives braces may make (`{a,b}{c,d}` makes 4): each is matched against every path. */
const MAX_ALTERNATIVES = 256;

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

type Token =
  | { kind: 'char'; c: string }
  | { kind: 'any' }
  | { kind: 'star' }
  | { kind: 'set'; negated: boolean; ranges: [number, number][]; classes: RegExp[] };

/** A segment of the pattern: `**` (any number of folders), else the tokens of one name. */
type Segment = 'globstar' | { tokens: Token[]; fixed: number; literal: string | null };

function compileSegment(text: string): Segment {
  if (text === '**') return 'globstar';
  const chars = Array.from(text);
  const tokens: Token[] = [];
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i] as string;
    if (c === '\\' && i + 1 < chars.length) tokens.push({ kind: 'char', c: chars[++i] as string });
    else if (c === '*') { if (tokens.at(-1)?.kind !== 'star') tokens.push({ kind: 'star' }); }
    else if (c === '?') tokens.push({ kind: 'any' });
    else if (c === '[') {
      const set = parseSet(chars, i);
      if (set) { tokens.push(set.token); i = set.end; } else tokens.push({ kind: 'char', c });
    } else tokens.push({ kind: 'char', c });
  }
  const fixed = tokens.filter((t) => t.kind !== 'star').length;
  const literal = tokens.every((t) => t.kind === 'char') ? tokens.map((t) => (t.kind === 'char' ? t.c : '')).join('') : null;
  return { tokens, fixed, literal };
}

const POSIX_CLASSES: Record<string, RegExp> = {
  alnum: /[\p{L}\p{N}]/u, alpha: /\p{L}/u, digit: /[0-9]/, lower: /\p{Ll}/u, upper: /\p{Lu}/u, space: /\s/u,
  punct: /[\p{P}\p{S}]/u, xdigit: /[0-9a-fA-F]/, blank: /[ \t]/, word: /[\p{L}\p{N}_]/u,
};

/** `[...]` from `chars[start]`; null when it never closes (then `[` is a character of the name). */
function parseSet(chars: string[], start: number): { token: Token; end: number } | null {
  let i = start + 1;
  const negated = chars[i] === '!' || chars[i] === '^';
  if (negated) i++;
  const ranges: [number, number][] = [];
  const classes: RegExp[] = [];
  for (let first = true; i < chars.length; first = false) {
    let c = chars[i] as string;
    if (c === ']' && !first) return { token: { kind: 'set', negated, ranges, classes }, end: i };
    if (c === '[' && chars[i + 1] === ':') {
      const close = chars.indexOf(':', i + 2);
      const name = close > 0 && chars[close + 1] === ']' ? chars.slice(i + 2, close).join('') : '';
      const cls = POSIX_CLASSES[name];
      if (cls) { classes.push(cls); i = close + 2; continue; }
    }
    if (c === '\\' && i + 1 < chars.length) c = chars[++i] as string;
    let to = c;
    if (chars[i + 1] === '-' && i + 2 < chars.length && chars[i + 2] !== ']') {
      to = chars[i + 2] as string;
      if (to === '\\' && i + 3 < chars.length) { to = chars[i + 3] as string; i++; }
      i += 2;
    }
    ranges.push([c.codePointAt(0) ?? 0, to.codePointAt(0) ?? 0]);
    i++;
  }
  return null;
}

function oneChar(t: Token, c: string): boolean {
  if (t.kind === 'any') return true;
  if (t.kind === 'char') return t.c === c;
  if (t.kind === 'star') return false;
  const code = c.codePointAt(0) ?? 0;
  const inSet = t.ranges.some(([a, b]) => code >= a && code <= b) || t.classes.some((r) => r.test(c));
  return inSet !== t.negated;
}

/**
 * One name against one segment, by the greedy two-pointer walk: a star first takes nothing, and on a mismatch
 * only the last star seen takes one more character. Earlier stars never need to give any back, so there is
 * no backtracking beyond it.
 */
function matchName(seg: Exclude<Segment, 'globstar'>, name: string, count: () => void): boolean {
  count();
  if (seg.literal !== null) return seg.literal === name;
  const chars = Array.from(name);
  if (chars.length < seg.fixed) return false;
  const { tokens } = seg;
  let p = 0;
  let s = 0;
  let starP = -1;
  let starS = 0;
  while (s < chars.length) {
    count();
    const t = tokens[p];
    if (t?.kind === 'star') { starP = p++; starS = s; }
    else if (t && oneChar(t, chars[s] as string)) { p++; s++; }
    else if (starP >= 0) { p = starP + 1; s = ++starS; }
    else return false;
  }
  while (tokens[p]?.kind === 'star') p++;
  return p === tokens.length;
}

/** The same walk one level up: `**` is the star, and a folder name matching its segment is the character. */
function matchPath(segments: Segment[], names: string[], count: () => void): boolean {
  let p = 0;
  let s = 0;
  let starP = -1;
  let starS = 0;
  while (s < names.length) {
    const seg = segments[p];
    if (seg === 'globstar') { starP = p++; starS = s; }
    else if (seg && matchName(seg, names[s] as string, count)) { p++; s++; }
    else if (starP >= 0) { p = starP + 1; s = ++starS; }
    else return false;
  }
  while (segments[p] === 'globstar') p++;
  return p === segments.length;
}

/**
 * `{a,b}` made into the patterns it stands for (`{a}` and an unclosed `{` are characters of the name), at
 * most MAX_ALTERNATIVES of them.
 */
function expandBraces(pattern: string): string[] {
  const chars = Array.from(pattern);
  let open = -1;
  let depth = 0;
  const commas: number[] = [];
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i];
    if (c === '\\') { i++; continue; }
    if (c === '{') { if (depth++ === 0) { open = i; commas.length = 0; } }
    else if (c === '}' && depth > 0) {
      if (--depth === 0) {
        if (commas.length > 0) {
          const head = chars.slice(0, open).join('');
          const tail = chars.slice(i + 1).join('');
          const cuts = [open, ...commas, i];
          const out: string[] = [];
          for (let k = 0; k + 1 < cuts.length; k++) {
            const middle = chars.slice((cuts[k] ?? 0) + 1, cuts[k + 1]).join('');
            for (const alt of expandBraces(`${middle}${tail}`)) {
              out.push(head + alt);
              if (out.length > MAX_ALTERNATIVES) throw usageError(`the pattern's braces make more than ${MAX_ALTERNATIVES} patterns`, 'give fewer alternatives, or search for each on its own');
            }
          }
          return out;
        }
        // `{a}` holds no alternatives: its braces are characters, and any inside it are looked at again.
        i = open;
      }
    } else if (c === ',' && depth === 1) commas.push(i);
  }
  return [pattern];
}
