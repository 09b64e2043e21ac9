/// <reference lib="dom" />
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page, Route } from 'playwright-core';
import { sandbox } from '../test/helpers/helpers.js';
import { ARTIFACTS, ZOOMED, cli, closePopover, eventually, focused, isCut, openPopover, shootBoth, skip, type Served } from './harness.js';

/** The popover at 150% zoom, long paths, the keyboard, and a snapshot's progress (snapctl serve + Chromium). */
describe('popover: at 150% zoom, with long paths, by keyboard, and while a snapshot is taken', { skip }, () => {
  let box: Awaited<ReturnType<typeof sandbox>>;
  let project: string;
  let server: Served;
  let browser: Browser;
  let page: Page;
  let zoomed: Page;
  const deepFile = 'src/components/forms/inputs/validation/rules/VeryLongComponentName.tsx';

  before(async () => {
    box = await sandbox();
    // A folder deep enough that its path cannot fit: the name at its end is what must show.
    project = path.join(box.root, 'a-rather-long-folder-name', 'with', 'several', 'levels', 'my-project-name');
    await mkdir(path.join(project, path.dirname(deepFile)), { recursive: true });
    await writeFile(path.join(project, deepFile), 'export {};\n');
    await mkdir(box.home, { recursive: true });
    await writeFile(path.join(box.home, 'settings.json'), JSON.stringify({ version: 1, targets: [{ path: project }], onboarded: true }));
    for (const tag of ['one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight']) {
      const r = await cli(box.home, ['create', '--path', project, '--tag', tag]);
      assert.equal(r.code, 0, r.stderr);
    }
    ({ server, browser, page } = await openPopover(box.home, project));
    zoomed = await browser.newPage({ ...ZOOMED, colorScheme: 'light' });
    await zoomed.goto(server.loginUrl);
    await zoomed.getByRole('listitem').first().waitFor();
  });
  after(async () => {
    await closePopover(server, browser);
    await box?.cleanup();
  });

  test('at 150% zoom the header is one line of named icon buttons and several snapshots show, light and dark', async () => {
    const head = await zoomed.locator('header').boundingBox();
    assert.ok(head && head.height <= 30, `the header is ${head?.height} px high: one line`);
    for (const name of ['Pause all', 'Find a file', 'Settings']) {
      const b = await zoomed.getByRole('button', { name, exact: true }).boundingBox();
      assert.ok(b && b.x >= 0 && b.x + b.width <= ZOOMED.viewport.width && b.y < 30, `${name}: ${JSON.stringify(b)}`);
    }
    assert.equal(await isCut(zoomed, 'header .status-line'), false, 'the next snapshot is said whole');
    const list = await zoomed.locator('.list').boundingBox();
    const rows = await zoomed.getByRole('listitem').evaluateAll((els) => els.map((el) => el.getBoundingClientRect()).map((r) => ({ top: r.top, bottom: r.bottom })));
    const whole = rows.filter((r) => list && r.top >= list.y && r.bottom <= list.y + list.height).length;
    assert.ok(whole >= 5, `${whole} whole rows in view`);
    await shootBoth(zoomed, 'zoom-150');
  });

  test('a long path is cut in the middle: the folder\'s and the file\'s name always show, the whole path on hover', async () => {
    for (const p of [page, zoomed]) {
      const folder = p.locator('.folder');
      assert.equal(await folder.getAttribute('title'), project);
      assert.equal(await folder.locator('.tail').innerText(), '/my-project-name');
      assert.equal(await isCut(p, '.folder .tail'), false, 'the name is whole');
      assert.equal(await isCut(p, '.folder .head'), true, 'the middle gives way');
    }
    await zoomed.getByRole('button', { name: 'Find a file' }).click();
    await zoomed.getByRole('searchbox').fill('VeryLong');
    const match = zoomed.getByRole('listitem').filter({ hasText: 'VeryLongComponentName.tsx' });
    await match.waitFor();
    assert.equal(await match.locator('.mid-path').getAttribute('title'), deepFile);
    assert.equal(await isCut(zoomed, '.search .mid-path .tail'), false, 'the file name is whole');
    assert.equal(await isCut(zoomed, '.search .mid-path .head'), true);
    await shootBoth(zoomed, 'zoom-150-find-a-file');
    await zoomed.keyboard.press('Escape');
    await zoomed.getByRole('button', { name: 'Snapshot now' }).waitFor();
  });

  test('by keyboard: Tab reaches each header button in turn, each shows where focus is', async () => {
    // A fresh page: Tab starts from the top, as when the popover opens.
    await zoomed.reload();
    await zoomed.getByRole('listitem').first().waitFor();
    for (const name of ['Pause all', 'Find a file', 'Settings']) {
      await zoomed.keyboard.press('Tab');
      assert.equal(await focused(zoomed), `button: ${name}`);
      const ring = await zoomed.evaluate(() => { const s = getComputedStyle(document.activeElement as Element); return `${s.outlineStyle} ${s.outlineWidth}`; });
      assert.equal(ring, 'solid 2px', `${name} shows focus`);
    }
    await zoomed.screenshot({ path: path.join(ARTIFACTS, 'zoom-150-keyboard-light.png') });
    await zoomed.keyboard.press('Tab');
    await zoomed.keyboard.press('Tab');
    await zoomed.screenshot({ path: path.join(ARTIFACTS, 'zoom-150-keyboard-tag-light.png') });
  });

  test('a snapshot being taken shows how far it has got: the paths read, then files and bytes of the total', async () => {
    // The server's answers are held here, so the bar is looked at mid-way however fast the machine is.
    let release = (): void => undefined;
    const held = new Promise<void>((resolve) => { release = resolve; });
    let progress: unknown = { phase: 'reading', files: 1_200, bytes: 0, totalFiles: null, totalBytes: null };
    await page.route('**/api/call', async (route: Route) => {
      const body = JSON.parse(route.request().postData() ?? '{}') as { method?: string };
      if (body.method === 'create') { await held; await route.continue(); return; }
      if (body.method === 'progress') {
        await route.fulfill({ json: { ok: true, value: { taking: [{ id: '20260101-000000-abcdef', target: project, trigger: 'manual', startedAt: new Date().toISOString(), progress }] } } });
        return;
      }
      await route.continue();
    });
    try {
      await page.getByRole('button', { name: 'Snapshot now' }).click();
      const bar = page.getByRole('progressbar', { name: 'Taking a snapshot' });
      await page.getByText('Reading the folder: 1,200 paths so far').waitFor();
      assert.equal(await bar.evaluate((el) => (el as HTMLProgressElement).position), -1, 'how much is left is not known yet: the bar moves without a value');
      progress = { phase: 'copying', files: 12_400, bytes: 210_000_000, totalFiles: 34_700, totalBytes: 1_200_000_000 };
      await page.getByText('12,400 of 34,700 files · 210 MB of 1.2 GB').waitFor();
      assert.equal(await bar.evaluate((el) => (el as HTMLProgressElement).value), 0.175);
      assert.equal(await bar.getAttribute('aria-valuetext'), '12,400 of 34,700 files · 210 MB of 1.2 GB');
      await shootBoth(page, 'snapshot-progress');
    } finally {
      release();
    }
    await page.getByRole('status').filter({ hasText: 'Snapshot taken' }).waitFor();
    await eventually(() => bar().count(), 0);
    await page.unrouteAll();
    function bar() { return page.getByRole('progressbar'); }
  });
});
