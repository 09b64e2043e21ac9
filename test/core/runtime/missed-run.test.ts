import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { SnapctlRuntime } from '../../../src/core/runtime/runtime.js';
import { defaultSettings } from '../../../src/core/state/settings.js';
import { sandbox } from '../../helpers/helpers.js';
import { listSnapshots } from '../../../src/core/service/queries.js';

describe('the runtime after the app was closed', () => {
  let box: Awaited<ReturnType<typeof sandbox>>;
  before(async () => {
    box = await sandbox();
    await writeFile(path.join(box.project, 'file'), 'version 1');
  });
  after(() => box.cleanup());

  test('on start the runtime takes a run missed while the app was closed, once, and prunes after it', async () => {
    const home = path.join(box.root, 'runtime-home');
    await mkdir(home, { recursive: true });
    await writeFile(path.join(home, 'settings.json'), JSON.stringify({ ...defaultSettings(), statsd: { enabled: false, host: '127.0.0.1', port: 8125, socket: null }, targets: [{ path: box.project, schedule: '0 * * * *' }] }));
    await writeFile(path.join(home, 'schedule-state.json'), JSON.stringify({ [box.project]: new Date(Date.now() - 3 * 3600_000).toISOString() }));
    const runtime = await SnapctlRuntime.start({ home, gaugeIntervalMs: 3_600_000 });
    try {
      const records = await listSnapshots(runtime.service);
      assert.equal(records.length, 1);
      assert.equal(records[0]?.trigger, 'schedule');
      const next = runtime.scheduler.nextRuns();
      assert.equal(next.length, 1);
      assert.ok(next[0]?.next && next[0].next.getTime() > Date.now());
      assert.deepEqual(await runtime.resume(), [], 'nothing more is due after the catch-up');
      await assert.rejects(runtime.updateSettings({ ...runtime.currentSettings(), targets: [{ path: box.project, schedule: '*/0 * * *' }] }), /^SnapctlError: the folder .*: its schedule: the schedule has 4 fields/);
      assert.equal(runtime.scheduler.nextRuns().length, 1, 'the previous schedule keeps running');
    } finally {
      await runtime.stop();
    }
  });

  test('the tray app starts without the catch-up (its icon must not wait for a full snapshot) and takes it when it asks', async () => {
    const home = path.join(box.root, 'tray-home');
    await mkdir(home, { recursive: true });
    await writeFile(path.join(home, 'settings.json'), JSON.stringify({ ...defaultSettings(), statsd: { enabled: false, host: '127.0.0.1', port: 8125, socket: null }, targets: [{ path: box.project, schedule: '0 * * * *' }] }));
    await writeFile(path.join(home, 'schedule-state.json'), JSON.stringify({ [box.project]: new Date(Date.now() - 3 * 3600_000).toISOString() }));
    const runtime = await SnapctlRuntime.start({ home, gaugeIntervalMs: 3_600_000, catchUp: 'later' });
    try {
      assert.equal((await listSnapshots(runtime.service)).length, 0, 'started, and nothing taken yet');
      const reports = await runtime.resume();
      assert.equal(reports.length, 1);
      assert.equal((await listSnapshots(runtime.service))[0]?.trigger, 'schedule');
    } finally {
      await runtime.stop();
    }
  });
});
