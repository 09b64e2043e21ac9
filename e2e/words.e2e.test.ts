/// <reference lib="dom" />
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { sandbox } from '../test/helpers/helpers.js';
import { cli, closePopover, eventually, openPopover, shootBoth, skip, type Served } from './harness.js';

const AM_PM = /\b(?:AM|PM)\b/;

/** The popover's own words: 24-hour times under any locale, the paused header, the delete that takes the Undo, no CLI advice. */
describe('popover: its words, not the locale\'s or the CLI\'s (snapctl serve + Chromium in en-US)', { skip }, () => {
  let box: Awaited<ReturnType<typeof sandbox>>;
  let sub: string;
  let empty: string;
  let server: Served;
  let browser: Browser;
  let page: Page;
  const ids: Record<string, string> = {};
  const row = (tag: string) => page.getByRole('listitem').filter({ hasText: tag }).first();
  const dialog = () => page.getByRole('dialog');
  const header = () => page.locator('header .title [aria-live]');

  before(async () => {
    box = await sandbox();
    sub = path.join(box.project, 'sub');
    empty = path.join(box.root, 'empty project');
    await mkdir(sub);
    await mkdir(empty);
    await writeFile(path.join(box.project, 'a.txt'), 'one\n');
    await writeFile(path.join(sub, 'b.txt'), 'b\n');
    await mkdir(box.home, { recursive: true });
    // `sub` is watched but its files are in the snapshots of the folder around it; `empty` has none yet.
    await writeFile(path.join(box.home, 'settings.json'), JSON.stringify({ version: 1, targets: [{ path: box.project }, { path: sub }, { path: empty }], onboarded: true }));
    for (const tag of ['first', 'second']) {
      const r = await cli(box.home, ['create', '--path', box.project, '--tag', tag, '--json']);
      assert.equal(r.code, 0, r.stderr);
      ids[tag] = (JSON.parse(r.stdout) as { id: string }).id;
    }
    ({ server, browser, page } = await openPopover(box.home, box.project, { locale: 'en-US' }));
    assert.equal(await page.evaluate(() => navigator.language), 'en-US');
  });
  after(async () => {
    await closePopover(server, browser);
    await box?.cleanup();
  });

  test('in en-US, row titles and the delete dialog read 24-hour times, never AM or PM', async () => {
    await row('second').waitFor();
    const titles = await page.locator('.list .row .when').evaluateAll((els) => els.map((el) => el.getAttribute('title') ?? ''));
    assert.equal(titles.length, 2);
    for (const t of titles) {
      assert.doesNotMatch(t, AM_PM, `row title: ${t}`);
      assert.match(t, /^\d{1,2} [A-Z][a-z]{2}, ([01]\d|2[0-3]):\d\d:\d\d$/, `row title: ${t}`);
    }
    await row('second').hover();
    await row('second').getByRole('button', { name: /^Delete/ }).click();
    const text = await dialog().innerText();
    assert.doesNotMatch(text, AM_PM, text);
    assert.match(text, /‘second’, taken \d{1,2} [A-Z][a-z]{2}, ([01]\d|2[0-3]):\d\d\./);
    assert.equal(await dialog().getByRole('note').count(), 0, 'no Undo is offered: nothing to warn of');
    await dialog().getByRole('button', { name: 'Delete', exact: true }).waitFor();
    await dialog().getByRole('button', { name: 'Cancel' }).click();
    assert.doesNotMatch(await page.locator('body').innerText(), AM_PM);
  });

  test('after a rollback, deleting its safety snapshot says it takes the offered Undo away, and its button says so', async () => {
    await writeFile(path.join(box.project, 'a.txt'), 'two\n');
    const back = await cli(box.home, ['rollback', ids['first'] ?? '', '--yes']);
    assert.equal(back.code, 0, back.stderr);
    await page.reload();
    const offer = page.getByRole('region', { name: 'Undo the last rollback' });
    await offer.waitFor();
    const safety = page.locator('.row.under').first();
    await safety.waitFor();
    await safety.hover();
    await safety.getByRole('button', { name: /^Delete/ }).click();
    const note = dialog().getByRole('note', { name: 'Deleting it takes away the undo' });
    await note.waitFor();
    assert.match(await note.innerText(), /the state before the last rollback, which Undo puts back \(rolled back to ['‘]first['’] at ([01]\d|2[0-3]):\d\d\): deleting it takes that Undo away/);
    assert.doesNotMatch(await dialog().innerText(), AM_PM);
    const go = dialog().getByRole('button', { name: 'Delete it and the undo' });
    await go.waitFor();
    const goBox = await go.boundingBox();
    assert.ok(goBox && goBox.y + goBox.height <= 560, 'the button is in view');
    await shootBoth(page, 'delete-takes-undo');
    await dialog().getByRole('button', { name: 'Cancel' }).click();
    await offer.waitFor();

    // Any other snapshot: no warning, the plain button.
    await row('second').hover();
    await row('second').getByRole('button', { name: /^Delete/ }).click();
    await dialog().getByRole('button', { name: 'Delete', exact: true }).waitFor();
    assert.equal(await dialog().getByRole('note').count(), 0);
    await dialog().getByRole('button', { name: 'Cancel' }).click();
  });

  test('deleting it anyway: the Undo goes, and where it was the popover says the rollback can no longer be undone, without an id, until dismissed', async () => {
    const offer = page.getByRole('region', { name: 'Undo the last rollback' });
    await offer.waitFor();
    const safety = page.locator('.row.under').first();
    await safety.hover();
    await safety.getByRole('button', { name: /^Delete/ }).click();
    await dialog().getByRole('button', { name: 'Delete it and the undo' }).click();
    await eventually(() => dialog().count(), 0);
    const lost = page.getByRole('status', { name: 'The last rollback can no longer be undone' });
    await lost.waitFor();
    assert.equal(await offer.count(), 0, 'no Undo is offered any more');
    const text = await lost.innerText();
    assert.match(text, /^The last rollback \(rolled back to ['‘]first['’] at ([01]\d|2[0-3]):\d\d\) can no longer be undone: its safety snapshot was deleted\./);
    assert.doesNotMatch(text, /\d{8}-\d{6}/, 'no snapshot id, which the popover shows nowhere');
    await shootBoth(page, 'undo-lost');
    await lost.getByRole('button', { name: 'Dismiss' }).click();
    await eventually(() => lost.count(), 0);
    await page.reload();
    await page.getByRole('heading', { name: 'snapctl' }).waitFor();
    await row('second').waitFor();
    // Dismissed in this page only: a fresh popover says it again, once.
    await lost.waitFor();
    await lost.getByRole('button', { name: 'Dismiss' }).click();
  });

  test('the header says Paused when the shown folder is paused in Settings, and the next run for one that is not', async () => {
    await eventually(async () => /^Next snapshot in /.test(await header().innerText()), true);
    await page.getByRole('button', { name: 'Settings' }).click();
    await page.getByLabel('Paused').first().check();
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Saved.').waitFor();
    await page.getByRole('button', { name: 'Back' }).click();
    await eventually(async () => (await header().innerText()).trim(), 'Folder paused');
    await shootBoth(page, 'paused-header');
    await page.getByLabel('Folder').selectOption(sub);
    await eventually(async () => /^Next snapshot in /.test(await header().innerText()), true);
    await page.getByLabel('Folder').selectOption(box.project);
    await eventually(async () => (await header().innerText()).trim(), 'Folder paused');
  });

  test('the search alert speaks of the folder list and Snapshot now, never of --path or a snapctl command', async () => {
    const search = async (folder: string): Promise<string> => {
      await page.getByLabel('Folder').selectOption(folder);
      await page.getByRole('button', { name: 'Find a file' }).click();
      await page.getByRole('searchbox', { name: /Find a file in the snapshots/ }).fill('b');
      const alert = page.getByRole('alert').filter({ hasText: 'has no snapshots' });
      await alert.waitFor();
      const said = await alert.innerText();
      await page.getByRole('button', { name: 'Close' }).click();
      return said;
    };
    const inside = await search(sub);
    assert.doesNotMatch(inside, /--path|snapctl (?:create|find|list)/, inside);
    assert.match(inside, new RegExp(`it is inside ${box.project.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}, which has \\(choose .* in the folder list, or add it in Settings\\)`), inside);
    const none = await search(empty);
    assert.doesNotMatch(none, /--path|snapctl (?:create|find|list)/, none);
    assert.match(none, /take one with Snapshot now/, none);
  });
});
