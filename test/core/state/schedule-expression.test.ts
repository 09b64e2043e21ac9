import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { checkSchedule, validateSchedule } from '../../../src/core/state/schedule-expression.js';
import { Scheduler } from '../../../src/core/triggers/scheduler.js';
import { SettingsStore, defaultSettings } from '../../../src/core/state/settings.js';
import { HomeLayout } from '../../../src/core/state/paths.js';
import { sandbox } from '../../helpers/helpers.js';

describe('schedules read back in plain words', () => {
  test('a valid schedule is described, with its next 3 runs', async () => {
    const hourly = await checkSchedule('0 * * * *');
    assert.ok(hourly.ok);
    assert.equal(hourly.description, 'every hour at :00');
    assert.equal(hourly.next.length, 3);
    for (const t of hourly.next) assert.equal(new Date(t).getMinutes(), 0);
    assert.ok(hourly.next.every((t, i, all) => i === 0 || t > (all[i - 1] ?? '')), 'soonest first');
    const weekdays = await checkSchedule('30 9 * * 1-5');
    assert.ok(weekdays.ok);
    assert.equal(weekdays.description, 'at 09:30, Monday through Friday');
    for (const t of weekdays.next) assert.ok(![0, 6].includes(new Date(t).getDay()));
  });

  test('an invalid schedule says what is wrong in plain words', async () => {
    assert.deepEqual(await checkSchedule('61 * * * *'), { ok: false, schedule: '61 * * * *', error: 'the minute must be 0-59; 61 was given' });
    assert.equal(validateSchedule('0 25 * * *'), 'the hour must be 0-23; 25 was given');
    assert.equal(validateSchedule('0 0 32 * *'), 'the day of the month must be 1-31; 32 was given');
    // A real day of a month too short for it: the date never comes.
    assert.match(validateSchedule('0 0 30 2 *') ?? '', /^this schedule never runs: no month it names has day 30 \(February has at most 29 days/);
    assert.match(validateSchedule('0 0 31 4,6 *') ?? '', /^this schedule never runs/);
    assert.equal(validateSchedule('0 0 29 2 *'), null, 'a leap day comes every four years');
    assert.match(validateSchedule('* * * *') ?? '', /^the schedule has 4 fields; it needs 5/);
  });

  test('the check and the scheduler never disagree: what the check refuses, the scheduler refuses', async () => {
    const box = await sandbox();
    try {
      const scheduler = new Scheduler({ stateFile: `${box.home}/s.json`, runner: { snapshot: () => Promise.reject(new Error('no')), prune: () => Promise.resolve() } });
      for (const bad of ['61 * * * *', '* * * *', '0 0 * 13 *', '*/0 * * * *']) {
        assert.equal((await checkSchedule(bad)).ok, false, bad);
        assert.throws(() => scheduler.apply([{ path: box.project, schedule: bad, provider: 'clone', retention: defaultSettings().targets[0]?.retention ?? { hourly: 1, daily: 1, weekly: 1, monthly: 1, manual: 1, safety: 1, preOperation: 1 }, paused: false, keepGit: false, excludes: [], maxStoreBytes: null }]), bad);
      }
      await scheduler.stop();
    } finally {
      await box.cleanup();
    }
  });

  test('settings errors name the folder and the field as a person says them', async () => {
    const box = await sandbox();
    try {
      const store = new SettingsStore(new HomeLayout(box.home));
      await assert.rejects(store.save({ ...defaultSettings(), targets: [{ path: '/x', schedule: '61 * * * *' }] }), { message: 'the folder /x: its schedule: the minute must be 0-59; 61 was given' });
      await assert.rejects(store.save({ ...defaultSettings(), targets: [{ path: 'relative' }] }), { message: 'the folder relative: its path: must be a full folder path, starting with /' });
      await assert.rejects(store.save({ ...defaultSettings(), targets: [{ path: '/x', retention: { hourly: -1 } }] }), { message: 'the folder /x: how many snapshots it keeps: hourly snapshots kept: must be at least 0' });
      await assert.rejects(store.save({ ...defaultSettings(), targets: [{ path: '/x' }], statsd: { port: 'x' } }), { message: 'metrics: the port: must be a number' });
      const saved = await store.save({ ...defaultSettings(), targets: [{ path: box.project }] });
      assert.equal(saved.targets[0]?.keepGit, false, 'keepGit defaults to false');
    } finally {
      await box.cleanup();
    }
  });
});
