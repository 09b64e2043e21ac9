import assert from 'node:assert/strict';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { needsFullDiskAccess, parseDiskutilSnapshots, parseListLocalSnapshots, parseLocalSnapshot, parseTmutilDate } from '../../../src/core/providers/apfs-output.js';
import { describeError } from '../../../src/core/base/errors.js';
import { parseJson, runCli } from '../../helpers/helpers.js';
import { apfsEnv, type ProviderEnv } from '../../helpers/provider-envs.js';
import { ServiceContext } from '../../../src/core/service/context.js';
import { createSnapshot } from '../../../src/core/service/create.js';
import { deleteSnapshot } from '../../../src/core/service/delete.js';
import { previewRollback } from '../../../src/core/service/preview.js';
import { getSnapshot, listSnapshots } from '../../../src/core/service/queries.js';
import { recover } from '../../../src/core/service/recovery.js';
import { rollback } from '../../../src/core/service/rollback.js';
import { reconcile } from '../../../src/core/service/verify.js';

// Output captured from the real tools, by macOS era (see DESIGN.md's field notes).
const LOCALSNAPSHOT_MONTEREY = 'NOTE: local snapshots are considered purgeable and may be removed at any time by deleteLocalSnapshots.\nCreated local snapshot with date: 2026-11-25-143012\n';
const LOCALSNAPSHOT_MOJAVE = 'Created local snapshot with date: 2019-01-25-102519\n';
const LIST_HIGH_SIERRA = 'com.apple.TimeMachine.2018-03-01-101010\ncom.apple.TimeMachine.2018-03-01-111010\n';
const LIST_CATALINA = 'Snapshots for volume group containing disk /:\ncom.apple.TimeMachine.2020-10-12-093412\n';
const LIST_SONOMA = 'Snapshots for disk /:\ncom.apple.TimeMachine.2026-11-25-090000.local\ncom.apple.os.update-5D0C7B1E2A3F4B5C6D7E8F90A1B2C3D4E5F60718293A4B5C6D7E8F9\ncom.bombich.ccc.6A2E3F1D-27B4-4A2B-9C8F-2F5E1B3C4D5E.2026-11-24-120000\ncom.apple.TimeMachine.2026-11-25-100000.local\n';
const DISKUTIL = `Snapshots for disk3s5 (2 found)
|
+-- 5B5E8D76-5AC3-4F2B-9F6F-0F0D6E1B2C3D
|   Name:        com.apple.TimeMachine.2026-11-25-090000.local
|   XID:         1234567
|   Purgeable:   Yes
|   NOTE:        This snapshot limits the minimum size of APFS Container disk3
|
+-- 0A1B2C3D-4E5F-4A6B-8C7D-9E0F1A2B3C4D
    Name:        com.apple.os.update-5D0C7B1E2A3F
    XID:         1234000
    Purgeable:   No
`;

/** Matches the whole line a user sees: the message and the hint that says what to do. */
const says = (re: RegExp) => (err: unknown): boolean => { assert.match(describeError(err), re); return true; };

