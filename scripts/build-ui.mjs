// Bundles what tsc cannot emit on its own: the popover (one IIFE for a strict CSP, no inline script) and the
// sandboxed preload (Electron requires a single CommonJS file there).
import { copyFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const out = path.join(root, 'dist', 'renderer');
await mkdir(out, { recursive: true });

await build({
  entryPoints: [path.join(root, 'src/renderer/main.tsx')],
  outfile: path.join(out, 'app.js'),
  bundle: true,
  format: 'iife',
  platform: 'browser',
  target: ['chrome120'],
  jsx: 'automatic',
  minify: true,
  sourcemap: true,
  define: { 'process.env.NODE_ENV': '"production"' },
  logLevel: 'warning',
});
for (const file of ['index.html', 'app.css', 'icon.svg']) await copyFile(path.join(root, 'src/renderer', file), path.join(out, file));

await build({
  entryPoints: [path.join(root, 'src/main/preload.ts')],
  outfile: path.join(root, 'dist', 'main', 'preload.cjs'),
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: ['node20'],
  external: ['electron'],
  logLevel: 'warning',
});
