#!/usr/bin/env node
// Runs the compiled test files given, or under the folders given (default: dist/test and dist/e2e), found recursively:
// Node 20's `--test` takes no globs, and its own directory search would run the helpers as tests too.
// Extra node --test flags may come first: node scripts/run-tests.mjs --test-concurrency=1 dist/test/faults
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';

const args = process.argv.slice(2);
const flags = args.filter((a) => a.startsWith('--'));
const roots = args.filter((a) => !a.startsWith('--'));
const files = [];
const visit = (dir) => {
  if (!statSync(dir).isDirectory()) { files.push(dir); return; }
  for (const name of readdirSync(dir).sort()) {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) visit(p);
    else if (name.endsWith('.test.js')) files.push(p);
  }
};
for (const root of roots.length > 0 ? roots : ['dist/test', 'dist/e2e']) visit(root);
if (files.length === 0) {
  process.stderr.write(`no test files under ${roots.join(', ')}\n`);
  process.exit(1);
}
const child = spawn(process.execPath, ['--test', ...(flags.length > 0 ? flags : ['--test-concurrency=2']), ...files], { stdio: 'inherit' });
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
