/// <reference lib="dom" />
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { sandbox } from '../test/helpers/helpers.js';
import { cli, closePopover, eventually, focused, openPopover, shootBoth, skip, type Served } from './harness.js';

/** What each snapshot costs, what a delete frees, the store in the footer, and the space settings. */
describe('popover: snapshot costs, the delete confirmation, and excludes and limits in settings (snapctl serve + Chromium)', { skip }, () => {
  let box: Awaited<ReturnType<typeof sandbox>>;
  let server: Served;
  let browser: Browser;
  let page: Page;
  const ids: Record<string, string> = {};
  const settingsFile = (): string => path.join(box.home, 'settings.json');

  before(async () => {
    box = await sandbox();
    await writeFile(path.join(box.project, 'shared.bin'), Buffer.alloc(300_000, 1));
    await writeFile(path.join(box.project, 'data.bin'), Buffer.alloc(2_000_000, 2));
    await mkdir(box.home, { recursive: true });
    await writeFile(settingsFile(), JSON.stringify({ version: 1, targets: [{ path: box.project, excludes: ['*.log'] }], onboarded: true }));
    for (const tag of ['big change', 'same files', 'latest']) {
      const r = await cli(box.home, ['create', '--path', box.project, '--tag', tag, '--json']);
      assert.equal(r.code, 0, r.stderr);
      ids[tag] = (JSON.parse(r.stdout) as { id: string }).id;
      // The first snapshot alone holds the 2 MB data.bin; the second shares everything with the third.
      if (tag === 'big change') await writeFile(path.join(box.project, 'data.bin'), Buffer.alloc(5_000, 3));
    }
    await writeFile(path.join(box.project, 'build.log'), 'excluded\n');
    ({ server, browser, page } = await openPopover(box.home, box.project));
  });
  after(async () => {
    await closePopover(server, browser);
    await box?.cleanup();
  });

  const row = (tag: string) => page.getByRole('listitem').filter({ hasText: tag });

  test('each row shows what deleting it frees; the footer shows the folder, the store and the free space', async () => {
    await row('same files').waitFor();
    assert.equal(await row('big change').locator('.cost').innerText(), 'frees 2.0 MB');
    assert.equal(await row('same files').locator('.cost').innerText(), 'frees 0 B', 'the size is said as what deleting frees, not what it holds');
    assert.match(await row('big change').getAttribute('aria-label') ?? '', /frees 2\.0 MB$/);
    const footer = (await page.locator('footer').textContent() ?? '').replace(/\s+/g, ' ');
    assert.match(footer, /3 snapshots · 2\.\d MB · [\d.]+ [kMGT]?B free/);
    await shootBoth(page, 'space-list');
  });

  test('the delete confirmation says what it frees, or that it frees little', async () => {
    await row('big change').getByRole('button', { name: /^Delete/ }).click();
    await page.getByRole('dialog').getByText('Frees 2.0 MB.').waitFor();
    await shootBoth(page, 'space-delete');
    await page.getByRole('dialog').getByRole('button', { name: 'Cancel' }).click();
    await row('same files').getByRole('button', { name: /^Delete/ }).click();
    await page.getByRole('dialog').getByText(/Frees little \(0 B\): it shares its files with other snapshots\./).waitFor();
    await page.keyboard.press('Escape');
    await eventually(async () => page.getByRole('dialog').count(), 0);
  });

  test('the rollback preview says excluded paths are left alone', async () => {
    await row('same files').getByRole('button', { name: /^Roll back/ }).click();
    await page.getByRole('dialog').getByText('1 path excluded from snapshots is left alone (build.log).').waitFor();
    await page.keyboard.press('Escape');
    await eventually(async () => page.getByRole('dialog').count(), 0);
  });

  test('settings: excludes one a line, checked as typed; the free space floor and the maximum store size, saved', async () => {
    await page.getByRole('button', { name: 'Settings' }).click();
    const excludes = page.getByLabel('Excludes');
    assert.equal(await excludes.inputValue(), '*.log');
    await excludes.fill('*.log\n#cache');
    await page.getByText(/Line 2: a pattern starting with # is a comment/).waitFor();
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('alert').filter({ hasText: 'Fix the field marked above to save.' }).waitFor();
    // Keyboard only: the field is fixed by typing, then the next fields are reached with Tab.
    await excludes.press('Backspace');
    await excludes.fill('*.log\nnode_modules/\n!keep.log');
    await page.getByLabel('Max store size').fill('lots');
    await page.getByText('Type a size such as 500 MB or 2 GB.').waitFor();
    await page.getByLabel('Max store size').fill('500');
    await page.getByText('Add a unit: 500 MB or 500 GB?').waitFor();
    // What is typed is what is shown back and saved: 500 MB is 500,000,000 bytes, not 500 MiB called MB.
    await page.getByLabel('Max store size').fill('500 MB');
    await page.getByText('500 MB (500,000,000 bytes)').waitFor();
    await page.getByLabel('Free space to keep').fill('10%');
    await page.getByLabel('Free space to keep').press('Tab');
    assert.match(await focused(page), /textbox|input/);
    await shootBoth(page, 'space-settings-floor');
    await excludes.scrollIntoViewIfNeeded();
    await shootBoth(page, 'space-settings-folder');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Saved.').waitFor();
    const saved = JSON.parse(await readFile(settingsFile(), 'utf8')) as { freeSpaceFloor: unknown; targets: { excludes: string[]; maxStoreBytes: number }[] };
    assert.deepEqual(saved.targets[0]?.excludes, ['*.log', 'node_modules/', '!keep.log']);
    assert.equal(saved.targets[0]?.maxStoreBytes, 500_000_000);
    assert.equal(saved.freeSpaceFloor, '10%');
  });
});
