/// <reference lib="dom" />
import assert from 'node:assert/strict';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { HTTP_API_PATH } from '../src/shared/api.js';
import { sandbox } from '../test/helpers/helpers.js';
import { cli, closePopover, focused, openPopover, shootBoth, skip, type Served } from './harness.js';

describe("popover: find a file's past versions (snapctl serve + Chromium)", { skip }, () => {
  let box: Awaited<ReturnType<typeof sandbox>>;
  let server: Served;
  let browser: Browser;
  let page: Page;
  const file = (rel: string): string => path.join(box.project, rel);
  const snap = async (): Promise<void> => {
    const r = await cli(box.home, ['create', '--path', box.project]);
    assert.equal(r.code, 0, r.stderr);
  };

  before(async () => {
    box = await sandbox();
    await mkdir(file('src/deep'), { recursive: true });
    await writeFile(file('src/deep/config.json'), '{ "port": 8080 }\n');
    await writeFile(file('notes with space.txt'), 'v1\n');
    await writeFile(Buffer.from(file('caf\xe9-old.txt'), 'latin1'), 'latin\n');
    for (let i = 0; i < 400; i++) await writeFile(file(`src/deep/mod-${i}.js`), `${i}\n`);
    await snap();
    await writeFile(file('src/deep/config.json'), '{ "port": 9090 }\n');
    await rm(file('notes with space.txt'));
    await snap();
    await mkdir(box.home, { recursive: true });
    await writeFile(path.join(box.home, 'settings.json'), JSON.stringify({ version: 1, targets: [{ path: box.project }], onboarded: true }));
    ({ server, browser, page } = await openPopover(box.home, box.project));
  });
  after(async () => {
    await closePopover(server, browser);
    await box?.cleanup();
  });

  test('typing part of a name finds files across snapshots, deleted ones marked, odd names escaped, long lists virtualised', async () => {
    await page.getByRole('button', { name: 'Find a file' }).click();
    const field = page.getByRole('searchbox', { name: /Find a file in the snapshots/ });
    await field.fill('.txt');
    const deleted = page.getByRole('button', { name: /^notes with space\.txt, deleted/ });
    await deleted.waitFor();
    await page.getByRole('button', { name: /^caf\\xe9-old\.txt: 1 version in 2 snapshots/ }).waitFor();
    await shootBoth(page, 'search-results');
    await field.fill('mod-');
    await page.getByText('300 paths').or(page.getByText(/400 paths \(first 300 shown\)/)).waitFor();
    const rendered = await page.getByRole('list', { name: 'Matching files' }).getByRole('listitem').count();
    assert.ok(rendered < 60, `only the rows in view are rendered (${rendered})`);
  });

  test('by keyboard: pick a file, see its versions, diff one against now, restore it in place and undo', async () => {
    const field = page.getByRole('searchbox', { name: /Find a file in the snapshots/ });
    await field.fill('config');
    await page.getByRole('button', { name: /^src\/deep\/config\.json: 2 versions/ }).waitFor();
    await field.press('ArrowDown');
    assert.match(await focused(page), /config\.json/);
    await page.keyboard.press('Enter');
    const versions = page.getByRole('radiogroup', { name: 'Versions, newest first' });
    await versions.waitFor();
    assert.equal(await versions.getByRole('radio').count(), 2);
    // The folder holds the newest version: it is marked now.
    assert.equal(await versions.getByRole('radio').nth(0).locator('.badge.now').count(), 1);
    await page.keyboard.press('ArrowDown');
    assert.equal(await versions.getByRole('radio').nth(1).getAttribute('aria-checked'), 'true');
    await shootBoth(page, 'search-versions');
    await page.getByRole('button', { name: 'Diff with now' }).click();
    await page.getByText('{ "port": 8080 }').waitFor();
    assert.match(await focused(page), /Versions/, 'the diff takes focus, and its way back names where it goes');
    await shootBoth(page, 'search-diff');
    await page.keyboard.press('Escape');
    await versions.waitFor();
    await versions.getByRole('radio').nth(1).click();
    await page.getByRole('button', { name: 'Restore' }).click();
    await page.getByText('Restored. Undo is offered above.').waitFor();
    assert.equal(await readFile(file('src/deep/config.json'), 'utf8'), '{ "port": 8080 }\n');
    const undo = page.getByRole('button', { name: /^Undo/ });
    await undo.waitFor();
    // Asked again after the restore: the version brought back is the one marked now, and it stays chosen.
    await versions.getByRole('radio').nth(1).locator('.badge.now').waitFor();
    assert.equal(await versions.getByRole('radio').nth(0).locator('.badge.now').count(), 0);
    assert.equal(await versions.getByRole('radio').nth(1).getAttribute('aria-checked'), 'true');
    // The version the restore's safety snapshot now holds too is still named by the snapshot a person took.
    assert.doesNotMatch(await versions.getByRole('radio').nth(0).innerText(), /before restoring/);
    await shootBoth(page, 'search-restored');
    await undo.click();
    await page.getByText('Undone: src/deep/config.json is as it was before the restore.').waitFor();
    for (let i = 0; i < 50 && (await readFile(file('src/deep/config.json'), 'utf8')) !== '{ "port": 9090 }\n'; i++) await new Promise((r) => setTimeout(r, 100));
    assert.equal(await readFile(file('src/deep/config.json'), 'utf8'), '{ "port": 9090 }\n');
  });

  test('a deleted file is saved as a copy beside it, never over anything', async () => {
    await page.getByRole('button', { name: '← Search' }).click();
    const field = page.getByRole('searchbox', { name: /Find a file in the snapshots/ });
    await field.fill('notes');
    await page.getByRole('button', { name: /^notes with space\.txt, deleted/ }).click();
    await page.getByText('deleted after this').waitFor();
    await shootBoth(page, 'search-deleted-versions');
    await page.getByRole('button', { name: 'Save a copy beside it' }).click();
    await page.getByText(/Saved a copy:/).waitFor();
    const { stdout } = await cli(box.home, ['find', 'notes*', '--path', box.project]);
    assert.match(stdout, /deleted notes with space\.txt/);
    await page.getByRole('button', { name: 'Save a copy beside it' }).click();
    await page.getByRole('alert').filter({ hasText: /already exists/ }).waitFor();
  });

  test('a search that takes long (the first, building the index) says why it is still searching', async () => {
    let answer = (): void => undefined;
    const held = new Promise<void>((resolve) => { answer = resolve; });
    await page.route(`**${HTTP_API_PATH}`, async (route) => {
      const body = route.request().postDataJSON() as { method?: string };
      if (body.method === 'searchFiles') await held;
      await route.continue();
    });
    await page.getByRole('button', { name: '← Search' }).click();
    await page.getByRole('searchbox', { name: /Find a file in the snapshots/ }).fill('slow-query');
    await page.getByText(/^Still searching: the first search of a folder with many snapshots reads them all once/).waitFor({ timeout: 10_000 });
    answer();
    await page.getByText('No file matches in any snapshot.').waitFor();
    await page.unroute(`**${HTTP_API_PATH}`);
  });
});
