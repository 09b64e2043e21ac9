import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
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
});
