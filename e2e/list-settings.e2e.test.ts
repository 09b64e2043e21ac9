/// <reference lib="dom" />
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { sandbox } from '../test/helpers/helpers.js';
import { cli, closePopover, eventually, focused, openPopover, shootBoth, skip, type Served } from './harness.js';

/** The list belongs to one folder at a time, and settings are checked as they are typed */
describe('popover: one folder\'s list, and settings checked as typed (snapctl serve + Chromium)', { skip }, () => {
  let box: Awaited<ReturnType<typeof sandbox>>;
  let other: string;
  let server: Served;
  let browser: Browser;
  let page: Page;
  const ids: Record<string, string> = {};
  const settingsFile = (): string => path.join(box.home, 'settings.json');
  const saved = async (): Promise<{ targets: { path: string; keepGit?: boolean; schedule: string }[] }> => JSON.parse(await readFile(settingsFile(), 'utf8')) as { targets: { path: string; keepGit?: boolean; schedule: string }[] };
  const tags = async (): Promise<string[]> => (await page.getByRole('listitem').locator('.tag').allInnerTexts());

  before(async () => {
    box = await sandbox();
    other = path.join(box.root, 'other project');
    await mkdir(other);
    await writeFile(path.join(box.project, 'a.txt'), 'a\n');
    await writeFile(path.join(other, 'b.txt'), 'b\n');
    await mkdir(box.home, { recursive: true });
    await writeFile(settingsFile(), JSON.stringify({ version: 1, targets: [{ path: box.project }, { path: other }], onboarded: true }));
    for (const [dir, tag] of [[box.project, 'alpha 1'], [box.project, 'alpha 2'], [box.project, 'beta'], [other, 'other 1'], [other, 'other 2']] as const) {
      const r = await cli(box.home, ['create', '--path', dir, '--tag', tag, '--json']);
      assert.equal(r.code, 0, r.stderr);
      ids[tag] = (JSON.parse(r.stdout) as { id: string }).id;
    }
    await writeFile(path.join(box.project, 'a.txt'), 'changed\n');
    const back = await cli(box.home, ['rollback', ids['alpha 1'] ?? '', '--yes']);
    assert.equal(back.code, 0, back.stderr);
    ({ server, browser, page } = await openPopover(box.home, box.project));
  });
  after(async () => {
    await closePopover(server, browser);
    await box?.cleanup();
  });

  test('the folder selector filters the list to that folder', async () => {
    await page.getByRole('listitem').filter({ hasText: 'alpha 2' }).waitFor();
    assert.deepEqual((await tags()).filter((t) => !t.startsWith('before')).sort(), ['alpha 1', 'alpha 2', 'beta']);
    await page.getByLabel('Folder').selectOption(other);
    await page.getByRole('listitem').filter({ hasText: 'other 2' }).waitFor();
    await eventually(async () => (await tags()).sort().join(','), 'other 1,other 2');
    await page.getByLabel('Folder').selectOption(box.project);
    await page.getByRole('listitem').filter({ hasText: 'alpha 2' }).waitFor();
  });

  test('rows sit under sticky day headings and a safety snapshot under the rollback it protects, labelled by what it protects', async () => {
    const day = page.locator('.list .day').first();
    assert.equal((await day.textContent())?.trim(), 'Today');
    const safety = page.locator('.row.under').first();
    await safety.waitFor();
    assert.match(await safety.getAttribute('aria-label') ?? '', /^safety snapshot, the state before: Rollback to ‘alpha 1’/);
    const head = await page.evaluate(() => document.querySelector('.row.under')?.previousElementSibling?.className ?? '');
    assert.match(head, /rollback-head/, 'the rollback heads its safety snapshot');
    const tag = (await page.locator('.row.under .tag').innerText()).trim();
    assert.ok(!/\d{8}-\d{6}/.test(tag), `the safety snapshot is labelled in words, not by an id: ${tag}`);
    await page.getByLabel('By day').uncheck();
    assert.equal(await page.locator('.list .day').count(), 0);
    await page.getByLabel('By day').check();
    await shootBoth(page, 'list-by-day');
  });

  test('the search field filters by tag', async () => {
    const search = page.getByRole('searchbox', { name: 'Search snapshots by tag' });
    await search.fill('alpha');
    // The safety snapshot's label names what it protects ('alpha 1'), so it is found too.
    await eventually(async () => { const t = await tags(); return t.length >= 2 && t.every((x) => /alpha/i.test(x)) && !t.includes('beta'); }, true);
    await search.fill('no such tag');
    await page.getByText('No snapshot tagged “no such tag”.').waitFor();
    await search.fill('');
    await page.getByRole('listitem').filter({ hasText: 'beta' }).waitFor();
  });

  test('rows are dense, with their actions shown on hover and on keyboard focus, and named for the row', async () => {
    const beta = page.getByRole('listitem').filter({ hasText: 'beta' });
    const height = (await beta.boundingBox())?.height ?? 99;
    assert.ok(height <= 36, `a row is ${height} px high`);
    const actions = beta.locator('.row-actions');
    await page.mouse.move(0, 0);
    assert.equal(await actions.evaluate((el) => getComputedStyle(el).opacity), '0', 'hidden until wanted');
    await beta.hover();
    assert.equal(await actions.evaluate((el) => getComputedStyle(el).opacity), '1');
    await page.mouse.move(0, 0);
    await beta.focus();
    await page.keyboard.press('Tab');
    assert.match(await focused(page), /^button: Roll back to beta, manual snapshot, Today/);
    assert.equal(await actions.evaluate((el) => getComputedStyle(el).opacity), '1', 'shown on keyboard focus');
    await shootBoth(page, 'list-row-keyboard');
  });

  test('settings read the schedule back as it is typed and mark a wrong one beside the field, in plain words', async () => {
    await page.getByRole('button', { name: 'Settings' }).click();
    const schedule = page.getByLabel('Schedule (cron)').first();
    await page.getByText(/^every hour at :00; next at \d/).first().waitFor();
    await schedule.fill('61 * * * *');
    await eventually(() => schedule.getAttribute('aria-invalid'), 'true');
    const note = page.locator(`[id="${await schedule.getAttribute('aria-describedby') ?? ''}"]`);
    assert.match(await note.innerText(), /minute/);
    assert.doesNotMatch(await note.innerText(), /targets\.|schedule:|invalid expression/, 'no schema words');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('alert').filter({ hasText: 'Fix the field marked above to save.' }).waitFor();
    await shootBoth(page, 'settings-invalid-schedule');
    await schedule.fill('0 * * * *');
    await eventually(() => schedule.getAttribute('aria-invalid'), 'false');
    // Paused, the read-back promises no next run.
    const paused = page.getByLabel('Paused', { exact: true }).first();
    await paused.check();
    await page.getByText(/^every hour at :00; paused: no snapshot runs until it is resumed$/).first().waitFor();
    await paused.uncheck();
    await page.getByText(/^every hour at :00; next at \d/).first().waitFor();
  });

  test('a folder path is editable, checked by detect as typed; a missing folder is said beside it', async () => {
    const field = page.getByLabel('Folder', { exact: true }).nth(1);
    await field.fill(path.join(box.root, 'missing'));
    await eventually(() => field.getAttribute('aria-invalid'), 'true');
    const note = page.locator(`[id="${await field.getAttribute('aria-describedby') ?? ''}"]`);
    assert.doesNotMatch(await note.innerText(), /targets\.\d|must be an absolute/, 'no schema words');
    await field.fill('relative/path');
    assert.match(await note.innerText(), /full path/);
    const moved = path.join(box.root, 'moved project');
    await mkdir(moved);
    await field.fill(moved);
    await eventually(() => field.getAttribute('aria-invalid'), 'false');
    await page.getByText('Found: snapshots with clone').waitFor();
    await page.getByLabel('Leave .git alone on rollback').first().check();
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Saved.').waitFor();
    const targets = (await saved()).targets;
    assert.equal(targets[1]?.path, moved);
    assert.equal(targets[0]?.keepGit, true);
  });

  test('the Datadog section shows whether metrics get through', async () => {
    const health = page.getByRole('definition').filter({ hasText: 'UDP to 127.0.0.1:9' });
    await health.waitFor();
    assert.match(await page.locator('.health').innerText(), /Last sent/);
    assert.match(await page.locator('.health').innerText(), /Last error/);
  });

  test('Back asks before dropping unsaved edits, in the popover; Keep editing keeps them, Drop changes drops them', async () => {
    const before = await readFile(settingsFile(), 'utf8');
    await page.getByLabel('Schedule (cron)').first().fill('*/15 * * * *');
    await page.getByRole('button', { name: 'Back' }).click();
    const ask = page.getByRole('alertdialog', { name: 'Drop your changes?' });
    await ask.waitFor();
    assert.equal(await focused(page), 'button: Keep editing', 'the safe choice has focus');
    await shootBoth(page, 'settings-back-asks');
    await page.keyboard.press('Enter');
    await eventually(() => ask.count(), 0);
    assert.equal(await page.getByLabel('Schedule (cron)').first().inputValue(), '*/15 * * * *');
    await page.getByRole('button', { name: 'Back' }).click();
    await ask.getByRole('button', { name: 'Drop changes' }).click();
    await page.getByRole('searchbox', { name: 'Search snapshots by tag' }).waitFor();
    assert.equal(await readFile(settingsFile(), 'utf8'), before);
    // Nothing changed: Back does not ask.
    await page.getByRole('button', { name: 'Settings' }).click();
    await page.getByRole('button', { name: 'Back' }).click();
    await page.getByRole('searchbox', { name: 'Search snapshots by tag' }).waitFor();
  });
});
