#!/usr/bin/env node
// A stand-in for macOS tmutil, for tests: snapshots of the volume $FAKE_APFS_VOLUME are copies kept under
// $FAKE_APFS_STATE/snapshots/<name>. It prints what tmutil prints ($FAKE_APFS_STATE/mode selects a macOS era
// or a failure), including the dangerous behaviour of deletelocalsnapshots given a mount point.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');

const volume = process.env.FAKE_APFS_VOLUME;
const state = process.env.FAKE_APFS_STATE;
const log = process.env.FAKE_TOOLS_LOG;
const args = process.argv.slice(2);
if (log) fs.appendFileSync(log, JSON.stringify(['tmutil', ...args]) + '\n');
const modeFile = path.join(state, 'mode');
const mode = fs.existsSync(modeFile) ? fs.readFileSync(modeFile, 'utf8').trim() : 'sonoma';
const snaps = path.join(state, 'snapshots');
fs.mkdirSync(snaps, { recursive: true });
const out = (s) => process.stdout.write(s);
const pad = (n) => String(n).padStart(2, '0');

if (mode === 'no-fda' && args[0] !== 'localsnapshot') {
  process.stderr.write(`tmutil: ${args[0]} requires Full Disk Access privileges.\n`);
  process.exit(1);
}
const others = ['com.apple.os.update-5D0C7B1E2A3F4B5C6D7E8F90A1B2C3D4E5F60718293A4B5C6D7E8F9'];

if (args[0] === 'localsnapshot') {
  if (mode === 'lying') { out('Created local snapshot with date: 2020-01-01-000000\n'); process.exit(0); }
  if (mode === 'garbled') { out('Snapshot creation is temporarily unavailable, see system log\n'); process.exit(0); }
  // tmutil names snapshots by the second; quick successive calls in tests take the next free second.
  const stamp = (d) => `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}-${pad(d.getHours())}${pad(d.getMinutes())}${pad(d.getSeconds())}`;
  let t = Date.now();
  while (fs.readdirSync(snaps).some((n) => n.includes(stamp(new Date(t))))) t += 1000;
  const date = stamp(new Date(t));
  const name = `com.apple.TimeMachine.${date}${mode === 'catalina' ? '' : '.local'}`;
  const dest = path.join(snaps, name);
  fs.mkdirSync(dest);
  for (const entry of fs.readdirSync(volume)) execFileSync('cp', ['-a', path.join(volume, entry), dest]);
  if (mode !== 'catalina') out('NOTE: local snapshots are considered purgeable and may be removed at any time by deleteLocalSnapshots.\n');
  out(`Created local snapshot with date: ${date}\n`);
} else if (args[0] === 'listlocalsnapshots') {
  if (mode === 'catalina') out('Snapshots for volume group containing disk /:\n');
  else out('Snapshots for disk /:\n');
  for (const n of [...others, ...fs.readdirSync(snaps).sort()]) out(`${n}\n`);
} else if (args[0] === 'deletelocalsnapshots') {
  const what = args[1] ?? '';
  if (what.startsWith('/')) {
    // The real tool deletes every local snapshot of the volume when given a mount point.
    for (const n of fs.readdirSync(snaps)) { execFileSync('chmod', ['-R', 'u+w', path.join(snaps, n)]); fs.rmSync(path.join(snaps, n), { recursive: true }); }
    out(`Deleted local snapshot(s) for volume ${what}\n`);
    process.exit(0);
  }
  const hit = fs.readdirSync(snaps).find((n) => n.includes(`.${what}`));
  if (!hit) { process.stderr.write(`Failed to delete local snapshot '${what}'\n`); process.exit(1); }
  execFileSync('chmod', ['-R', 'u+w', path.join(snaps, hit)]);
  fs.rmSync(path.join(snaps, hit), { recursive: true });
  out(`Deleted local snapshot '${what}'\n`);
} else {
  process.stderr.write(`Usage: tmutil help <verb>\n`);
  process.exit(1);
}
