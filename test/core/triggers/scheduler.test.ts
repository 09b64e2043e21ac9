import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createTask } from 'node-cron';
import type { SnapshotRecord } from '../../../src/shared/model.js';
import { Scheduler, missedSince, validateSchedule } from '../../../src/core/triggers/scheduler.js';
import { targetSettingsSchema, type TargetSettings } from '../../../src/core/state/settings.js';
import { sandbox } from '../../helpers/helpers.js';

const target = (p: string, schedule = '0 * * * *'): TargetSettings => targetSettingsSchema.parse({ path: p, schedule });

function fakeRunner(delayMs = 0): { calls: string[]; runner: ConstructorParameters<typeof Scheduler>[0]['runner'] } {
  const calls: string[] = [];
  return {
    calls,
    runner: {
      snapshot: async (t) => {
        calls.push(t.path);
        await new Promise((r) => setTimeout(r, delayMs));
        return { id: '20261124-000000-aaaaaa', target: t.path } as SnapshotRecord;
      },
      prune: async () => undefined,
    },
  };
}

describe('scheduler', () => {
  let box: Awaited<ReturnType<typeof sandbox>>;
  before(async () => { box = await sandbox(); });
  after(() => box.cleanup());

  test('cron expressions are validated with a clear message; second-level schedules are refused', () => {
    assert.equal(validateSchedule('0 * * * *'), null);
    assert.equal(validateSchedule('*/15 9-17 * * 1-5'), null);
    assert.match(validateSchedule('every hour') ?? '', /fields/);
    assert.match(validateSchedule('* * * * * *') ?? '', /6 fields; it needs 5/);
    assert.match(validateSchedule('61 * * * *') ?? '', /minute/);
  });

  test('an invalid schedule is refused and the previous schedules keep running', async () => {
    const { runner } = fakeRunner();
    const s = new Scheduler({ runner, stateFile: path.join(box.root, 'state1.json') });
    s.apply([target('/a', '0 * * * *')]);
    const before = s.nextRuns();
    assert.equal(before.length, 1);
    assert.ok(before[0]?.next instanceof Date);
    assert.throws(() => s.apply([target('/a', '0 * * * *'), { ...target('/b'), schedule: '99 * * * *' }]), /invalid schedule for \/b/);
    assert.deepEqual(s.nextRuns(), before);
    await s.stop();
  });

  test('runs on the same folder never overlap', async () => {
    const { runner, calls } = fakeRunner(100);
    const s = new Scheduler({ runner, stateFile: path.join(box.root, 'state2.json') });
    s.apply([target('/a')]);
    const [r1, r2] = await Promise.all([s.run('/a', 'manual'), s.run('/a', 'scheduled')]);
    assert.equal(calls.length, 1);
    assert.equal(r1, r2);
    await s.run('/a', 'manual');
    assert.equal(calls.length, 2, 'a later run goes ahead once the first finished');
    await s.stop();
  });

  test('a run missed while asleep is taken once on resume, not once per missed slot', async () => {
    const stateFile = path.join(box.root, 'state3.json');
    await writeFile(stateFile, JSON.stringify({ '/a': new Date(Date.now() - 5 * 3600_000).toISOString(), '/b': new Date().toISOString() }));
    const { runner, calls } = fakeRunner();
    const s = new Scheduler({ runner, stateFile });
    s.apply([target('/a'), target('/b', '0 0 1 1 *'), target('/c')]);
    const reports = await s.catchUp();
    assert.deepEqual(calls, ['/a'], '/b had no slot since its last run; /c was never seen, so it starts counting now');
    assert.equal(reports.length, 1);
    assert.deepEqual(await s.catchUp(), [], 'after catching up, nothing is due');
    await s.stop();
  });

  test('a paused scheduler has no next run and takes no catch-up', async () => {
    const stateFile = path.join(box.root, 'state4.json');
    await mkdir(box.root, { recursive: true });
    await writeFile(stateFile, JSON.stringify({ '/a': new Date(Date.now() - 5 * 3600_000).toISOString() }));
    const { runner, calls } = fakeRunner();
    const s = new Scheduler({ runner, stateFile });
    s.apply([target('/a')], true);
    assert.deepEqual(s.nextRuns(), [{ target: '/a', next: null }]);
    assert.deepEqual(await s.catchUp(), []);
    assert.deepEqual(calls, []);
    await s.stop();
  });

  test('missedSince finds a slot in (since, now] and nothing outside it', async () => {
    const task = createTask('30 * * * *', () => undefined);
    const now = new Date('2026-11-24T12:10:00Z');
    assert.equal(missedSince(task, new Date('2026-11-24T11:29:00Z'), now), true);
    assert.equal(missedSince(task, new Date('2026-11-24T11:30:00Z'), now), false);
    await task.destroy();
  });
});
