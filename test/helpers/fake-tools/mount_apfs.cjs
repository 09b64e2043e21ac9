#!/usr/bin/env node
// A stand-in for mount_apfs -s: "mounts" a fake tmutil snapshot by copying it to the mount point.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');

const state = process.env.FAKE_APFS_STATE;
const log = process.env.FAKE_TOOLS_LOG;
const args = process.argv.slice(2);
if (log) fs.appendFileSync(log, JSON.stringify(['mount_apfs', ...args]) + '\n');
const modeFile = path.join(state, 'mode');
const mode = fs.existsSync(modeFile) ? fs.readFileSync(modeFile, 'utf8').trim() : 'sonoma';
const s = args.indexOf('-s');
const o = args.indexOf('-o');
const name = args[s + 1];
const [volume, mnt] = args.slice(-2);
if (s < 0 || o < 0 || !args[o + 1].split(',').includes('rdonly')) { process.stderr.write('fake mount_apfs: expected -o ...rdonly... -s NAME VOLUME MNT\n'); process.exit(64); }
if (volume !== process.env.FAKE_APFS_VOLUME) { process.stderr.write(`mount_apfs: volume could not be mounted: No such file or directory\n`); process.exit(71); }
if (mode === 'not-root' && process.env.FAKE_ELEVATED !== '1') { process.stderr.write('mount_apfs: volume could not be mounted: Operation not permitted\n'); process.exit(75); }
const src = path.join(state, 'snapshots', name);
if (!fs.existsSync(src)) { process.stderr.write(`mount_apfs: snapshot "${name}" not found\n`); process.exit(71); }
for (const entry of fs.readdirSync(src)) execFileSync('cp', ['-a', path.join(src, entry), mnt]);
fs.writeFileSync(path.join(state, 'mounted'), mnt);
