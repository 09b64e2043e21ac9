#!/usr/bin/env node
// A stand-in for osascript running `do shell script "…" with administrator privileges`: it checks the
// AppleScript has that shape, logs it, and runs the shell line as macOS would after the password (here,
// as the test's own user). FAKE_OSASCRIPT=cancel answers as a user pressing Cancel; FAKE_OSASCRIPT_SLOW=ms:file
// makes the first prompt (until the marker file exists) take that long, a person slow to type the password.
'use strict';
const fs = require('node:fs');
const { spawnSync } = require('node:child_process');
const log = process.env.FAKE_TOOLS_LOG;
const args = process.argv.slice(2);
if (log) fs.appendFileSync(log, JSON.stringify(['osascript', ...args]) + '\n');
const script = args[0] === '-e' ? args[1] : '';
const m = /^do shell script "((?:[^"\\]|\\.)*)" with prompt "((?:[^"\\]|\\.)*)" with administrator privileges$/.exec(script ?? '');
if (!m) { process.stderr.write(`fake osascript: unexpected script: ${script}\n`); process.exit(64); }
const [slowMs, slowMarker] = (process.env.FAKE_OSASCRIPT_SLOW ?? '').split(/:(.*)/s);
if (slowMarker && !fs.existsSync(slowMarker)) {
  fs.writeFileSync(slowMarker, '');
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, Number(slowMs));
}
if (process.env.FAKE_OSASCRIPT === 'cancel') { process.stderr.write('0:67: execution error: User canceled. (-128)\n'); process.exit(1); }
const line = m[1].replace(/\\(.)/g, '$1');
const r = spawnSync('/bin/sh', ['-c', line], { stdio: 'inherit', env: { ...process.env, FAKE_ELEVATED: '1' } });
process.exit(r.status ?? 1);
