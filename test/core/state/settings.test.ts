import assert from 'node:assert/strict';
import { readdir, readFile, writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { HomeLayout } from '../../../src/core/state/paths.js';
import { SettingsStore, defaultSettings } from '../../../src/core/state/settings.js';
import { sandbox } from '../../helpers/helpers.js';

describe('settings', () => {
  let box: Awaited<ReturnType<typeof sandbox>>;
  let store: SettingsStore;
  before(async () => {
    box = await sandbox();
    await mkdir(box.home, { recursive: true });
    store = new SettingsStore(new HomeLayout(box.home));
  });
  after(() => box.cleanup());

  test('defaults: hourly schedule, StatsD on 127.0.0.1:8125, no login item', async () => {
    const { settings, warning } = await store.load();
    assert.equal(warning, null);
    assert.deepEqual(settings.statsd, { enabled: true, host: '127.0.0.1', port: 8125, socket: null });
    assert.equal(settings.launchAtLogin, false);
    const saved = await store.save({ ...defaultSettings(), targets: [{ path: box.project }] });
    assert.equal(saved.targets[0]?.schedule, '0 * * * *');
    assert.equal(saved.targets[0]?.retention.hourly, 24);
  });

  test('invalid settings are refused with the reason and the file is unchanged', async () => {
    const before = await readFile(path.join(box.home, 'settings.json'), 'utf8');
    const bad: unknown[] = [
      { ...defaultSettings(), targets: [{ path: box.project, schedule: 'every hour' }] },
      { ...defaultSettings(), targets: [{ path: 'relative/path' }] },
      { ...defaultSettings(), targets: [{ path: box.project }, { path: box.project }] },
      { ...defaultSettings(), statsd: { enabled: true, host: 'evil host; rm -rf /', port: 8125, socket: null } },
      { ...defaultSettings(), statsd: { enabled: true, host: '127.0.0.1', port: 70000, socket: null } },
      { ...defaultSettings(), launchAtLogin: 'yes' },
      'not an object',
    ];
    // Each in plain words, naming the folder and the field, never a schema path such as targets.0.path.
    for (const b of bad) await assert.rejects(store.save(b), (err: unknown) => err instanceof Error && !/targets\.\d|statsd\./.test(err.message));
    assert.equal(await readFile(path.join(box.home, 'settings.json'), 'utf8'), before);
  });

  test('a corrupt settings file is kept aside and defaults are used, with a message', async () => {
    await writeFile(path.join(box.home, 'settings.json'), '{"targets": [ oops');
    const { settings, warning } = await store.load();
    assert.deepEqual(settings, defaultSettings());
    assert.match(warning ?? '', /not valid JSON.*kept as .*settings\.json\.corrupt-/);
    const names = await readdir(box.home);
    const aside = names.find((n) => n.startsWith('settings.json.corrupt-'));
    assert.ok(aside);
    assert.equal(await readFile(path.join(box.home, aside), 'utf8'), '{"targets": [ oops', 'the damaged file is kept as it was');
  });

  /* eslint-disable no-control-regex -- control characters are what this test is about */
  test('a folder path holding control characters or bytes that are not UTF-8 is named on one line, escaped', async () => {
    await writeFile(path.join(box.home, 'settings.json'), JSON.stringify({ targets: [{ path: 'a\nb\udcff', schedule: '0 * * * *' }] }));
    const { warning } = await store.load();
    assert.ok(warning);
    assert.doesNotMatch(warning, /[\u0000-\u001f\udc80-\udcff]/u, 'no raw control character or lone surrogate reaches the message');
    assert.match(warning, /the folder a\\nb\\xff: its path/);
    await assert.rejects(store.save({ targets: [{ path: '/tmp/x\u001b[2Jy' }, { path: '/tmp/x\u001b[2Jy' }] }), (err: unknown) => err instanceof Error && !/\u001b/.test(err.message));
  });
  /* eslint-enable no-control-regex */

  test('one bad field costs only that field (or a folder without a valid path, that folder): the rest is kept and the file is copied aside once', async () => {
    const other = path.join(box.root, 'other');
    await mkdir(other, { recursive: true });
    const text = JSON.stringify({
      launchAtLogin: 'yes',
      targets: [
        { path: box.project, keepGit: true, schedule: '0 0 * * *', retention: { hourly: 'many', daily: 3, weekly: 2, monthly: 1, manual: 5, safety: 5, preOperation: 5 } },
        { path: 'relative/folder', keepGit: true },
        { path: other, keepGit: 'sure', paused: true },
      ],
    });
    await writeFile(path.join(box.home, 'settings.json'), text);
    const first = await store.load();
    assert.deepEqual(first.settings.targets.map((t) => [t.path, t.keepGit, t.schedule, t.paused]), [[box.project, true, '0 0 * * *', false], [other, false, '0 * * * *', true]]);
    assert.deepEqual(first.settings.targets[0]?.retention, { hourly: 24, daily: 3, weekly: 2, monthly: 1, manual: 5, safety: 5, preOperation: 5 });
    assert.equal(first.settings.launchAtLogin, false);
    assert.equal(first.problems.length, 4, first.problems.join('\n'));
    assert.match(first.problems.join('\n'), /the folder relative\/folder: its path: must be a full folder path, starting with \/: that folder is left out/);
    assert.match(first.problems.join('\n'), new RegExp(`the folder ${other}: its "leave \\.git alone" switch: must be on or off`));
    assert.doesNotMatch(first.problems.join('\n'), /targets\.\d|invalid_type/);
    assert.equal(await readFile(path.join(box.home, 'settings.json'), 'utf8'), text, 'the file itself is left as it is');
    const again = await store.load();
    assert.equal(again.problems.length, 4, 'said again until fixed');
    const copies: string[] = [];
    for (const n of (await readdir(box.home)).filter((x) => x.startsWith('settings.json.bad-'))) if (await readFile(path.join(box.home, n), 'utf8') === text) copies.push(n);
    assert.equal(copies.length, 1, 'copied aside once');
    await store.save(first.settings);
    assert.deepEqual((await store.load()).problems, [], 'saved anew: fixed');
  });

  test('more folders than the limit: the first hundred are kept and the one past it is named, never every folder lost', async () => {
    const setAside = async (): Promise<string[]> => (await readdir(box.home)).filter((n) => n.includes('corrupt'));
    const before = await setAside();
    const targets = Array.from({ length: 101 }, (_, i) => ({ path: `/tmp/many/folder-${i}`, keepGit: true }));
    await writeFile(path.join(box.home, 'settings.json'), JSON.stringify({ version: 1, targets, launchAtLogin: true }));
    const loaded = await store.load();
    assert.equal(loaded.settings.targets.length, 100);
    assert.ok(loaded.settings.targets.every((t) => t.keepGit), 'their fields kept');
    assert.equal(loaded.settings.launchAtLogin, true);
    assert.equal(loaded.problems.length, 1, loaded.problems.join('\n'));
    assert.match(loaded.problems[0] ?? '', /the folders: must be at most 100: only the first 100 are used; left out: \/tmp\/many\/folder-100;/);
    assert.deepEqual(await setAside(), before, 'nothing set aside whole');
  });
});
