#!/usr/bin/env node
'use strict';
// Thin launcher: the CLI is built into dist/ by `npm run build` (run by `npm ci` through `prepare`). It is
// CommonJS (bin/package.json) so that a command does not wait for Node's ES module loader to set up; the
// per-module ES build is the fallback when only `tsc` has run.
const { existsSync } = require('node:fs');
const path = require('node:path');

const bundle = path.join(__dirname, '..', 'dist', 'src', 'cli-bundle', 'main.cjs');
const modules = path.join(__dirname, '..', 'dist', 'src', 'cli', 'main.js');

// The installed command and git hooks run whatever `node` is on PATH (Debian 12's is 18): say what is needed
// rather than fail somewhere inside.
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 20 || (major === 20 && minor < 5)) {
  process.stderr.write(`snapctl: needs Node.js 20.5 or later, and the node on PATH is ${process.versions.node}; install a newer one (https://nodejs.org)\n`);
  process.exit(1);
}

// `snapctl list --json` from the listing the last full `list` kept, when it can vouch for it: a small file of
// its own, so that scripts polling the list never load the whole CLI (src/cli/fast-list.ts).
const fastList = path.join(__dirname, '..', 'dist', 'src', 'cli-bundle', 'fast-list.cjs');

// A reader that stops early (`snapctl list --json | head`) closes the pipe: the rest of the output has nowhere
// to go, which is no failure of the command, and must not stop one that is changing files half way.
process.stdout.on('error', (err) => {
  if (err.code !== 'EPIPE' && err.code !== 'ERR_STREAM_DESTROYED') throw err;
});

async function main() {
  const args = process.argv.slice(2);
  if (args[0] === 'list' && existsSync(fastList)) {
    try {
      if (require(fastList).run(args)) return 0;
    } catch {
      // The full command below answers, and says what is wrong if anything is.
    }
  }
  let cli;
  if (existsSync(bundle)) cli = require(bundle);
  else if (existsSync(modules)) cli = await import(require('node:url').pathToFileURL(modules).href);
  else {
    process.stderr.write("snapctl: not built yet (run 'npm run build' in the snapctl folder)\n");
    return 1;
  }
  return cli.run(args);
}

main().then((code) => {
  // A finished command ends here even if a library left a timer or socket open; output is flushed first.
  process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
});
