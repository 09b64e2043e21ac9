import assert from 'node:assert/strict';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { SnapctlRuntime } from '../../../src/core/runtime/runtime.js';
import { StoreWatcher } from '../../../src/core/runtime/store-watch.js';
import { runCli, sandbox } from '../../helpers/helpers.js';
import { listenUdp, type StatsdListener } from '../../helpers/statsd-listener.js';

describe('the runtime keeps its gauges current', () => {
  let box: Awaited<ReturnType<typeof sandbox>>;
  let agent: StatsdListener;
  const runtimes: SnapctlRuntime[] = [];
  before(async () => {
    box = await sandbox();
    agent = await listenUdp();
    await writeFile(path.join(box.project, 'a.txt'), 'one\n');
    await mkdir(box.home, { recursive: true });
    await writeFile(path.join(box.home, 'settings.json'), JSON.stringify({ version: 1, statsd: { port: agent.port }, targets: [{ path: box.project }] }));
  });
  after(async () => {
    for (const r of runtimes) await r.stop();
    agent.close();
    await box.cleanup();
  });

  test('a snapshot taken by another process (the CLI) moves the per-folder gauges, through the watch', async () => {
    // Steady reports and the fallback look far away: only fs.watch can be what sends the gauges here.
    const runtime = await SnapctlRuntime.start({ home: box.home, env: {}, gaugeIntervalMs: 600_000, storePollMs: 600_000 });
    runtimes.push(runtime);
    await agent.waitFor(/^snapctl\.snapshot\.count:/).catch(() => undefined); // the first steady report
    agent.clear();
    const r = await runCli(['create', '--path', box.project], { SNAPCTL_HOME: box.home, DD_AGENT_HOST: '127.0.0.1', DD_DOGSTATSD_PORT: '9' });
    assert.equal(r.code, 0, r.stderr);
    // The wait only guards against a hang: the periodic look is 600 s away, so only the watch can send these.
    const count = await agent.waitFor(/^snapctl\.snapshot\.count:1\|g\|/, 60_000);
    assert.match(count, new RegExp(`,target:${box.project.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')},scheduled:true$`));
    assert.match(await agent.waitFor(/^snapctl\.snapshot\.age_seconds:\d+\|g\|/), /scheduled:true$/);
    await runtime.stop();
    runtimes.pop();
  });

  test('on its steady interval it sends can_snapshot for every folder, and the store\'s size and free space', async () => {
    const runtime = await SnapctlRuntime.start({ home: box.home, env: {}, gaugeIntervalMs: 100 });
    runtimes.push(runtime);
    agent.clear();
    // Sent again and again: three of them, however long a loaded machine takes between them.
    for (let i = 0; i < 1_200 && agent.all(/^_sc\|snapctl\.can_snapshot\|0\|/).length < 3; i++) await new Promise((resolve) => setTimeout(resolve, 50));
    const checks = agent.all(/^_sc\|snapctl\.can_snapshot\|0\|/);
    assert.ok(checks.length >= 3, `a steady can_snapshot: ${checks.length}`);
    assert.match(checks[0] ?? '', new RegExp(`target:${box.project.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`));
    assert.match(await agent.waitFor(/^snapctl\.store\.bytes:\d+\|g\|/), /^snapctl\.store\.bytes:[1-9]\d*\|g\|#host:/);
    assert.match(await agent.waitFor(/^snapctl\.store\.free_bytes:\d+\|g\|/), /^snapctl\.store\.free_bytes:[1-9]\d*\|g\|#host:/);
    assert.equal(runtime.metrics.health().enabled, true);
    assert.ok(runtime.metrics.health().lastSentAt);
    // What the popover's settings show (StatusView.metrics): this client, and the health file every sender updates.
    const shown = await runtime.metricsHealth();
    assert.equal(shown.enabled, true);
    assert.equal(shown.transport, 'udp');
    assert.equal(shown.destination, `127.0.0.1:${agent.port}`);
    assert.equal(shown.lastError, null);
    assert.ok(shown.lastSentAt && Date.parse(shown.lastSentAt) > Date.now() - 60_000);
  });

  test('a missing folder makes the steady check critical', async () => {
    const moved = `${box.project}-moved`;
    await rename(box.project, moved);
    try {
      agent.clear();
      const critical = await agent.waitFor(/^_sc\|snapctl\.can_snapshot\|2\|/, 60_000);
      assert.match(critical, /\|m:.*missing or not a folder/);
    } finally {
      await rename(moved, box.project);
    }
  });
});

describe('StoreWatcher', () => {
  test('a state folder that does not exist yet is caught by the periodic look, and watched from then on', async () => {
    const box = await sandbox();
    try {
      const root = path.join(box.root, 'later');
      let changes = 0;
      const watcher = new StoreWatcher(root, 'store.json', () => { changes++; }, { pollMs: 100, debounceMs: 20 });
      await watcher.start();
      await mkdir(root);
      await writeFile(path.join(root, 'store.json'), '{}');
      for (let i = 0; i < 3_000 && changes === 0; i++) await new Promise((r) => setTimeout(r, 20));
      assert.equal(changes, 1, 'the poll saw the new index');
      await writeFile(path.join(root, 'other.json'), '{}');
      await new Promise((r) => setTimeout(r, 250));
      assert.equal(changes, 1, 'other files are not the index');
      await writeFile(path.join(root, 'store.json'), '{"v":2}');
      for (let i = 0; i < 3_000 && changes === 1; i++) await new Promise((r) => setTimeout(r, 20));
      assert.equal(changes, 2);
      watcher.stop();
    } finally {
      await box.cleanup();
    }
  });
});
