import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, test } from 'node:test';
import { Metrics, resolveMetricsTarget } from '../../../src/core/runtime/metrics.js';
import { statsdSettingsSchema } from '../../../src/core/state/settings.js';
import type { SnapshotRecord } from '../../../src/shared/model.js';
import { repoRoot } from '../../helpers/helpers.js';

/** Every metric the code sends, observed from a mock client fed one event of each kind. */
function emittedMetricNames(): Set<string> {
  const metrics = new Metrics(resolveMetricsTarget(statsdSettingsSchema.parse({}), {}), { mock: true });
  const record = { id: '20261124-000000-aaaaaa', provider: 'clone', trigger: 'manual', target: '/p', createdAt: new Date().toISOString(), state: 'ready' } as SnapshotRecord;
  metrics.onEvent({ type: 'snapshot-created', record, durationMs: 1 });
  metrics.onEvent({ type: 'snapshot-failed', target: '/p', trigger: 'manual', provider: 'clone', error: 'x', durationMs: 1 });
  metrics.onEvent({ type: 'snapshot-deleted', record });
  metrics.onEvent({ type: 'rollback-completed', kind: 'rollback', durationMs: 1, result: { snapshot: record, safety: record, restored: { restored: 0, broughtBack: 0, removed: 0, unchanged: 0, kept: [] }, paths: null, nothingToChange: false } });
  metrics.onEvent({ type: 'rollback-failed', snapshotId: record.id, target: '/p', provider: 'clone', error: 'x', durationMs: 1 });
  metrics.gauges([record]);
  const names = new Set<string>();
  for (const d of metrics.mockBuffer) {
    const m = /^(?:_sc\|)?(snapctl\.[a-z_.]+)/.exec(d);
    if (m?.[1]) names.add(m[1]);
  }
  return names;
}

describe('Datadog dashboard and monitor', () => {
  test('the code sends every metric DESIGN.md names', () => {
    const names = emittedMetricNames();
    for (const n of ['snapshot.created', 'snapshot.failed', 'snapshot.deleted', 'rollback.completed', 'rollback.failed', 'snapshot.duration', 'rollback.duration', 'snapshot.count', 'snapshot.age_seconds', 'can_snapshot']) {
      assert.ok(names.has(`snapctl.${n}`), `snapctl.${n} is not sent`);
    }
  });

  test('every query in the dashboard and the monitor uses a metric the code sends', async () => {
    const names = emittedMetricNames();
    for (const file of ['datadog-dashboard.json', 'datadog-monitor.json']) {
      const text = await readFile(path.join(repoRoot, 'assets', file), 'utf8');
      const parsed = JSON.parse(text) as Record<string, unknown>;
      assert.ok(parsed, file);
      const used = [...text.matchAll(/snapctl\.[a-z_]+\.[a-z_]+|snapctl\.can_snapshot/g)].map((m) => m[0]);
      assert.ok(used.length > 0, file);
      for (const u of used) assert.ok(names.has(u), `${file} uses ${u}, which snapctl never sends`);
    }
  });

  test('the dashboard has widgets with queries and the monitor alerts after two hourly periods without a snapshot', async () => {
    const dash = JSON.parse(await readFile(path.join(repoRoot, 'assets', 'datadog-dashboard.json'), 'utf8')) as { layout_type: string; widgets: { definition: { type: string } }[] };
    assert.equal(dash.layout_type, 'ordered');
    assert.ok(dash.widgets.length >= 6);
    const monitor = JSON.parse(await readFile(path.join(repoRoot, 'assets', 'datadog-monitor.json'), 'utf8')) as { type: string; query: string; options: { thresholds: { critical: number }; notify_no_data: boolean } };
    assert.equal(monitor.type, 'query alert');
    assert.match(monitor.query, /snapctl\.snapshot\.age_seconds.*> 7200$/);
    assert.equal(monitor.options.thresholds.critical, 7200);
    assert.equal(monitor.options.notify_no_data, true, 'a stopped app must alert too');
  });
});