describe('APFS: parsing tmutil and diskutil output strictly', () => {
  test('localsnapshot: the date is found whether or not a NOTE line comes first', () => {
    assert.equal(parseLocalSnapshot(LOCALSNAPSHOT_MONTEREY), '2026-11-25-143012');
    assert.equal(parseLocalSnapshot(LOCALSNAPSHOT_MOJAVE), '2019-01-25-102519');
  });

  test('listlocalsnapshots: with no header, either header, with and without .local, with other apps\' snapshots', () => {
    assert.deepEqual(parseListLocalSnapshots(LIST_HIGH_SIERRA), ['com.apple.TimeMachine.2018-03-01-101010', 'com.apple.TimeMachine.2018-03-01-111010']);
    assert.deepEqual(parseListLocalSnapshots(LIST_CATALINA), ['com.apple.TimeMachine.2020-10-12-093412']);
    assert.equal(parseListLocalSnapshots(LIST_SONOMA).length, 4);
    assert.deepEqual(parseListLocalSnapshots(''), []);
  });

  test('output that is not understood is an error quoting it, never an empty list', () => {
    assert.throws(() => parseListLocalSnapshots('Snapshots for disk /:\nSomething went wrong: error 22\n'), /could not read the output of tmutil listlocalsnapshots \/: "Snapshots for disk \/: \| Something went wrong: error 22"/);
    assert.throws(() => parseLocalSnapshot('Snapshot creation is temporarily unavailable\n'), /could not read the output of tmutil localsnapshot: "Snapshot creation is temporarily unavailable"/);
    assert.throws(() => parseDiskutilSnapshots('Name: orphan field\n'), /diskutil apfs listSnapshots/);
  });

  test('diskutil apfs listSnapshots adds UUIDs and XIDs', () => {
    const snaps = parseDiskutilSnapshots(DISKUTIL);
    assert.deepEqual(snaps.map((s) => [s.uuid, s.name, s.xid, s.purgeable]), [
      ['5B5E8D76-5AC3-4F2B-9F6F-0F0D6E1B2C3D', 'com.apple.TimeMachine.2026-11-25-090000.local', 1234567, true],
      ['0A1B2C3D-4E5F-4A6B-8C7D-9E0F1A2B3C4D', 'com.apple.os.update-5D0C7B1E2A3F', 1234000, false],
    ]);
    assert.deepEqual(parseDiskutilSnapshots('No snapshots for disk3s5\n'), []);
  });

  test('dates in snapshot names are local time', () => {
    const saved = process.env['TZ'];
    process.env['TZ'] = 'Asia/Kolkata'; // UTC+05:30, no daylight saving
    try {
      assert.equal(parseTmutilDate('2026-11-25-143012').toISOString(), '2026-11-25T09:00:12.000Z');
    } finally {
      if (saved === undefined) delete process.env['TZ']; else process.env['TZ'] = saved;
    }
  });

  test('the Full Disk Access refusal is recognised', () => {
    assert.equal(needsFullDiskAccess('tmutil: listlocalsnapshots requires Full Disk Access privileges.\n'), true);
    assert.equal(needsFullDiskAccess(LIST_SONOMA), false);
  });
});

