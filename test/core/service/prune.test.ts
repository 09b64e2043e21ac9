import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, test } from 'node:test';
import { defaultSettings } from '../../../src/core/state/settings.js';
import { cliSandbox, parseJson, runCli } from '../../helpers/helpers.js';

describe('snapctl prune', () => {
  const ctx = cliSandbox();

  test('snapctl prune applies the folder policy from settings; --dry-run deletes nothing', async () => {
    for (let i = 0; i < 5; i++) {
      await writeFile(path.join(ctx.box.project, 'file'), `version ${i}`);
      assert.equal((await runCli(['create', '--path', ctx.box.project, '--trigger', 'schedule'], ctx.env)).code, 0);
    }
    assert.equal((await runCli(['create', '--path', ctx.box.project, '--tag', 'keep me'], ctx.env)).code, 0);
    // Spread the scheduled snapshots over five days, as if taken daily.
    const storeFile = path.join(ctx.box.home, 'store.json');
    const store = parseJson<{ snapshots: { createdAt: string; trigger: string }[] }>(await readFile(storeFile, 'utf8'));
    store.snapshots.filter((s) => s.trigger === 'schedule').forEach((s, i) => { s.createdAt = new Date(Date.now() - (4 - i) * 86_400_000 - 1000).toISOString(); });
    await writeFile(storeFile, JSON.stringify(store));
    const settings = { ...defaultSettings(), targets: [{ path: ctx.box.project, retention: { hourly: 0, daily: 2, weekly: 0, monthly: 0, manual: 5, safety: 5, preOperation: 5 } }] };
    await writeFile(path.join(ctx.box.home, 'settings.json'), JSON.stringify(settings));

    const dry = await runCli(['prune', '--dry-run', '--json'], ctx.env);
    assert.equal(dry.code, 0, dry.stderr);
    const plan = parseJson<{ keep: string[]; drop: string[]; dryRun: boolean }[]>(dry.stdout);
    assert.equal(plan[0]?.drop.length, 3);
    assert.equal((await runCli(['count'], ctx.env)).stdout.trim(), '6');

    const real = await runCli(['prune'], ctx.env);
    assert.equal(real.code, 0, real.stderr);
    assert.match(real.stdout, /keep 3, deleted 3/);
    const left = parseJson<{ trigger: string; tag: string | null }[]>((await runCli(['list', '--json'], ctx.env)).stdout);
    assert.equal(left.length, 3);
    assert.ok(left.some((s) => s.tag === 'keep me'), 'the tagged manual snapshot is not touched by the timeline');
  });

  test('a maximum store size that cannot be met deletes no snapshot that frees nothing, and says so', async () => {
    const dir = path.join(ctx.box.root, 'only-added');
    await mkdir(dir);
    // Files only ever added: each older snapshot holds nothing the newest does not, so deleting it frees 0 B.
    for (let i = 0; i < 5; i++) {
      await writeFile(path.join(dir, `file-${i}`), Buffer.alloc(300_000, i));
      assert.equal((await runCli(['create', '--path', dir, '--trigger', 'schedule'], ctx.env)).code, 0);
    }
    const storeFile = path.join(ctx.box.home, 'store.json');
    const store = parseJson<{ snapshots: { target: string; createdAt: string }[] }>(await readFile(storeFile, 'utf8'));
    store.snapshots.filter((x) => x.target === dir).forEach((x, i) => { x.createdAt = new Date(Date.now() - (5 - i) * 3_600_000).toISOString(); });
    await writeFile(storeFile, JSON.stringify(store));
    const settings = { ...defaultSettings(), targets: [{ path: dir, maxStoreBytes: 1_000_000, retention: { hourly: 100, daily: 100, weekly: 100, monthly: 100, manual: 5, safety: 5, preOperation: 5 } }] };
    await writeFile(path.join(ctx.box.home, 'settings.json'), JSON.stringify(settings));
    const r = await runCli(['prune', '--path', dir], ctx.env);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /keep 5, deleted 0/);
    assert.match(r.stdout, /still over its maximum store size: 1\.5 MB against 1\.0 MB/);
  });

  test('prune gives back what no snapshot names (a create that ran out of space and could not clean up)', async () => {
    const oid = 'ab'.repeat(32);
    const stray = path.join(ctx.box.home, 'clone', 'objects', 'ab', oid);
    await mkdir(path.dirname(stray), { recursive: true });
    await writeFile(stray, 'left by a create that met a full disk');
    const r = await runCli(['prune'], ctx.env);
    assert.equal(r.code, 0, r.stderr);
    await assert.rejects(readFile(stray), /ENOENT/);
  });
});
