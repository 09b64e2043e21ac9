import { mkdir, symlink, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';

export interface TreeShape {
  files: number;
  folders: number;
  /** Total bytes, roughly: most files are small, a few large ones hold a third of it. */
  bytes: number;
  symlinks: number;
}

/** A deterministic pseudo-random sequence, so every run (and every tool) sees the same tree. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A node_modules-like tree: packages of nested folders full of small .js/.json files, a few large binaries,
 * and relative symlinks (as `.bin` holds). Contents are varied so no filesystem can deduplicate them.
 */
export async function generateTree(root: string, shape: TreeShape, seed = 42): Promise<{ files: string[]; bytes: number }> {
  const random = rng(seed);
  const folders: string[] = [];
  for (let i = 0; i < shape.folders; i++) {
    const pkg = `pkg-${Math.floor(i / 8)}`;
    const sub = i % 8 === 0 ? '' : `/${['lib', 'dist', 'src', 'esm', 'cjs', 'types', 'test'][i % 7]}-${i}`;
    folders.push(`node_modules/${pkg}${sub}`);
  }
  for (const f of folders) await mkdir(path.join(root, f), { recursive: true });
  const large = Math.max(1, Math.round(shape.files / 2000));
  const largeBytes = Math.floor(shape.bytes / 3 / large);
  const smallBytes = Math.max(64, Math.floor((shape.bytes - largeBytes * large) / Math.max(1, shape.files - large)));
  const files: string[] = [];
  let total = 0;
  const block = Buffer.alloc(1 << 20);
  for (let i = 0; i < block.length; i++) block[i] = Math.floor(random() * 256);
  const batch: Promise<void>[] = [];
  for (let i = 0; i < shape.files; i++) {
    const folder = folders[i % folders.length] as string;
    const isLarge = i < large;
    const size = isLarge ? largeBytes : Math.max(16, Math.floor(smallBytes * (0.2 + random() * 1.6)));
    const name = `${folder}/${isLarge ? `blob-${i}.node` : `file-${i}.${i % 5 === 0 ? 'json' : 'js'}`}`;
    const offset = Math.floor(random() * (block.length - Math.min(size, block.length)));
    const content = size <= block.length ? block.subarray(offset, offset + size) : Buffer.concat(Array.from({ length: Math.ceil(size / block.length) }, () => block)).subarray(0, size);
    const header = Buffer.from(`// ${name}\n`);
    files.push(name);
    total += size + header.length;
    batch.push(writeFile(path.join(root, name), Buffer.concat([header, content])));
    if (batch.length >= 64) await Promise.all(batch.splice(0));
  }
  await Promise.all(batch);
  for (let i = 0; i < shape.symlinks; i++) {
    const target = files[(i * 7919) % files.length] as string;
    const dir = path.join(root, 'node_modules', '.bin');
    await mkdir(dir, { recursive: true });
    await symlink(path.relative(dir, path.join(root, target)), path.join(dir, `tool-${i}`));
  }
  return { files, bytes: total };
}

/** Changes `fraction` of the files (rewrites content with a new mtime), deterministically. */
export async function changeFiles(root: string, files: readonly string[], fraction: number, round: number): Promise<number> {
  return changeCount(root, files, Math.max(1, Math.round(files.length * fraction)), round);
}

/** Changes `n` of the files (rewrites content with a new mtime), deterministically. */
export async function changeCount(root: string, files: readonly string[], n: number, round: number): Promise<number> {
  const when = new Date(Date.now() + round * 1000);
  for (let i = 0; i < n; i++) {
    const f = files[(i * 104729 + round * 31) % files.length] as string;
    await writeFile(path.join(root, f), `// changed in round ${round}\n${'x'.repeat(200 + (i % 100))}\n`);
    await utimes(path.join(root, f), when, when);
  }
  return n;
}

/**
 * File sizes of a real node_modules, as quantiles (share of files, bytes): measured with
 * `node dist/bench/tree-shape.js` on `npm install --ignore-scripts typescript eslint webpack jest react
 * react-dom @babel/core lodash` (11,166 files, 2026-12-06; bench/README.md, "The small-file tree"). Sizes
 * between two quantiles are interpolated on a log scale.
 */
const REAL_SIZES: readonly (readonly [number, number])[] = [
  [0, 0], [0.01, 26], [0.1, 115], [0.25, 352], [0.5, 1062], [0.75, 3379], [0.9, 11_701], [0.99, 119_122],
  [0.995, 188_756], [0.999, 699_916], [0.9997, 1_498_667], [1, 24_101_026],
];
/** Files per package of the same install: most packages hold a handful, a few hundreds. */
const REAL_PACKAGE_FILES: readonly (readonly [number, number])[] = [
  [0, 1], [0.25, 5], [0.5, 7], [0.75, 13], [0.9, 46], [0.99, 669], [1, 1051],
];
/** Extensions by share of files, same install (`.d.ts` files counted as `.ts`). */
const REAL_EXTENSIONS: readonly (readonly [string, number])[] = [
  ['.js', 0.513], ['.d.ts', 0.165], ['.js.map', 0.108], ['.json', 0.057], ['', 0.049], ['.md', 0.039], ['.mjs', 0.032], ['.d.mts', 0.027], ['.cjs', 0.01],
];
const FOLDER_WORDS = ['lib', 'dist', 'src', 'esm', 'cjs', 'types', 'utils', 'internal', 'helpers', 'rules', 'plugins', 'locale', 'bin', 'build', 'es', 'umd', 'core', 'modules', 'util', 'compat'];
const FILE_WORDS = ['index', 'utils', 'parse', 'config', 'types', 'helpers', 'create', 'format', 'resolve', 'options', 'main', 'errors', 'stream', 'plugin', 'visitor', 'scope', 'node', 'token', 'cache', 'compile'];

/** The value at quantile u of a table of (quantile, value), interpolated on a log scale. */
function quantile(table: readonly (readonly [number, number])[], u: number): number {
  for (let i = 1; i < table.length; i++) {
    const [u1, v1] = table[i] as readonly [number, number];
    if (u > u1 && i < table.length - 1) continue;
    const [u0, v0] = table[i - 1] as readonly [number, number];
    const t = u1 === u0 ? 1 : Math.min(1, Math.max(0, (u - u0) / (u1 - u0)));
    return Math.round(Math.exp(Math.log1p(v0) + t * (Math.log1p(v1) - Math.log1p(v0))) - 1);
  }
  return (table.at(-1) as readonly [number, number])[1];
}

/** The small-file tree's paths and sizes, written by `generateSmallFileTree`. */
export interface SmallFileTreePlan {
  /** Files, relative to the tree's root. */
  files: string[];
  /** Each file's size in bytes (the same index as `files`). */
  sizes: number[];
  /** Every folder that holds files or folders, sorted. */
  folders: string[];
  /** Files a `node_modules/.bin` link points to. */
  bins: string[];
}

/**
 * Where every file of the small-file tree goes and how big it is. Folder names carry no dash and file names
 * always do, so no file ever takes a folder's name.
 */
export function planSmallFileTree(count: number, seed = 7): SmallFileTreePlan {
  const random = rng(seed);
  // Sizes: one per stratum of the distribution, shuffled over the files (Fisher-Yates).
  const sizes = Array.from({ length: count }, (_, k) => quantile(REAL_SIZES, (k + 0.5) / count));
  for (let i = sizes.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [sizes[i], sizes[j]] = [sizes[j] as number, sizes[i] as number];
  }
  const files: string[] = [];
  const folders = new Set<string>();
  const bins: string[] = [];
  let pkgIndex = 0;
  while (files.length < count) {
    const n = Math.min(count - files.length, Math.max(1, quantile(REAL_PACKAGE_FILES, random())));
    const name = random() < 0.2 ? `@scope-${pkgIndex % 37}/pkg-${pkgIndex}` : `pkg-${pkgIndex}`;
    // One package in ten sits in another's node_modules (a version npm could not hoist).
    const host = pkgIndex > 10 && random() < 0.1 ? `node_modules/pkg-${Math.floor(random() * pkgIndex)}/` : '';
    const pkg = `${host}node_modules/${name}`;
    pkgIndex++;
    // Folders: about one per 7 files (the install holds one per 7.4), each below a random earlier one, at
    // most 4 deep; files skewed towards the first few, so most folders hold a handful and some none.
    const own: { dir: string; depth: number }[] = [{ dir: pkg, depth: 0 }];
    const wanted = Math.max(1, Math.round(n / 7));
    for (let f = 1; f < wanted; f++) {
      const shallow = own.filter((o) => o.depth < 4);
      const parent = shallow[Math.floor(random() * shallow.length)] as { dir: string; depth: number };
      own.push({ dir: `${parent.dir}/${FOLDER_WORDS[Math.floor(random() * FOLDER_WORDS.length)]}${f}`, depth: parent.depth + 1 });
    }
    for (const o of own) folders.add(o.dir);
    for (let k = 0; k < n; k++) {
      // The package root first, then skewed towards the earlier (shallower) folders: a few folders hold most files.
      const dir = k === 0 ? pkg : (own[Math.floor(own.length * random() ** 3)] as { dir: string }).dir;
      let file: string;
      if (k === 0) file = 'package.json';
      else {
        let u = random();
        let ext = '.js';
        for (const [e, share] of REAL_EXTENSIONS) { if (u < share) { ext = e; break; } u -= share; }
        file = `${FILE_WORDS[Math.floor(random() * FILE_WORDS.length)]}-${k}${ext}`;
      }
      files.push(`${dir}/${file}`);
    }
    if (n >= 5 && random() < 0.15) bins.push(files[files.length - 1] as string);
  }
  return { files, sizes, folders: [...folders].sort(), bins };
}

/**
 * A small-file tree shaped like a real `node_modules` (bench/README.md, "The small-file tree"): packages
 * (some scoped, some nested in another's node_modules) of a few to a thousand files in shallow folders,
 * file sizes drawn from the measured distribution (median ~1 KB), and relative symlinks in
 * `node_modules/.bin`. Deterministic for a seed and a file count; sizes are stratified, so even a few
 * hundred files follow the distribution. Returns the files' paths relative to `root`.
 */
export async function generateSmallFileTree(root: string, count: number, seed = 7): Promise<{ files: string[]; bytes: number; folders: number; symlinks: number }> {
  const { files, sizes, folders, bins } = planSmallFileTree(count, seed);
  for (const dir of folders) await mkdir(path.join(root, dir), { recursive: true });
  const random = rng(seed + 1);
  const block = Buffer.alloc(1 << 20);
  for (let i = 0; i < block.length; i++) block[i] = 32 + Math.floor(random() * 95);
  let bytes = 0;
  const batch: Promise<void>[] = [];
  for (let i = 0; i < files.length; i++) {
    const name = files[i] as string;
    const header = Buffer.from(`// ${name}\n`);
    const size = Math.max(0, (sizes[i] as number) - header.length);
    const offset = Math.floor(random() * (block.length - Math.min(size, block.length)));
    const content = size <= block.length ? block.subarray(offset, offset + size) : Buffer.concat(Array.from({ length: Math.ceil(size / block.length) }, () => block)).subarray(0, size);
    bytes += header.length + content.length;
    batch.push(writeFile(path.join(root, name), Buffer.concat([header, content])));
    if (batch.length >= 64) await Promise.all(batch.splice(0));
  }
  await Promise.all(batch);
  const binDir = path.join(root, 'node_modules', '.bin');
  await mkdir(binDir, { recursive: true });
  for (let i = 0; i < bins.length; i++) await symlink(path.relative(binDir, path.join(root, bins[i] as string)), path.join(binDir, `tool-${i}`));
  return { files, bytes, folders: folders.length, symlinks: bins.length };
}
