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
  const n = Math.max(1, Math.round(files.length * fraction));
  const when = new Date(Date.now() + round * 1000);
  for (let i = 0; i < n; i++) {
    const f = files[(i * 104729 + round * 31) % files.length] as string;
    await writeFile(path.join(root, f), `// changed in round ${round}\n${'x'.repeat(200 + (i % 100))}\n`);
    await utimes(path.join(root, f), when, when);
  }
  return n;
}
