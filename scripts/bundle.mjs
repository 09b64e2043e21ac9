// Bundles what tsc cannot emit on its own: the popover (one IIFE for a strict CSP, no inline script), the
// sandboxed preload (Electron requires a single CommonJS file there), and the CLI as one CommonJS file, which
// starts sooner than separate ES modules: `snapctl list` must start within 2x node (bench/README.md). Heavy
// dependencies are required on first use, from files of their own.
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
 * Third-party packages the CLI needs only for some commands, each bundled into a file of its own and required
 * when first used: `snapctl list` never parses zod or execa. commander and env-paths, which every command
 * needs, stay in the main file.
 */
const VENDORED = ['zod', 'execa', 'hot-shots', 'node-cron', 'diff', 'cronstrue'];
const vendorAsFiles = {
  name: 'vendor-as-files',
  setup(b) {
    // A shim that requires the file: an external `import()` would stay one, and Node's ES module loader
    // would then set up and see none of the file's named exports.
    b.onResolve({ filter: new RegExp(`^(${VENDORED.join('|')})$`) }, (args) => ({ path: args.path, namespace: 'vendor-shim' }));
    b.onLoad({ filter: /.*/, namespace: 'vendor-shim' }, (args) => ({ contents: `module.exports = require(${JSON.stringify(`./vendor/${args.path}.cjs`)});`, loader: 'js' }));
    b.onResolve({ filter: /^\.\/vendor\// }, (args) => ({ path: args.path, external: true }));
  },
};

// commander loads child_process (and net, dgram, streams) for subcommands snapctl never uses; the list goal
// cannot afford it (bench/README.md, "Forms the code keeps"), so it gets a stand-in loading on first spawn.
const lazyChildProcessForCommander = {
  name: 'lazy-child-process-for-commander',
  setup(b) {
    b.onResolve({ filter: /^node:child_process$/ }, (args) => (args.importer.includes(`${path.sep}commander${path.sep}`) ? { path: 'child_process', namespace: 'lazy-child-process' } : undefined));
    b.onLoad({ filter: /.*/, namespace: 'lazy-child-process' }, () => ({ contents: "module.exports = { spawn: (...args) => require('node:child_process').spawn(...args) };", loader: 'js' }));
  },
};

const cliOut = path.join(root, 'dist', 'src', 'cli-bundle'); // same depth as dist/src/cli: relative paths hold
await rm(cliOut, { recursive: true, force: true });
const common = {
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: ['node20'],
  minify: !process.env.SNAPCTL_BUNDLE_READABLE, // readable names when profiling
  sourcemap: true,
  logLevel: 'warning',
};
// CommonJS: Node 20 sets up its ES module loader for the first `import` (bench/README.md, "Forms the code
// keeps"). esbuild cannot split CommonJS, so only the vendored packages are files of their own.
const cliCommon = {
  ...common,
  // hot-shots' optional native Unix-socket transport is loaded by hot-shots itself when asked for.
  external: ['unix-dgram', 'node-unix-socket', '@reflink/reflink', '@napi-rs/xattr', 'fs-native-extensions'], // native modules: required from node_modules at run time
  plugins: [vendorAsFiles, lazyChildProcessForCommander],
  define: { 'import.meta.url': '__snapctlUrl' },
  banner: { js: "const __snapctlUrl = require('node:url').pathToFileURL(__filename).href;" },
};
await build({ ...cliCommon, entryPoints: [path.join(root, 'src/cli/main.ts')], outfile: path.join(cliOut, 'main.cjs') });
// `snapctl list --json` answered from its cache before the bundle above is loaded (bin/snapctl.js, src/cli/fast-list.ts).
await build({ ...cliCommon, entryPoints: [path.join(root, 'src/cli/fast-list.ts')], outfile: path.join(cliOut, 'fast-list.cjs') });
// The worker thread `snapctl serve` answers its long queries in (core/runtime/query-pool.ts finds it beside main.cjs).
await build({ ...cliCommon, entryPoints: [path.join(root, 'src/core/runtime/query-worker.ts')], outfile: path.join(cliOut, 'query-worker.cjs') });
for (const pkg of VENDORED) {
  await build({
    ...common,
    stdin: { contents: `module.exports = require(${JSON.stringify(pkg)});`, resolveDir: root, loader: 'js' },
    outfile: path.join(cliOut, 'vendor', `${pkg}.cjs`),
    external: ['unix-dgram'],
  });
}
