// Bundles what tsc cannot emit on its own: the popover (one IIFE for a strict CSP, no inline script), the
// sandboxed preload (Electron requires a single CommonJS file there), and the CLI: one file plus lazily
// loaded chunks starts ~30 ms faster than ~40 separate ES modules, which counts for `snapctl list` in scripts
// and git hooks. Heavy dependencies stay behind dynamic imports, in chunks of their own.
import { copyFile, mkdir, rm } from 'node:fs/promises';
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
  minify: !process.env.SNAPCTL_BUNDLE_READABLE, // readable names when profiling
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

/**
 * Node's built-in modules reached through require, not import: an ES import of a built-in builds a facade
 * that reads every export once, which loads fs streams for any `import ... from 'node:fs'` (measured: ten
 * built-ins cost ~11 ms imported, ~6 ms required). The banner below provides `__snapctlBuiltin`.
 */
const builtinsByRequire = {
  name: 'builtins-by-require',
  setup(b) {
    b.onResolve({ filter: /^node:/ }, (args) => ({ path: args.path, namespace: 'builtin' }));
    b.onLoad({ filter: /.*/, namespace: 'builtin' }, (args) => ({ contents: `module.exports = __snapctlBuiltin(${JSON.stringify(args.path)});`, loader: 'js' }));
  },
};

/**
 * proper-lockfile reaches fs through graceful-fs, which queues and retries opens on EMFILE and patches the
 * process's fs.close on load. A lock makes a handful of calls, and loading graceful-fs cost every command
 * that writes ~7 ms (node -e require, 20 runs), so the CLI bundle gives it Node's fs.
 */
const plainFsForLockfile = {
  name: 'plain-fs-for-lockfile',
  setup(b) {
    b.onResolve({ filter: /^graceful-fs$/ }, () => ({ path: 'graceful-fs', namespace: 'plain-fs' }));
    b.onLoad({ filter: /.*/, namespace: 'plain-fs' }, () => ({ contents: "module.exports = require('node:fs');", loader: 'js' }));
  },
};

const cliOut = path.join(root, 'dist', 'src', 'cli-bundle'); // same depth as dist/src/cli: relative paths hold
await rm(cliOut, { recursive: true, force: true });
await build({
  entryPoints: [path.join(root, 'src/cli/main.ts')],
  outdir: cliOut,
  outExtension: { '.js': '.mjs' },
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: ['node20'],
  // hot-shots' optional native Unix-socket transport is loaded by hot-shots itself when asked for.
  external: ['unix-dgram', '@reflink/reflink'], // native modules: required from node_modules at run time
  plugins: [builtinsByRequire, plainFsForLockfile],
  // Bundled CommonJS dependencies use require, __filename and __dirname; give them those in the ES module.
  banner: {
    js: [
      "import { createRequire as __snapctlRequire } from 'node:module';",
      "import { fileURLToPath as __snapctlPath } from 'node:url';",
      "import { dirname as __snapctlDirname } from 'node:path';",
      'const require = __snapctlRequire(import.meta.url);',
      'const __snapctlBuiltin = require;',
      'const __filename = __snapctlPath(import.meta.url);',
      'const __dirname = __snapctlDirname(__filename);',
    ].join(' '),
  },
  minify: !process.env.SNAPCTL_BUNDLE_READABLE, // readable names when profiling
  sourcemap: true,
  logLevel: 'warning',
});
