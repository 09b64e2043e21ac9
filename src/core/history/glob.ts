import { usageError } from '../base/errors.js';

/**
 * A glob as gitignore reads one: a pattern without a slash (`*.ts`, `config.json`) matches the name in any
 * folder; one with a slash (`src/**\/config.*`, `/README.md`) matches from the top of the folder. Dot files
 * match like any other name. picomatch loads on first use: `snapctl list` never needs it.
 */
export async function globMatcher(pattern: string): Promise<(p: string) => boolean> {
  const { default: picomatch } = await import('picomatch');
  const anchored = pattern.trim().replace(/\/+$/, '').replace(/^\/+/, '');
  if (anchored === '') throw usageError(`the pattern '${pattern}' names no path`, "give a glob such as '*.ts' or 'src/**'");
  const bare = !anchored.includes('/');
  return picomatch(anchored, { dot: true, basename: bare });
}

/** What the popover's search field means: a glob when it has glob characters, else a part of a path. */
export async function searchMatcher(query: string): Promise<(p: string) => boolean> {
  if (/[*?[\]{}]/.test(query)) return globMatcher(query);
  const needle = query.toLowerCase();
  return (p) => p.toLowerCase().includes(needle);
}
