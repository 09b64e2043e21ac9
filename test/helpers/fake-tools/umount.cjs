#!/usr/bin/env node
// A stand-in for umount of a fake APFS snapshot mount: empties the mount point.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const log = process.env.FAKE_TOOLS_LOG;
const mnt = process.argv[2];
if (log) fs.appendFileSync(log, JSON.stringify(['umount', mnt]) + '\n');
if (!mnt || !mnt.includes('snapctl-apfs-')) { process.stderr.write('fake umount: refusing a mount point snapctl did not make\n'); process.exit(1); }
execFileSync('chmod', ['-R', 'u+w', mnt]);
for (const entry of fs.readdirSync(mnt)) fs.rmSync(path.join(mnt, entry), { recursive: true, force: true });
fs.rmSync(path.join(process.env.FAKE_APFS_STATE, 'mounted'), { force: true });
