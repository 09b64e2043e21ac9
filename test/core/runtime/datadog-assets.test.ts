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
  metrics.onEvent({ type: 'rollback-recovered', snapshotId: record.id, target: '/p', provider: 'clone' });
  metrics.gauges([record]);
  metrics.onEvent({ type: 'snapshot-skipped', target: '/p', trigger: 'schedule', provider: 'clone', reason: 'low_space', needBytes: 2, freeBytes: 1, floorBytes: 1, pruned: 0, message: 'x' });
  metrics.storeGauges({ bytes: 1, freeBytes: 1, floorBytes: 1 });
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
    for (const n of ['snapshot.created', 'snapshot.failed', 'snapshot.deleted', 'rollback.completed', 'rollback.failed', 'snapshot.duration', 'rollback.duration', 'snapshot.count', 'snapshot.age_seconds', 'can_snapshot', 'store.bytes', 'store.free_bytes', 'store.floor_bytes', 'snapshot.skipped']) {
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
    const [monitor] = await monitors();
    assert.equal(monitor?.type, 'query alert');
    assert.match(monitor?.query ?? '', /snapctl\.snapshot\.age_seconds\{scheduled:true\}.*> 7200$/);
    assert.equal(monitor?.options.thresholds.critical, 7200);
    assert.equal(monitor?.options.notify_no_data, true, 'a stopped app must alert too');
  });

  test('the monitors file holds one body of POST /api/v1/monitor each: no snapshot, a failed rollback, low space, below the floor, skipped snapshots', async () => {
    const all = await monitors();
    assert.equal(all.length, 5);
    for (const m of all) {
      assert.deepEqual(Object.keys(m).filter((k) => !MONITOR_KEYS.has(k)), [], m.name);
      assert.equal(m.type, 'query alert', m.name);
      assert.ok(m.name.length > 0 && m.message.length > 0, m.name);
      // Datadog's rule for metric monitors: the critical threshold is the query's own, and a warning comes
      // before it in the query's direction.
      const q = /^(?:avg|min|max|sum)\(last_\d+[mhd]\):.+ (>=|<=|>|<) (\d+(?:\.\d+)?)$/.exec(m.query);
      assert.ok(q, `${m.name}: ${m.query}`);
      const [, comparator, value] = q;
      assert.equal(m.options.thresholds.critical, Number(value), m.name);
      const warning = m.options.thresholds.warning;
      if (warning !== undefined) assert.ok(comparator?.startsWith('>') ? warning < Number(value) : warning > Number(value), `${m.name}: warning ${warning}`);
    }
    const [, rollback, space, floor, skipped] = all;
    assert.match(floor?.query ?? '', /^min\(last_15m\):min:snapctl\.store\.free_bytes\{\*\} by \{host\} - max:snapctl\.store\.floor_bytes\{\*\} by \{host\} < 0$/);
    assert.match(skipped?.query ?? '', /^sum\(last_4h\):sum:snapctl\.snapshot\.skipped\{reason:low_space\} by \{host\}\.as_count\(\) > 0$/);
    assert.match(rollback?.query ?? '', /^sum\(last_1h\):sum:snapctl\.rollback\.failed\{\*\} by \{host\}\.as_count\(\) > 0$/);
    assert.match(space?.query ?? '', /^min\(last_15m\):min:snapctl\.store\.free_bytes\{\*\} by \{host\} < \d+$/);
  });

  test('every dashboard widget has the fields its type needs, and failed rollbacks, free space and the monitors have widgets', async () => {
    const dash = JSON.parse(await readFile(path.join(repoRoot, 'assets', 'datadog-dashboard.json'), 'utf8')) as { title: string; widgets: { definition: Widget }[] };
    assert.ok(dash.title);
    for (const { definition: w } of dash.widgets) {
      assert.ok(w.title, w.type);
      switch (w.type) {
        case 'query_value':
        case 'timeseries':
          assert.ok((w.requests ?? []).length > 0 && (w.requests ?? []).every((r) => typeof r.q === 'string' && r.q.length > 0), w.title);
          for (const f of (w.requests ?? []).flatMap((r) => r.conditional_formats ?? [])) assert.ok(['>', '>=', '<', '<='].includes(f.comparator) && typeof f.value === 'number' && f.palette, w.title);
          break;
        case 'check_status': assert.ok(w.check && w.grouping, w.title); break;
        case 'event_stream': assert.ok(w.query, w.title); break;
        case 'manage_status': assert.ok(w.query && w.summary_type && w.display_format, w.title); break;
        default: assert.fail(`unknown widget type ${w.type}`);
      }
    }
    const queries = dash.widgets.flatMap(({ definition: w }) => (w.requests ?? []).map((r) => r.q ?? ''));
    assert.ok(queries.some((q) => q.includes('snapctl.rollback.failed') && !q.includes('rollback.completed')), 'failed rollbacks');
    assert.ok(queries.some((q) => q.includes('snapctl.store.free_bytes')), 'free space');
    assert.ok(queries.some((q) => q.includes('snapctl.store.bytes')), 'store size');
    assert.ok(dash.widgets.some(({ definition: w }) => w.type === 'manage_status' && w.query?.includes('service:snapctl')), "the monitors' status");
  });
});

interface Monitor { name: string; type: string; query: string; message: string; options: { thresholds: { critical: number; warning?: number }; notify_no_data: boolean } }
interface Widget {
  type: string; title?: string; check?: string; grouping?: string; query?: string; summary_type?: string; display_format?: string;
  requests?: { q?: string; conditional_formats?: { comparator: string; value: number; palette: string }[] }[];
}
const MONITOR_KEYS = new Set(['name', 'type', 'query', 'message', 'tags', 'options', 'priority']);

async function monitors(): Promise<Monitor[]> {
  const parsed = JSON.parse(await readFile(path.join(repoRoot, 'assets', 'datadog-monitor.json'), 'utf8')) as unknown;
  assert.ok(Array.isArray(parsed), 'datadog-monitor.json is a list of monitors');
  return parsed as Monitor[];
}
