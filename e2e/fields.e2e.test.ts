/// <reference lib="dom" />
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, Locator, Page } from 'playwright-core';
import { sandbox } from '../test/helpers/helpers.js';
import { cli, closePopover, eventually, focused, openPopover, shootBoth, skip, type Served } from './harness.js';

/** The note a field points at with aria-describedby, or '' when it points at none. */
async function noteOf(page: Page, field: Locator): Promise<string> {
  const id = await field.getAttribute('aria-describedby');
  return id ? page.locator(`[id="${id}"]`).innerText() : '';
}

/** Fields say what is wrong in the popover's own words, beside them, once typed in or submitted; Escape leaves. */
describe('popover fields: nothing red before typing, the app\'s words beside each field, Escape (snapctl serve + Chromium)', { skip }, () => {
  let box: Awaited<ReturnType<typeof sandbox>>;
  let server: Served;
  let browser: Browser;
  let page: Page;
  const settingsFile = (): string => path.join(box.home, 'settings.json');
  const header = () => page.locator('header .title [aria-live]');

  before(async () => {
    box = await sandbox();
    await writeFile(path.join(box.project, 'a.txt'), 'a\n');
    // No --path: the first run of the tray app, which knows no folder yet. Metrics go where the settings say.
    ({ server, browser, page } = await openPopover(box.home, null, {}, { metricsFromSettings: true }));
  });
  after(async () => {
    await closePopover(server, browser);
    await box?.cleanup();
  });

  test('first run: the empty folder field is not red until Start is pressed; a new folder is snapshotted every hour unless unticked', async () => {
    await page.getByRole('heading', { name: 'Welcome to snapctl' }).waitFor();
    const folder = page.getByLabel('Folder to protect');
    assert.equal(await folder.inputValue(), '');
    assert.equal(await folder.getAttribute('aria-invalid'), 'false', 'nothing typed yet: nothing wrong yet');
    assert.doesNotMatch(await page.locator('.onboarding').innerText(), /Type the folder’s full path/);
    assert.equal(await page.getByLabel('Snapshot it every hour').isChecked(), true, 'protecting the folder is what the person came for');
    await shootBoth(page, 'first-run-empty');

    await page.getByRole('button', { name: 'Start' }).click();
    assert.equal(await folder.getAttribute('aria-invalid'), 'true', 'Start marks what is missing');
    assert.match(await noteOf(page, folder), /Type the folder’s full path, starting with \//);
    assert.equal(await focused(page), 'input: ', 'the field to fix has focus');
    await page.getByRole('heading', { name: 'Welcome to snapctl' }).waitFor();

    await folder.fill(box.project);
    await page.getByText(/^Found: snapshots with clone/).waitFor();
    assert.equal(await folder.getAttribute('aria-invalid'), 'false');
    assert.equal(await page.getByLabel('Snapshot it every hour').isChecked(), true);
    await page.getByRole('button', { name: 'Start' }).click();
    await page.getByRole('heading', { name: 'snapctl' }).waitFor();
    await eventually(async () => /^Next snapshot in /.test(await header().innerText()), true, 10_000, 'scheduled, not "Folder paused"');
    const saved = JSON.parse(await readFile(settingsFile(), 'utf8')) as { targets: { path: string; paused?: boolean }[] };
    assert.deepEqual(saved.targets.map((t) => [t.path, t.paused ?? false]), [[box.project, false]]);
  });

  test('settings: every placeholder is an example ("e.g. …"), drawn lighter than a value; none reads as a setting', async () => {
    await page.getByRole('button', { name: 'Settings' }).click();
    const form = page.getByRole('form', { name: 'Settings' });
    await form.waitFor();
    const placeholders = await form.locator('[placeholder]').evaluateAll((els) => els.map((el) => ({
      text: el.getAttribute('placeholder') ?? '',
      value: getComputedStyle(el).color,
      shown: getComputedStyle(el, '::placeholder').color,
      italic: getComputedStyle(el, '::placeholder').fontStyle,
    })));
    assert.ok(placeholders.length >= 3, JSON.stringify(placeholders));
    for (const p of placeholders) {
      assert.match(p.text, /^e\.g\. /, `"${p.text}" reads as an example`);
      assert.notEqual(p.shown, p.value, `"${p.text}" is lighter than a value`);
      assert.equal(p.italic, 'italic');
    }
    assert.equal(await page.getByLabel('Excludes').getAttribute('placeholder'), null, 'no greyed patterns that look like excludes already set');
    assert.match(await noteOf(page, page.getByLabel('Excludes')), /e\.g\. node_modules\/ or \*\.log/);
  });

  test('retention and port errors are said beside the field in the app\'s words, never by the browser; Save marks them all and keeps the file', async () => {
    const before = await readFile(settingsFile(), 'utf8');
    const form = page.getByRole('form', { name: 'Settings' });
    assert.equal(await form.evaluate((f) => (f as HTMLFormElement).noValidate), true);
    const port = page.getByLabel('Port');
    assert.equal(await port.getAttribute('aria-invalid'), 'false');
    await port.fill('99999');
    assert.equal(await port.getAttribute('aria-invalid'), 'true');
    assert.equal(await noteOf(page, port), 'From 1 to 65,535: 99,999 is too many.');
    await page.getByText('Keep (retention)').click();
    const manual = page.getByLabel('Manual / tagged');
    await manual.fill('0');
    assert.equal(await noteOf(page, manual), 'From 1 to 10,000: 0 is too few.');
    const hourly = page.getByLabel('Hourly');
    await hourly.fill('lots');
    assert.equal(await noteOf(page, hourly), 'A whole number from 0 to 10,000, digits only.');
    await hourly.fill('12');
    assert.equal(await hourly.getAttribute('aria-invalid'), 'false');
    // The browser has nothing to object to: no field carries a constraint of its own, so no bubble can show.
    assert.equal(await form.evaluate((f) => Array.from(f.querySelectorAll('input, textarea')).every((el) => (el as HTMLInputElement).checkValidity())), true);
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('alert').filter({ hasText: 'Fix the 2 fields marked above to save.' }).waitFor();
    assert.equal(await focused(page), 'input: ', 'the first field to fix has focus');
    assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('aria-invalid')), 'true');
    await shootBoth(page, 'settings-inline-errors');
    assert.equal(await readFile(settingsFile(), 'utf8'), before, 'nothing saved');
    await manual.fill('40');
    await port.fill('8125');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Saved.').waitFor();
    const saved = JSON.parse(await readFile(settingsFile(), 'utf8')) as { targets: { retention: { hourly: number; manual: number } }[] };
    assert.deepEqual([saved.targets[0]?.retention.hourly, saved.targets[0]?.retention.manual], [12, 40]);
  });

  test('Datadog: a host in the wrong form is said as typed; one that cannot be found is said in plain words, on the Host field', async () => {
    const host = page.getByLabel('Host');
    await host.fill('bad host');
    assert.equal(await noteOf(page, host), 'A host name or IP address holds only letters, digits, dots, dashes and colons.');
    await host.fill('no-such-host.invalid');
    assert.equal(await host.getAttribute('aria-invalid'), 'false');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Saved.').waitFor();
    await page.getByRole('button', { name: 'Settings' }).click(); // back to the list, to snapshot: a metric goes out
    await page.getByRole('button', { name: 'Snapshot now' }).click();
    await page.getByRole('status').filter({ hasText: 'Snapshot taken' }).waitFor();
    await page.getByRole('button', { name: 'Settings' }).click();
    await eventually(() => page.getByLabel('Host').getAttribute('aria-invalid'), 'true', 20_000, 'the Host field is marked once a send has failed');
    assert.equal(await noteOf(page, page.getByLabel('Host')), "cannot find the host 'no-such-host.invalid': check the name");
    const health = await page.locator('.health').innerText();
    assert.doesNotMatch(health, /getaddrinfo|ENOTFOUND/, health);
    await page.getByLabel('Host').scrollIntoViewIfNeeded();
    await shootBoth(page, 'settings-datadog-host');
  });

  test('Escape in Settings goes Back, asking first about unsaved edits; Escape closes a dialog wherever focus is', async () => {
    const list = page.getByRole('button', { name: 'Snapshot now' });
    const blur = (): Promise<void> => page.evaluate(() => { (document.activeElement as HTMLElement | null)?.blur(); });
    // Unchanged: Escape is Back, with focus on nothing in particular too.
    await blur();
    await page.keyboard.press('Escape');
    await list.waitFor();
    await page.getByRole('button', { name: 'Settings' }).click();
    await page.getByLabel('Schedule (cron)').fill('*/20 * * * *');
    await page.keyboard.press('Escape');
    const ask = page.getByRole('alertdialog', { name: 'Drop your changes?' });
    await ask.waitFor();
    await page.keyboard.press('Escape');
    await eventually(() => ask.count(), 0);
    assert.equal(await page.getByLabel('Schedule (cron)').inputValue(), '*/20 * * * *', 'Escape in the question keeps the edits');
    await page.keyboard.press('Escape');
    await ask.getByRole('button', { name: 'Drop changes' }).click();
    await list.waitFor();

    await cli(box.home, ['create', '--path', box.project, '--tag', 'to delete']);
    const row = page.getByRole('listitem').filter({ hasText: 'to delete' });
    await row.waitFor();
    await row.hover();
    await row.getByRole('button', { name: /^Delete/ }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete this snapshot?' });
    await dialog.waitFor();
    await blur();
    await page.keyboard.press('Escape');
    await eventually(() => dialog.count(), 0, 5_000, 'closed with focus on nothing');
    await row.waitFor();
  });
});
