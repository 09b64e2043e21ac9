import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { SnapctlRuntime } from '../../../src/core/runtime/runtime.js';
import type { ServiceEvent } from '../../../src/core/service/events.js';
import { listSnapshots } from '../../../src/core/service/queries.js';
import { defaultSettings } from '../../../src/core/state/settings.js';
import { sandbox, writeThroughMmap } from '../../helpers/helpers.js';

describe('the running app tracks what changes in its folders', () => {
  let box: Awaited<ReturnType<typeof sandbox>>;
  let runtime: SnapctlRuntime;
  const events: ServiceEvent[] = [];

  before(async () => {
    box = await sandbox();
    await mkdir(path.join(box.project, 'src'));
    await writeFile(path.join(box.project, 'src', 'a.js'), 'a\n');
    await writeFile(path.join(box.project, 'data.bin'), Buffer.alloc(4096, 1));
    const home = path.join(box.root, 'home');
    await mkdir(home, { recursive: true });
    await writeFile(path.join(home, 'settings.json'), JSON.stringify({ ...defaultSettings(), statsd: { enabled: false, host: '127.0.0.1', port: 8125, socket: null }, targets: [{ path: box.project, schedule: '0 * * * *' }] }));
    runtime = await SnapctlRuntime.start({ home, gaugeIntervalMs: 3_600_000, catchUp: 'later', auditIntervalMs: 0 });
    runtime.service.onEvent((e) => events.push(e));
  });
  after(async () => {
    await runtime.stop();
    await box.cleanup();
  });

  test('before its first snapshot the folder is walked, and status says why', async () => {
    const view = await runtime.changesOf(box.project);
    assert.equal(view.changes?.tracked, false);
    assert.match(view.changes?.why ?? '', /no snapshot yet/);
  });

  test('after a snapshot, status counts the changes live; a scheduled run with nothing changed takes nothing and says since when', async () => {
    const first = await runtime.scheduler.run(box.project, 'manual');
    assert.ok(first.record);
    assert.deepEqual((await runtime.changesOf(box.project)).changes, { tracked: true, why: null, count: 0 });
    await writeFile(path.join(box.project, 'src', 'b.js'), 'b\n');
    const counted = (await runtime.changesOf(box.project)).changes;
    assert.equal(counted?.tracked, true);
    assert.ok((counted?.count ?? 0) >= 1, 'the new file is counted before any snapshot');
    const second = await runtime.scheduler.run(box.project, 'manual');
    assert.ok(second.record, 'something changed: a snapshot is taken');
    const before = (await listSnapshots(runtime.service, { target: box.project })).map((r) => r.id);
    const idle = await runtime.scheduler.run(box.project, 'manual');
    assert.equal(idle.ok, true);
    assert.equal(idle.unchanged, true);
    assert.equal(idle.record, undefined);
    assert.deepEqual((await listSnapshots(runtime.service, { target: box.project })).map((r) => r.id), before, 'no new snapshot');
    const view = await runtime.changesOf(box.project);
    assert.equal(view.unchangedSince, second.record.createdAt);
    assert.ok(events.some((e) => e.type === 'snapshot-unchanged' && e.target === box.project));
  });

  test('a write no event names (through mmap) is found by the idle audit: a defect is reported and the next snapshot walks', async () => {
    writeThroughMmap(path.join(box.project, 'data.bin'));
    // Let a second pass: the kernel updates the mtime of a mapped file on the next write fault or msync.
    const defects = await runtime.auditChanges();
    assert.ok(defects >= 1, 'the audit found the change the journal missed');
    assert.ok(events.some((e) => e.type === 'journal-defect' && e.target === box.project));
    const view = await runtime.changesOf(box.project);
    assert.equal(view.changes?.tracked, false);
    assert.match(view.changes?.why ?? '', /missed/);
    const after = await runtime.scheduler.run(box.project, 'manual');
    assert.ok(after.record, 'the next scheduled run takes a snapshot, not "unchanged"');
    assert.deepEqual((await runtime.changesOf(box.project)).changes, { tracked: true, why: null, count: 0 }, 'a whole walk makes the journal trusted again');
  });
});