describe('APFS provider through tmutil and mount_apfs stand-ins', () => {
  let pe: ProviderEnv;
  let service: ServiceContext;
  const file = (): string => path.join(pe.target, 'notes.txt');
  before(async () => {
    pe = await apfsEnv();
    service = new ServiceContext({ home: pe.home, env: { ...process.env, ...pe.env } });
    await writeFile(file(), 'v1\n');
  });
  after(() => pe.cleanup());

  test('--provider apfs forces it on any OS from the CLI, and info explains why it is not chosen here', async () => {
    const env = { SNAPCTL_HOME: pe.home, ...pe.env };
    const created = await runCli(['create', '--path', pe.target, '--provider', 'apfs', '--json'], env);
    assert.equal(created.code, 0, created.stderr);
    assert.match(parseJson<{ ref: string }>(created.stdout).ref, /^com\.apple\.TimeMachine\.\d{4}-\d{2}-\d{2}-\d{6}\.local$/);
    const info = await runCli(['info', '--path', pe.target, '--json'], { ...env, SNAPCTL_APFS_VOLUME: '' });
    assert.equal(info.code, 0, info.stderr);
    const choice = parseJson<{ chosen: string; reports: { name: string; usable: boolean; reason: string }[] }>(info.stdout);
    assert.equal(choice.chosen, 'clone');
    assert.match(choice.reports.find((r) => r.name === 'apfs')?.reason ?? '', /not macOS/);
  });

  test('older macOS names (no .local) work end to end; every mount is unmounted, even after a failure', async () => {
    await pe.setMode('catalina');
    const snap = await createSnapshot(service, { path: pe.target, provider: 'apfs' });
    assert.match(snap.ref, /^com\.apple\.TimeMachine\.\d{4}-\d{2}-\d{2}-\d{6}$/);
    await writeFile(file(), 'v2\n');
    assert.deepEqual((await previewRollback(service, snap.id)).modified, ['notes.txt']);
    await rollback(service, snap.id);
    assert.equal(await readFile(file(), 'utf8'), 'v1\n');
    const calls = await pe.calls();
    const mounts = calls.filter((c) => c[0] === 'mount_apfs').length;
    const unmounts = calls.filter((c) => c[0] === 'umount').length;
    assert.ok(mounts >= 2);
    assert.equal(unmounts, mounts);
    await pe.setMode('sonoma');
  });

  test('no administrator rights: the rollback fails before changing anything, says how to fix it, and leaves nothing to recover', async () => {
    const snap = await createSnapshot(service, { path: pe.target, provider: 'apfs' });
    await writeFile(file(), 'changed\n');
    const before = (await listSnapshots(service)).length;
    await pe.setMode('not-root');
    try {
      await assert.rejects(rollback(service, snap.id), says(/Operation not permitted.*administrator rights.*sudo/s));
    } finally {
      await pe.setMode('sonoma');
    }
    assert.equal(await readFile(file(), 'utf8'), 'changed\n');
    assert.equal((await listSnapshots(service)).length, before, 'no safety snapshot was left behind');
    assert.deepEqual(await recover(service), []);
  });

  test('the tray app: one click asks for the password with the system prompt, for the mount and unmount alone, and restores as the user', async () => {
    const app = new ServiceContext({ home: pe.home, env: { ...process.env, ...pe.env }, adminPrompt: true });
    const snap = await createSnapshot(app, { path: pe.target, provider: 'apfs' });
    await writeFile(file(), 'changed in the app\n');
    const earlier = (await pe.calls()).length;
    await pe.setMode('not-root');
    try {
      await rollback(app, snap.id);
    } finally {
      await pe.setMode('sonoma');
    }
    assert.notEqual(await readFile(file(), 'utf8'), 'changed in the app\n');
    const calls = (await pe.calls()).slice(earlier);
    const prompts = calls.filter((c) => c[0] === 'osascript').map((c) => c[2] ?? '');
    for (const script of prompts) {
      assert.match(script, /^do shell script "'\/[^']+\/(mount_apfs|umount|diskutil)'( '[^']*')+" with prompt ".+" with administrator privileges$/);
    }
    const mounts = calls.filter((c) => c[0] === 'mount_apfs').length;
    assert.ok(mounts >= 1);
    assert.equal(prompts.filter((p) => p.includes('/mount_apfs')).length, mounts, 'every mount went through the prompt');
    assert.equal(prompts.filter((p) => p.includes('/umount')).length, calls.filter((c) => c[0] === 'umount').length, 'and every unmount');
    assert.equal(prompts.length, mounts + calls.filter((c) => c[0] === 'umount').length, 'nothing else was elevated');
  });

  test('the tray app: a password typed slower than the tools\' timeout is not killed as a stuck tool, and the app is told around each prompt', async () => {
    const events: string[] = [];
    const around = async <T>(step: () => Promise<T>): Promise<T> => {
      events.push('asking');
      try { return await step(); } finally { events.push('answered'); }
    };
    const env = { ...process.env, ...pe.env, SNAPCTL_TOOL_TIMEOUT_MS: '2000', FAKE_OSASCRIPT_SLOW: `4000:${path.join(pe.home, 'slow-prompt-answered')}` };
    const app = new ServiceContext({ home: pe.home, env, adminPrompt: { around } });
    const snap = await createSnapshot(app, { path: pe.target, provider: 'apfs' });
    await writeFile(file(), 'changed before a slow password\n');
    await pe.setMode('not-root');
    try {
      await rollback(app, snap.id);
    } finally {
      await pe.setMode('sonoma');
    }
    assert.notEqual(await readFile(file(), 'utf8'), 'changed before a slow password\n');
    assert.ok(events.length >= 2 && events.length % 2 === 0, events.join(' '));
    assert.deepEqual(events, events.map((_e, i) => (i % 2 === 0 ? 'asking' : 'answered')));
  });

  test('the tray app: Cancel at the password prompt changes nothing and says so', async () => {
    const app = new ServiceContext({ home: pe.home, env: { ...process.env, ...pe.env, FAKE_OSASCRIPT: 'cancel' }, adminPrompt: true });
    const snap = await createSnapshot(app, { path: pe.target, provider: 'apfs' });
    await writeFile(file(), 'kept\n');
    await assert.rejects(rollback(app, snap.id), says(/administrator password was not given.*nothing was changed/s));
    assert.equal(await readFile(file(), 'utf8'), 'kept\n');
    assert.deepEqual(await recover(app), []);
  });

  test('auto never picks APFS local snapshots (macOS thins them within a day): a folder on APFS gets clone, and info says why', async () => {
    const info = await runCli(['info', '--path', pe.target, '--json'], { ...pe.env, SNAPCTL_HOME: pe.home });
    const choice = parseJson<{ chosen: string; reports: { name: string; usable: boolean; reason: string }[] }>(info.stdout);
    const apfs = choice.reports.find((r) => r.name === 'apfs');
    assert.equal(apfs?.usable, true);
    assert.equal(choice.chosen, 'clone');
    assert.match(apfs?.reason ?? '', /never picked on its own.*24 h.*password/s);
  });

  test('Full Disk Access missing: the error names the fix', async () => {
    await pe.setMode('no-fda');
    try {
      await assert.rejects(createSnapshot(service, { path: pe.target, provider: 'apfs' }), says(/requires Full Disk Access.*System Settings/s));
    } finally {
      await pe.setMode('sonoma');
    }
  });

  test('tmutil claiming a snapshot that does not exist, or printing something new, fails clearly', async () => {
    await pe.setMode('lying');
    await assert.rejects(createSnapshot(service, { path: pe.target, provider: 'apfs' }), /reported a local snapshot dated 2020-01-01-000000, but it is not in the list/);
    await pe.setMode('garbled');
    await assert.rejects(createSnapshot(service, { path: pe.target, provider: 'apfs' }), /could not read the output of tmutil localsnapshot: "Snapshot creation is temporarily unavailable/);
    await pe.setMode('sonoma');
  });

  test('a snapshot macOS thinned is marked vanished and no rollback is offered; deleting its record works', async () => {
    const snap = await createSnapshot(service, { path: pe.target, provider: 'apfs', tag: 'will be thinned' });
    const state = pe.env['FAKE_APFS_STATE'] ?? '';
    await rm(path.join(state, 'snapshots', snap.ref), { recursive: true });
    assert.deepEqual(await reconcile(service), [snap.id]);
    assert.equal((await getSnapshot(service, snap.id)).state, 'vanished');
    await assert.rejects(rollback(service, snap.id), /is vanished: its data no longer exists/);
    await deleteSnapshot(service, snap.id);
    assert.equal((await listSnapshots(service)).some((r) => r.id === snap.id), false);
  });

  test('deletelocalsnapshots is only ever given a full date, never a mount point (which would delete them all)', async () => {
    const keep = await createSnapshot(service, { path: pe.target, provider: 'apfs' });
    const drop = await createSnapshot(service, { path: pe.target, provider: 'apfs' });
    await deleteSnapshot(service, drop.id);
    const deletes = (await pe.calls()).filter((c) => c[0] === 'tmutil' && c[1] === 'deletelocalsnapshots');
    assert.ok(deletes.length >= 1);
    for (const d of deletes) assert.match(d[2] ?? '', /^\d{4}-\d{2}-\d{2}-\d{6}$/);
    const left = await readdir(path.join(pe.env['FAKE_APFS_STATE'] ?? '', 'snapshots'));
    assert.ok(left.includes(keep.ref), 'other snapshots are kept');
    assert.equal(left.includes(drop.ref), false);
  });
});
