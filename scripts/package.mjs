#!/usr/bin/env node
// Builds the app's packages with electron-builder, each target from its own staging copy with that target's
// native modules: packaging/package.ts says how. Run `npm run build` first.
//   node scripts/package.mjs --platform linux --arch x64,arm64 --electron-dist stand-in   (what CI runs)
//   node scripts/package.mjs --platform mac --arch arm64,x64 --targets dmg,zip             (a release, on a Mac)
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const entry = new URL('../dist/packaging/package.js', import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  process.stderr.write("package: run 'npm run build' first (dist/packaging is missing)\n");
  process.exit(1);
}
const { main } = await import(entry.href);
await main(process.argv.slice(2)).catch((err) => {
  process.stderr.write(`package: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
