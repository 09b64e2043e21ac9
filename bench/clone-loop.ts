// node dist/bench/clone-loop.js SRC POOL: the floor under a first snapshot by reflink clones. It clones every
// file of SRC into POOL (256 folders, as the clone pool spreads its objects) with the same binding snapctl
// uses, and nothing else: no walk of metadata, no manifest, no Node start-up counted. Compare its time with
// `cp -a --reflink=always SRC elsewhere` run in the same minute (bench/README.md, issue 15's goals).
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { nativeReflink } from '../src/core/providers/clone/reflink.js';

const [src, pool] = process.argv.slice(2);
if (!src || !pool) throw new Error('usage: node dist/bench/clone-loop.js SRC POOL (POOL is removed and made again)');
const clone = nativeReflink();
if (!clone) throw new Error('the reflink binding has no build for this platform');

const files: string[] = [];
const walk = (dir: string): void => {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) walk(p); else if (e.isFile()) files.push(p);
  }
};
walk(src);
rmSync(pool, { recursive: true, force: true });
const folders = Array.from({ length: 256 }, (_, i) => path.join(pool, i.toString(16).padStart(2, '0')));
for (const f of folders) mkdirSync(f, { recursive: true });

const started = performance.now();
files.forEach((file, i) => { clone(file, `${folders[i % 256] ?? pool}/o${i}`); });
process.stdout.write(`${files.length} reflink clones, nothing else: ${(performance.now() - started).toFixed(0)} ms\n`);
rmSync(pool, { recursive: true, force: true });
