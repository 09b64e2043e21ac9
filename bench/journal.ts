// The change journal's costs: `npm run build && node dist/bench/journal.js WORKDIR [--rss]`.
// For trees of 20,000 and 200,000 files (node_modules-shaped, bench/tree.ts): the watch's start and its
// watches, a sync (cookie round trip), a full walk, and the narrowed walk after 200 files changed.
// With --rss: one process watching three folders of 200,000 files (the tree and two copies): peak RSS.
import { execFileSync } from 'node:child_process';
import { appendFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { ChangeJournal, type JournalToken } from '../src/core/changes/journal.js';
import { walk } from '../src/core/tree/walk.js';
import { listingDifferences, walkChanged } from '../src/core/tree/walk-changed.js';
import { generateTree } from './tree.js';

const work = process.argv[2];
if (!work) throw new Error('usage: node dist/bench/journal.js WORKDIR [--rss]');

async function treeOf(files: number): Promise<{ root: string; files: string[] }> {
  const root = path.join(work as string, `t-${files}`);
  if (existsSync(root)) return { root, files: (await walk(root)).entries.filter((e) => e.type === 'file').map((e) => e.path) };
  const { files: list } = await generateTree(root, { files, folders: files / 10, bytes: files * 300, symlinks: files / 200 });
  process.stderr.write(`made ${root}\n`);
  return { root, files: list.map((f) => path.relative(root, path.resolve(root, f))) };
}

async function time<T>(fn: () => Promise<T>): Promise<[number, T]> {
  const start = process.hrtime.bigint();
  const out = await fn();
  return [Number(process.hrtime.bigint() - start) / 1e6, out];
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const ms = (x: number): string => `${x.toFixed(1)} ms`;

async function measure(files: number): Promise<void> {
  const { root, files: list } = await treeOf(files);
  const [startMs, journal] = await time(() => ChangeJournal.start(root));
  const syncs: number[] = [];
  for (let i = 0; i < 21; i++) syncs.push((await time(() => journal.sync()))[0]);
  const walks: number[] = [];
  for (let i = 0; i < 3; i++) walks.push((await time(() => walk(root)))[0]);
  const token = await journal.mark() as JournalToken;
  const base = await walk(root);
  for (let i = 0; i < 200; i++) appendFileSync(path.join(root, list[(i * 7919) % list.length] as string), 'changed');
  const [askMs, changed] = await time(() => journal.changedSince(token));
  if (!changed.tracked) throw new Error(changed.reason);
  const narrowed: number[] = [];
  let last = base;
  for (let i = 0; i < 3; i++) { const [t, r] = await time(() => walkChanged(root, base, changed)); narrowed.push(t); last = r; }
  const differ = listingDifferences(last, await walk(root));
  process.stdout.write(`${files} files, ${journal.watches()} watches: start ${ms(startMs)}; sync median ${ms(median(syncs))}; `
    + `full walk median ${ms(median(walks))}; changedSince (sync + ${changed.paths.length} paths) ${ms(askMs)}; narrowed walk median ${ms(median(narrowed))} `
    + `(${(median(narrowed) / median(walks)).toFixed(3)}x the full walk); differences ${differ.length}\n`);
  await journal.stop();
}

async function rss(): Promise<void> {
  // Nothing walked in this process: the peak is the watches' own (run after the other mode made the tree).
  const root = path.join(work as string, 't-200000');
  if (!existsSync(root)) throw new Error(`run without --rss first: ${root} is made there`);
  const roots = [root];
  for (const copy of ['copy-1', 'copy-2']) {
    const to = path.join(work as string, `t-200000-${copy}`);
    if (!existsSync(to)) execFileSync('cp', ['-a', root, to]);
    roots.push(to);
  }
  const before = process.resourceUsage().maxRSS;
  const journals = [];
  for (const r of roots) journals.push(await ChangeJournal.start(r));
  for (const j of journals) await j.mark();
  const watches = journals.reduce((n, j) => n + j.watches(), 0);
  process.stdout.write(`3 folders of 200,000 files watched: ${watches} watches; peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB (${(before / 1024).toFixed(0)} MB before the watches)\n`);
  for (const j of journals) await j.stop();
}

if (process.argv.includes('--rss')) await rss();
else { await measure(20000); await measure(200000); }
