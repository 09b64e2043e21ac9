#!/usr/bin/env node
// Thin launcher: the CLI is built into dist/ by `npm run build` (run by `npm ci` through `prepare`). The
// bundle starts faster; the per-module build is the fallback when only `tsc` has run.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const candidates = ['../dist/src/cli-bundle/main.mjs', '../dist/src/cli/main.js'].map((p) => new URL(p, import.meta.url));
const entry = candidates.find((u) => existsSync(fileURLToPath(u)));
if (!entry) {
  process.stderr.write("snapctl: not built yet (run 'npm run build' in the snapctl folder)\n");
  process.exit(1);
}
const { run } = await import(entry.href);
const code = await run(process.argv.slice(2));
// A finished command ends here even if a library left a timer or socket open; output is flushed first.
process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
