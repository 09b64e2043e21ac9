#!/usr/bin/env node
// A stand-in for zfs(8), for tests: one dataset mounted at $FAKE_ZFS_MOUNT, snapshots kept where real ZFS
// shows them (<mountpoint>/.zfs/snapshot/<name>), and the real command's output formats and messages.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');

const mount = process.env.FAKE_ZFS_MOUNT;
const dataset = process.env.FAKE_ZFS_DATASET || 'tank/home';
const log = process.env.FAKE_TOOLS_LOG;
const args = process.argv.slice(2);
if (log) fs.appendFileSync(log, JSON.stringify(['zfs', ...args]) + '\n');
const snapRoot = path.join(mount, '.zfs', 'snapshot');
const out = (s) => process.stdout.write(s);
const fail = (msg, code = 1) => { process.stderr.write(msg + '\n'); process.exit(code); };
const snapDir = (name) => path.join(snapRoot, name.split('@')[1]);
const statePath = path.join(mount, '.zfs', 'state.json');
const state = () => (fs.existsSync(statePath) ? JSON.parse(fs.readFileSync(statePath, 'utf8')) : {});

if (args[0] === 'list' && args.includes('filesystem')) {
  const child = process.env.FAKE_ZFS_CHILD_MOUNT ? `${dataset}/db\t${process.env.FAKE_ZFS_CHILD_MOUNT}\n` : '';
  out(`tank\t/${'tank'}\n${dataset}\t${mount}\ntank/legacy\tlegacy\ntank/swap\tnone\n${child}`);
} else if (args[0] === 'list' && args.includes('snapshot')) {
  const name = args[args.length - 1];
  if (!name.includes('@') || !fs.existsSync(snapDir(name))) fail(`cannot open '${name}': dataset does not exist`);
  const created = state()[name] ?? 0;
  out(`${name}\t0\t${98304 + 512}\t${created}\n`);
} else if (args[0] === 'get') {
  // zfs get -H -p -o name,value used NAME...: one line per snapshot that exists, in the order asked.
  const names = args.slice(args.indexOf('used') + 1);
  for (const name of names) if (fs.existsSync(snapDir(name))) out(`${name}\t${process.env.FAKE_ZFS_USED || '4096'}\n`);
} else if (args[0] === 'snapshot') {
  const name = args[1];
  if (!name || !name.startsWith(`${dataset}@`)) fail(`cannot open '${name?.split('@')[0]}': dataset does not exist`);
  if (fs.existsSync(snapDir(name))) fail(`cannot create snapshot '${name}': dataset already exists`);
  fs.mkdirSync(snapRoot, { recursive: true });
  const dest = snapDir(name);
  fs.mkdirSync(dest);
  for (const entry of fs.readdirSync(mount)) if (entry !== '.zfs') execFileSync('cp', ['-a', path.join(mount, entry), dest]);
  const st = { ...state(), [name]: Math.floor(Date.now() / 1000) };
  fs.writeFileSync(statePath, JSON.stringify(st));
} else if (args[0] === 'destroy') {
  const name = args[args.length - 1];
  if (args.includes('-r') || args.includes('-R')) fail('fake zfs: a recursive destroy must never be asked for', 3);
  if (!name.includes('@')) fail('fake zfs: destroying a dataset must never be asked for', 3);
  if (!fs.existsSync(snapDir(name))) fail(`could not find any snapshots to destroy; check snapshot names.`);
  execFileSync('chmod', ['-R', 'u+w', snapDir(name)]);
  fs.rmSync(snapDir(name), { recursive: true, force: true });
} else if (args[0] === 'diff') {
  // zfs diff -H -F OLDER NEWER: the output the test wrote for it (real zfs computes it from the objects; a
  // stand-in made of copies has none to compare), or zfs's own error for a snapshot that is not there.
  for (const name of args.slice(-2)) if (!fs.existsSync(snapDir(name))) fail(`Unable to obtain diffs: \n   Cannot open snapshot '${name}': dataset does not exist`);
  if (process.env.FAKE_ZFS_DIFF_FAIL) fail(process.env.FAKE_ZFS_DIFF_FAIL);
  out(fs.readFileSync(process.env.FAKE_ZFS_DIFF, 'utf8'));
} else if (args[0] === 'rollback') {
  fail('fake zfs: zfs rollback must never be used (it destroys newer snapshots)', 3);
} else {
  fail(`unrecognized command '${args[0]}'\nusage: zfs command args ...`, 2);
}
