import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Metrics, resolveMetricsTarget } from '../../../src/core/runtime/metrics.js';
import { statsdSettingsSchema } from '../../../src/core/state/settings.js';
import { sandbox } from '../../helpers/helpers.js';
import { ServiceContext } from '../../../src/core/service/context.js';
import { createSnapshot } from '../../../src/core/service/create.js';
import { deleteSnapshot } from '../../../src/core/service/delete.js';
import { listSnapshots } from '../../../src/core/service/queries.js';
import { rollback } from '../../../src/core/service/rollback.js';

/** A real DogStatsD stand-in: a UDP socket on loopback that keeps every datagram it receives. */
const openSockets: Socket[] = [];

async function listen(): Promise<{ socket: Socket; port: number; received: string[]; waitFor: (re: RegExp) => Promise<string> }> {
  const socket = createSocket('udp4');
  openSockets.push(socket);
  const received: string[] = [];
  socket.on('message', (msg) => received.push(...msg.toString().split('\n').filter(Boolean)));
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const waitFor = async (re: RegExp): Promise<string> => {
    for (let i = 0; i < 200; i++) {
      const hit = received.find((d) => re.test(d));
      if (hit) return hit;
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error(`no datagram matching ${re}; got:\n${received.join('\n')}`);
  };
  return { socket, port: socket.address().port, received, waitFor };
}

describe('DogStatsD metrics', () => {
  let box: Awaited<ReturnType<typeof sandbox>>;
  before(async () => { box = await sandbox(); });
  after(async () => {
    for (const s of openSockets) try { s.close(); } catch { /* already closed */ }
    await box.cleanup();
  });

  test('snapshots, failures, deletes and rollbacks reach a real UDP listener in DogStatsD wire format', async () => {
    const agent = await listen();
    const env = { DD_ENV: 'dev', DD_SERVICE: 'snapctl-test', DD_VERSION: '1.2.3' };
    const metrics = new Metrics(resolveMetricsTarget(statsdSettingsSchema.parse({ port: agent.port }), env));
    const service = new ServiceContext({ home: box.home });
    metrics.observe((l) => service.onEvent(l));
    await writeFile(path.join(box.project, 'f'), 'x');
    const snap = await createSnapshot(service, { path: box.project, trigger: 'schedule' });
    const host = hostname();
    const tags = `#host:${host},env:dev,service:snapctl-test,version:1.2.3,provider:clone,trigger:schedule`;
    assert.equal(await agent.waitFor(/^snapctl\.snapshot\.created:/), `snapctl.snapshot.created:1|c|${tags}`);
    assert.match(await agent.waitFor(/^snapctl\.snapshot\.duration:/), new RegExp(`^snapctl\\.snapshot\\.duration:\\d+(\\.\\d+)?\\|ms\\|${tags.replace(/\./g, '\\.')}$`));
    assert.match(await agent.waitFor(/^_sc\|snapctl\.can_snapshot\|0/), /^_sc\|snapctl\.can_snapshot\|0\|#host:.*target:/);

    await assert.rejects(createSnapshot(service, { path: path.join(box.root, 'no-such-folder') }));
    await assert.rejects(createSnapshot(service, { path: box.project, tag: 'bad\ntag' }));
    await writeFile(path.join(box.project, 'f'), 'y');
    await rollback(service, snap.id);
    assert.match(await agent.waitFor(/^snapctl\.rollback\.completed:/), /^snapctl\.rollback\.completed:1\|c\|#.*provider:clone,kind:rollback$/);
    assert.match(await agent.waitFor(/^snapctl\.rollback\.duration:/), /\|ms\|/);
    await deleteSnapshot(service, snap.id);
    assert.match(await agent.waitFor(/^snapctl\.snapshot\.deleted:/), /^snapctl\.snapshot\.deleted:1\|c\|#.*provider:clone,trigger:schedule$/);

    metrics.gauges(await listSnapshots(service));
    assert.match(await agent.waitFor(/^snapctl\.snapshot\.count:/), /^snapctl\.snapshot\.count:1\|g\|#host:/);
    assert.match(await agent.waitFor(/^snapctl\.snapshot\.age_seconds:/), /^snapctl\.snapshot\.age_seconds:\d+\|g\|/);
    await metrics.close();
  });

  test('a failed snapshot sends snapshot.failed, a CRITICAL service check and an error event', async () => {
    const agent = await listen();
    const metrics = new Metrics(resolveMetricsTarget(statsdSettingsSchema.parse({ port: agent.port }), {}));
    metrics.onEvent({ type: 'snapshot-failed', target: '/p', trigger: 'schedule', provider: 'clone', error: 'disk full\nENOSPC', durationMs: 12 });
    assert.match(await agent.waitFor(/^snapctl\.snapshot\.failed:/), /^snapctl\.snapshot\.failed:1\|c\|#host:[^,]+,provider:clone,trigger:schedule$/);
    assert.match(await agent.waitFor(/^_sc\|snapctl\.can_snapshot\|2/), /\|m:disk full ENOSPC$/);
    const event = await agent.waitFor(/^_e\{/);
    const title = 'snapctl.snapshot failed';
    const text = '/p: disk full ENOSPC';
    assert.ok(event.startsWith(`_e{${title.length},${text.length}}:${title}|${text}|`), event);
    assert.match(event, /\|t:error/);
    await metrics.close();
  });

  test('a folder name cannot add a line of its own to the wire, and an event with a name outside ASCII keeps its byte lengths true', async () => {
    const agent = await listen();
    const metrics = new Metrics(resolveMetricsTarget(statsdSettingsSchema.parse({ port: agent.port }), {}));
    const target = '/tmp/café|x\nsnapctl.injected:999|c';
    metrics.onEvent({ type: 'rollback-failed', snapshotId: '20261201-000000-aaaaaa', target, provider: 'clone', error: 'EPERM', durationMs: 5 });
    const event = await agent.waitFor(/^_e\{/);
    await new Promise((r) => setTimeout(r, 50));
    assert.ok(!agent.received.some((d) => d.startsWith('snapctl.injected')), agent.received.join('\n'));
    const header = /^_e\{(\d+),(\d+)\}:/.exec(event);
    assert.ok(header);
    const [title, text] = event.slice(header[0].length).split('|');
    assert.equal(Buffer.byteLength(title ?? ''), Number(header[1]));
    assert.equal(Buffer.byteLength(text ?? ''), Number(header[2]), 'the agent reads the lengths as UTF-8 bytes');
    assert.match(text ?? '', /caf\\u00e9/);
    await metrics.close();
  });

  test('Datadog environment variables override the settings', () => {
    const t = resolveMetricsTarget(statsdSettingsSchema.parse({}), { DD_AGENT_HOST: '10.0.0.9', DD_DOGSTATSD_PORT: '9125', DD_DOGSTATSD_SOCKET: '/var/run/dsd.socket' });
    assert.equal(t.host, '10.0.0.9');
    assert.equal(t.port, 9125);
    assert.equal(t.socket, '/var/run/dsd.socket');
    const d = resolveMetricsTarget(statsdSettingsSchema.parse({}), { DD_DOGSTATSD_PORT: 'not-a-port' });
    assert.equal(d.host, '127.0.0.1');
    assert.equal(d.port, 8125);
  });

  test('no agent listening, an unresolvable host or a missing socket never throws nor fails a snapshot', async () => {
    const service = new ServiceContext({ home: path.join(box.root, 'home2') });
    const absent = await listen();
    const port = absent.port;
    absent.socket.close(); // nothing listens there any more
    const targets = [
      statsdSettingsSchema.parse({ port }),
      statsdSettingsSchema.parse({ host: 'no-such-host.invalid' }),
      statsdSettingsSchema.parse({ socket: path.join(box.root, 'no-agent.sock') }),
    ];
    for (const settings of targets) {
      const metrics = new Metrics(resolveMetricsTarget(settings, {}));
      const unobserve = metrics.observe((l) => service.onEvent(l));
      const record = await createSnapshot(service, { path: box.project });
      assert.equal(record.state, 'ready');
      metrics.gauges(await listSnapshots(service));
      await new Promise((r) => setTimeout(r, 50));
      unobserve();
      await metrics.close();
    }
  });
});

describe('low space in metrics', () => {
  test('a skipped snapshot is counted as snapctl.snapshot.skipped with reason:low_space, a warning check and an event, never as a failure; the floor is a gauge', () => {
    const metrics = new Metrics(resolveMetricsTarget(statsdSettingsSchema.parse({}), {}), { mock: true });
    metrics.onEvent({ type: 'snapshot-skipped', target: '/p', trigger: 'schedule', provider: 'clone', reason: 'low_space', needBytes: 5, freeBytes: 3, floorBytes: 2, pruned: 1, message: 'not enough free space' });
    metrics.storeGauges({ bytes: 10, freeBytes: 3, floorBytes: 2 });
    const sent = metrics.mockBuffer.join('\n');
    assert.match(sent, /^snapctl\.snapshot\.skipped:1\|c\|#.*reason:low_space/m);
    assert.match(sent, /^_sc\|snapctl\.can_snapshot\|1\|/m, 'warning');
    assert.match(sent, /^_e\{\d+,\d+\}:snapctl\.snapshot skipped\|.*t:warning/m);
    assert.doesNotMatch(sent, /snapshot\.failed/);
    assert.match(sent, /^snapctl\.store\.floor_bytes:2\|g/m);
  });
});

describe('the sink every transport shares', () => {
  test('counts what is still unsent in datagrams, so a send given up at exit names how many', async () => {
    const { MetricsSink } = await import('../../../src/core/runtime/metrics-sink.js');
    let failed = 0;
    const sink = MetricsSink.create(() => undefined, () => undefined, { sent: () => undefined, failed: () => { failed++; } }); // a send that never completes
    for (let i = 0; i < 3; i++) sink.write(Buffer.from(`snapctl.snapshot.created:1|c|#n:${i}\n`));
    assert.equal(sink.pending, 3);
    assert.equal(await sink.drained(10), false);
    sink.destroy();
    assert.equal(failed, 0);
  });
});
