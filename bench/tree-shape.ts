// node dist/bench/tree-shape.js DIR [--json]: the shape of a folder, as bench/tree.ts needs it to imitate
// one (file sizes, files per folder, depth, extensions, symlinks). Run on a real node_modules to check that
// the generated tree still looks like one (bench/README.md, "The small-file tree").
import { lstatSync, readdirSync, readlinkSync } from 'node:fs';
import path from 'node:path';

export interface TreeStats {
  files: number;
  folders: number;
  symlinks: number;
  binSymlinks: number;
  bytes: number;
  /** File size percentiles in bytes: p10, p25, p50, p75, p90, p99. */
  size: Record<'p10' | 'p25' | 'p50' | 'p75' | 'p90' | 'p99' | 'max', number>;
  /** Share of all bytes held by files of at least 64 KiB and 1 MiB, and how many such files. */
  largeShare: { over64k: number; over1m: number; filesOver64k: number; filesOver1m: number };
  /** Files directly in each folder that holds any (p50, p90, max) and the share of folders holding none. */
  filesPerFolder: Record<'p50' | 'p90' | 'max', number> & { emptyShare: number };
  /** Depth of each file below DIR (a file in DIR is 1). */
  depth: Record<'p50' | 'p90' | 'max', number>;
  /** Share of files by extension, the common ones. */
  extensions: Record<string, number>;
}

function percentile(sorted: readonly number[], p: number): number {
  if (!sorted.length) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

export function treeStats(root: string): TreeStats {
  const sizes: number[] = [];
  const perFolder: number[] = [];
  const depths: number[] = [];
  const ext = new Map<string, number>();
  let symlinks = 0;
  let binSymlinks = 0;
  const walk = (dir: string, depth: number): void => {
    let here = 0;
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p, depth + 1);
      else if (e.isSymbolicLink()) {
        symlinks++;
        if (path.basename(dir) === '.bin') { binSymlinks++; readlinkSync(p); }
      } else if (e.isFile()) {
        here++;
        sizes.push(lstatSync(p).size);
        depths.push(depth);
        const x = path.extname(e.name).toLowerCase();
        const key = ['.js', '.json', '.ts', '.map', '.md', '.cjs', '.mjs', '.cts', '.mts'].includes(x) ? x : e.name.endsWith('.d.ts') ? '.ts' : 'other';
        ext.set(key, (ext.get(key) ?? 0) + 1);
      }
    }
    perFolder.push(here);
  };
  walk(root, 1);
  const bytes = sizes.reduce((a, b) => a + b, 0);
  const sorted = [...sizes].sort((a, b) => a - b);
  const holding = perFolder.filter((n) => n > 0).sort((a, b) => a - b);
  const sortedDepth = [...depths].sort((a, b) => a - b);
  const over = (min: number): number[] => sizes.filter((s) => s >= min);
  const share = (xs: number[]): number => (bytes ? xs.reduce((a, b) => a + b, 0) / bytes : 0);
  const extensions: Record<string, number> = {};
  for (const [k, n] of [...ext].sort((a, b) => b[1] - a[1])) extensions[k] = Number((n / Math.max(1, sizes.length)).toFixed(3));
  return {
    files: sizes.length, folders: perFolder.length, symlinks, binSymlinks, bytes,
    size: { p10: percentile(sorted, 10), p25: percentile(sorted, 25), p50: percentile(sorted, 50), p75: percentile(sorted, 75), p90: percentile(sorted, 90), p99: percentile(sorted, 99), max: sorted.at(-1) ?? 0 },
    largeShare: { over64k: Number(share(over(65536)).toFixed(3)), over1m: Number(share(over(1 << 20)).toFixed(3)), filesOver64k: over(65536).length, filesOver1m: over(1 << 20).length },
    filesPerFolder: { p50: percentile(holding, 50), p90: percentile(holding, 90), max: holding.at(-1) ?? 0, emptyShare: Number((1 - holding.length / Math.max(1, perFolder.length)).toFixed(3)) },
    depth: { p50: percentile(sortedDepth, 50), p90: percentile(sortedDepth, 90), max: sortedDepth.at(-1) ?? 0 },
    extensions,
  };
}

if (process.argv[1] && path.basename(process.argv[1]) === 'tree-shape.js') {
  const dir = process.argv[2];
  if (!dir) throw new Error('usage: node dist/bench/tree-shape.js DIR');
  process.stdout.write(`${JSON.stringify(treeStats(dir), null, 2)}\n`);
}
