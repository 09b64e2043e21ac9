/// <reference lib="dom" />
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { HTTP_API_PATH } from '../src/shared/api.js';
import { sandbox } from '../test/helpers/helpers.js';
import { cli, closePopover, eventually, focused, focusSettles, openPopover, shootBoth, skip, type Served } from './harness.js';

/** The rollback dialog and the main view at the moments that decide whether a person trusts a rollback. */
describe('popover: a rollback a person can trust (snapctl serve + Chromium)', { skip }, () => {
  let box: Awaited<ReturnType<typeof sandbox>>;
  let server: Served;
  let browser: Browser;
  let page: Page;
  const file = (rel: string): string => path.join(box.project, rel);
  // A write of the path fails (EIO) while it is "broken": a disk error no preview can see coming.
  const faults = (): string => path.join(box.root, 'eio-paths');
  const broken = async (rel: string, on: boolean): Promise<void> => { if (on) await writeFile(faults(), `${rel}\n`); else await rm(faults(), { force: true }); };
  const store = async (): Promise<{ snapshots: { id: string; trigger: string; tag: string | null }[] }> => JSON.parse(await readFile(path.join(box.home, 'store.json'), 'utf8')) as { snapshots: { id: string; trigger: string; tag: string | null }[] };
  const row = (tag: string) => page.getByRole('listitem').filter({ hasText: tag }).first();
  const dialog = () => page.getByRole('dialog');
  const snapshotNow = async (tag: string): Promise<void> => {
    await page.getByLabel('Tag for the new snapshot (optional)').fill(tag);
    await page.getByRole('button', { name: 'Snapshot now' }).click();
    await page.getByRole('status').filter({ hasText: 'Snapshot taken' }).waitFor();
    await row(tag).waitFor();
  };
  const openPreview = async (tag: string): Promise<void> => {
    await row(tag).hover();
    await row(tag).getByRole('button', { name: /^Roll back to/ }).click();
    await dialog().waitFor();
  };

  before(async () => {
    box = await sandbox();
    await mkdir(file('src'));
    await writeFile(file('src/app.js'), 'import { login } from "./auth";\nconsole.log("v1");\nexport default login;\n');
    await writeFile(file('src/locked.txt'), 'as snapshotted\n');
    await writeFile(file('README.md'), '# demo\n');
    await mkdir(box.home, { recursive: true });
    await writeFile(path.join(box.home, 'settings.json'), JSON.stringify({ version: 1, targets: [{ path: box.project }], onboarded: true }));
    ({ server, browser, page } = await openPopover(box.home, box.project, {}, { env: { SNAPCTL_FAULT_EIO_WHILE: faults() } }));
  });
  after(async () => {
    await closePopover(server, browser);
    await box?.cleanup();
  });

  test('the preview shows deletions first and open, as a folder tree with counts, in natural order, every path reachable by keyboard', async () => {
    await snapshotNow('before the build');
    await mkdir(file('build'));
    for (let i = 1; i <= 250; i++) await writeFile(file(`build/f${i}.txt`), `${i}\n`);
    await writeFile(file('src/app.js'), 'import { login } from "./auth";\nconsole.log("v2: broken");\nexport default login;\n');
    await rm(file('README.md'));
    await openPreview('before the build');
    const first = dialog().getByRole('treeitem').first();
    await first.waitFor();
    assert.equal(await first.getAttribute('aria-label'), 'Removed (added since): 251 paths', 'deletions come first');
    assert.equal(await first.getAttribute('aria-expanded'), 'true', 'and open');
    const build = dialog().getByRole('treeitem', { name: 'build/, 251 paths' });
    assert.equal(await build.getAttribute('aria-expanded'), 'false', 'a big folder starts folded, with its count');
    assert.match(await build.innerText(), /251/);
    await dialog().getByText(/253 paths will change/).waitFor();

    await first.focus();
    await page.keyboard.press('ArrowDown');
    await focusSettles(page, 'treeitem: build/, 251 paths');
    await page.keyboard.press('ArrowRight');
    assert.equal(await build.getAttribute('aria-expanded'), 'true');
    const names: string[] = [];
    for (let i = 0; i < 10; i++) { await page.keyboard.press('ArrowDown'); names.push((await focused(page)).replace('treeitem: ', '')); }
    assert.deepEqual(names.slice(0, 3), ['build/f1.txt', 'build/f2.txt', 'build/f3.txt'], 'natural order: f1, f2, f3, not f1, f10, f100');
    assert.equal(names[9], 'build/f10.txt');
    // No cut at 200: the 250th is reached, with only the rows in view in the page.
    for (let i = 0; i < 40 && (await focused(page)).startsWith('treeitem: build/f'); i++) await page.keyboard.press('PageDown');
    for (let i = 0; i < 10 && !(await focused(page)).endsWith('build/f250.txt'); i++) await page.keyboard.press('ArrowUp');
    await focusSettles(page, 'treeitem: build/f250.txt');
    assert.ok((await dialog().getByRole('treeitem').count()) < 80, 'virtualised');
    await shootBoth(page, 'preview-keyboard');
    await page.keyboard.press('Home');
    await focusSettles(page, 'treeitem: Removed (added since): 251 paths');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowLeft');
    assert.equal(await build.getAttribute('aria-expanded'), 'false', 'Left folds the folder');
    await shootBoth(page, 'preview');
  });

  test('the buttons stay in view with every group and folder open', async () => {
    await dialog().locator('.tree [tabindex="0"]').focus();
    await page.keyboard.press('Home');
    for (const name of ['Brought back (deleted since): 1 path', 'Restored (changed since): 1 path', 'build/, 251 paths']) {
      const item = dialog().getByRole('treeitem', { name });
      if (await item.getAttribute('aria-expanded') === 'false') await item.click();
    }
    const button = dialog().getByRole('button', { name: 'Roll back', exact: true });
    const boxOf = await button.boundingBox();
    assert.ok(boxOf && boxOf.y + boxOf.height <= 560, `the Roll back button ends at ${boxOf ? boxOf.y + boxOf.height : '?'} px of 560`);
    assert.ok(await button.isVisible());
  });

  test('picking a changed text file shows its unified diff; Escape goes back to the path in the tree', async () => {
    await dialog().locator('.tree [tabindex="0"]').focus();
    await page.keyboard.press('End');
    await focusSettles(page, 'treeitem: src/app.js', 'the last path, past 251 open ones');
    await page.keyboard.press('Enter');
    const diff = dialog().getByRole('region', { name: 'Diff of src/app.js' });
    await diff.waitFor();
    const text = await diff.locator('pre').innerText();
    assert.match(text, /−console\.log\("v2: broken"\);/, 'the line the rollback takes away');
    assert.match(text, /\+console\.log\("v1"\);/, 'the line it brings back');
    assert.match(text, / import \{ login \}/, 'kept lines around it');
    await page.keyboard.press('Tab');
    assert.match(await focused(page), /^pre: Text diff of src\/app\.js/, 'the diff itself takes focus, to scroll by keyboard');
    await shootBoth(page, 'file-diff');
    await page.keyboard.press('Escape');
    await eventually(() => focused(page), 'treeitem: src/app.js');
    assert.equal(await dialog().count(), 1, 'Escape left the diff, not the dialog');
  });

  test('ticking only some paths rolls back only those; the result uses the preview\'s words; Undo stays in the main view until used', async () => {
    await page.keyboard.press('Home');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowLeft'); // fold build/ again: the groups below come into view
    await page.keyboard.press('Home');
    const removed = dialog().getByRole('treeitem', { name: 'Removed (added since): 251 paths' });
    await focusSettles(page, 'treeitem: Removed (added since): 251 paths');
    await page.keyboard.press(' ');
    assert.equal(await removed.getAttribute('aria-checked'), 'false');
    assert.equal(await dialog().getByRole('treeitem', { name: 'build/, 251 paths' }).getAttribute('aria-checked'), 'false', 'a group ticks its folders and their contents');
    await dialog().getByRole('treeitem', { name: 'Brought back (deleted since): 1 path' }).locator('input').click();
    const go = dialog().getByRole('button', { name: 'Roll back 1 path' });
    await go.click();
    await dialog().getByText('Rolled back: 1 restored, 0 brought back, 0 removed.').waitFor();
    assert.match(await readFile(file('src/app.js'), 'utf8'), /v1/);
    await assert.rejects(readFile(file('README.md')), /ENOENT/, 'an unticked path is left as it is');
    assert.equal(await readFile(file('build/f250.txt'), 'utf8'), '250\n');
    await dialog().getByRole('button', { name: 'Close' }).click();

    const offer = page.getByRole('region', { name: 'Undo the last rollback' });
    await offer.waitFor();
    await shootBoth(page, 'undo-offer');
    await page.reload();
    await offer.waitFor(); // from status: closing and reopening the popover keeps it
    await offer.getByRole('button', { name: /^Undo/ }).click();
    await page.getByRole('status').filter({ hasText: 'Undone' }).waitFor();
    assert.match(await readFile(file('src/app.js'), 'utf8'), /v2: broken/);
    await eventually(() => offer.count(), 0, 12_000);
  });

  test('the dialog keeps focus inside while open and gives it back to the row after', async () => {
    const button = row('before the build').getByRole('button', { name: /^Roll back to/ });
    await button.focus();
    const name = await button.getAttribute('aria-label');
    await page.keyboard.press('Enter');
    await dialog().getByRole('treeitem').first().waitFor();
    for (let i = 0; i < 20; i++) {
      await page.keyboard.press(i % 5 === 4 ? 'Shift+Tab' : 'Tab');
      assert.ok(await page.evaluate(() => document.querySelector('[role="dialog"]')?.contains(document.activeElement) ?? false), `Tab ${i} stayed in the dialog`);
    }
    await page.keyboard.press('Escape');
    await eventually(() => dialog().count(), 0);
    assert.equal(await focused(page), `button: ${name}`);
  });

  test('a rollback with nothing to change says so and takes no safety snapshot', async () => {
    await snapshotNow('as it is now');
    await openPreview('as it is now');
    await dialog().getByText('The folder is the same as this snapshot: nothing will change.').waitFor();
    assert.equal(await dialog().getByRole('button', { name: 'Roll back', exact: true }).isDisabled(), true);
    await dialog().getByRole('button', { name: 'Cancel' }).click();

    // The preview showed a change that was undone on disk before the click: the rollback finds nothing to do.
    await writeFile(file('src/extra.txt'), 'soon gone\n');
    await openPreview('as it is now');
    await dialog().getByText('1 path will change').waitFor();
    await rm(file('src/extra.txt'));
    const before = (await store()).snapshots.length;
    await dialog().getByRole('button', { name: 'Roll back', exact: true }).click();
    await dialog().getByText(/Nothing to change: the folder already matches this snapshot, so no safety snapshot was taken/).waitFor();
    assert.equal((await store()).snapshots.length, before);
    assert.equal(await dialog().getByRole('button', { name: 'Undo' }).count(), 0, 'nothing to undo');
    await dialog().getByRole('button', { name: 'Close' }).click();
  });

  test('a rollback that stops part way: one plain sentence with Retry, Undo and Details; a compact banner in the main view; any preview says so first; Retry clears it', async () => {
    await snapshotNow('before the lock');
    await writeFile(file('src/locked.txt'), 'changed, then its disk failed\n');
    await writeFile(file('src/app.js'), 'console.log("v3");\n');
    await broken('src/locked.txt', true);
    await openPreview('before the lock');
    await dialog().getByRole('button', { name: 'Roll back', exact: true }).click();
    const failed = dialog().getByRole('alert').filter({ hasText: 'stopped part way' });
    await failed.waitFor();
    assert.match(await failed.innerText(), /^The rollback stopped part way: the folder is partly restored\.\s*Details$/, 'one sentence, the rest behind Details');
    for (const b of ['Retry', 'Undo', 'Close']) await dialog().getByRole('button', { name: b, exact: true }).waitFor();
    await failed.getByText('Details').click();
    assert.match(await failed.innerText(), /locked\.txt/);
    // The core's advice is for a terminal ('snapctl undo --path …'): the details say it with the buttons here.
    assert.doesNotMatch(await failed.innerText(), /snapctl (?:status|recover|undo)|--path/);
    assert.match(await failed.innerText(), /once that is fixed, Retry finishes it, or Undo returns the folder to how it was before/);
    await shootBoth(page, 'rollback-failed');
    await dialog().getByRole('button', { name: 'Close' }).click();

    const banner = page.getByRole('alert', { name: 'Unfinished rollback' });
    await banner.waitFor();
    assert.match(await banner.innerText(), /A rollback to ‘before the lock’ stopped part way|stopped part way/);
    const height = (await banner.boundingBox())?.height ?? 999;
    assert.ok(height < 110, `the banner is compact (${height} px of 560)`);
    await page.locator('.rollback-head').filter({ hasText: 'Unfinished: rollback to ‘before the lock’' }).waitFor(); // its safety snapshot sits under it
    await shootBoth(page, 'unfinished-banner');
    await banner.getByRole('button', { name: 'Details' }).click();
    assert.match(await banner.innerText(), /locked\.txt/);
    await banner.getByRole('button', { name: 'Details' }).click();

    await openPreview('before the build');
    const inPreview = dialog().getByRole('alert', { name: 'Unfinished rollback' });
    await inPreview.waitFor();
    const first = await dialog().getByRole('treeitem').first().boundingBox();
    assert.ok(first && ((await inPreview.boundingBox())?.y ?? 999) < first.y, 'the preview says so first');
    await dialog().getByRole('button', { name: 'Cancel' }).click();

    await broken('src/locked.txt', false);
    await banner.getByRole('button', { name: 'Retry' }).click();
    await eventually(() => banner.count(), 0);
    assert.equal(await readFile(file('src/locked.txt'), 'utf8'), 'as snapshotted\n');
  });

  test('an unfinished rollback clears itself from the popover when resolved elsewhere (snapctl undo in a terminal)', async () => {
    await writeFile(file('src/locked.txt'), 'changed again\n');
    await broken('src/locked.txt', true);
    await openPreview('before the lock');
    await dialog().getByRole('button', { name: 'Roll back', exact: true }).click();
    await dialog().getByRole('alert').filter({ hasText: 'stopped part way' }).waitFor();
    await dialog().getByRole('button', { name: 'Close' }).click();
    const banner = page.getByRole('alert', { name: 'Unfinished rollback' });
    await banner.waitFor();
    await broken('src/locked.txt', false);
    const undone = await cli(box.home, ['undo', '--path', box.project, '--yes']);
    assert.equal(undone.code, 0, undone.stderr);
    await eventually(() => banner.count(), 0, 15_000);
    assert.equal(await readFile(file('src/locked.txt'), 'utf8'), 'changed again\n', 'undo put back the state before the rollback');
  });

  test('a commit since the snapshot is said first in the preview, with "Leave .git alone" (re-asked when ticked); ticked, the commit stays', async () => {
    const git = (...args: string[]): string => execFileSync('git', ['-c', 'user.name=Test', '-c', 'user.email=t@example.com', ...args], { cwd: box.project, encoding: 'utf8' }).trim();
    git('init', '-q', '-b', 'main');
    git('add', '-A');
    git('commit', '-q', '-m', 'first');
    await snapshotNow('before the fix');
    await writeFile(file('src/app.js'), 'console.log("fixed");\n');
    git('commit', '-q', '-am', 'fix login');
    await openPreview('before the fix');
    const impact = dialog().getByRole('group', { name: 'What this does to git' });
    await impact.waitFor();
    assert.match(await impact.innerText(), /This undoes 1 commit on main: fix login\./);
    const keep = impact.getByLabel('Leave .git alone');
    assert.equal(await keep.isChecked(), false, "the folder's setting: .git is rolled back with the rest");
    const impactBox = await impact.boundingBox();
    const treeBox = await dialog().getByRole('tree').boundingBox();
    assert.ok(impactBox && treeBox && impactBox.y < treeBox.y, 'said before the paths');
    await shootBoth(page, 'git-impact');
    // The new preview is held back: until it comes, the old one must not be offered as the new one.
    let answer = (): void => undefined;
    const held = new Promise<void>((resolve) => { answer = resolve; });
    await page.route(`**${HTTP_API_PATH}`, async (route) => {
      const body = route.request().postDataJSON() as { method?: string; params?: { keepGit?: boolean } };
      if (body.method === 'diff' && body.params?.keepGit === true) await held;
      await route.continue();
    });
    await keep.check();
    assert.equal(await keep.isChecked(), true, 'the switch shows the click at once');
    await dialog().getByRole('status').filter({ hasText: 'Comparing again' }).waitFor();
    assert.equal(await dialog().getByRole('button', { name: 'Roll back', exact: true }).isDisabled(), true, 'no rollback on the old preview while the new one is asked');
    assert.match(await impact.innerText(), /This undoes 1 commit/, 'the old answer is not yet reworded as the new one');
    await shootBoth(page, 'git-comparing');
    answer();
    await impact.getByText('.git is left alone').waitFor();
    await page.unroute(`**${HTTP_API_PATH}`);
    assert.equal(await dialog().getByRole('treeitem', { name: /^\.git\// }).count(), 0, 'the new preview holds no .git paths');
    assert.equal(await dialog().getByRole('status').filter({ hasText: 'Comparing again' }).count(), 0);
    await dialog().getByRole('button', { name: 'Roll back', exact: true }).click();
    await dialog().getByText(/Rolled back: 1 restored/).waitFor();
    assert.equal(git('log', '-1', '--format=%s'), 'fix login', 'the commit is still there');
    assert.match(await readFile(file('src/app.js'), 'utf8'), /v3|v2|v1/, 'the file is the snapshot\'s');
    await dialog().getByRole('button', { name: 'Close' }).click();
  });

  test('with .git unticked in the tree, the summary, the button and the result give one count, and the git sentence goes', async () => {
    const git = (...args: string[]): string => execFileSync('git', ['-c', 'user.name=Test', '-c', 'user.email=t@example.com', ...args], { cwd: box.project, encoding: 'utf8' }).trim();
    await mkdir(file('docs'));
    for (let i = 1; i <= 5; i++) await writeFile(file(`docs/n${i}.md`), `${i}\n`);
    git('add', '-A');
    git('commit', '-q', '-m', 'docs');
    await openPreview('before the fix');
    const impact = dialog().getByRole('group', { name: 'What this does to git' });
    await impact.getByText(/This undoes \d+ commits? on main/).waitFor();
    const gitRows = dialog().getByRole('treeitem', { name: /^\.git\/, / });
    assert.ok(await gitRows.count() > 0, 'the .git folder is among the changes');
    for (let i = await gitRows.count() - 1; i >= 0; i--) await gitRows.nth(i).locator('input').first().uncheck();
    await impact.getByText('.git is left alone').waitFor();
    assert.equal(await impact.getByText(/This undoes/).count(), 0, 'the git sentence goes with .git unticked');
    const summary = await dialog().locator('.summary').innerText();
    const m = /^(\d+) of (\d+) changed paths ticked: (\d+) will change/.exec(summary);
    assert.ok(m, summary);
    const n = Number(m[1]);
    assert.equal(Number(m[3]), n);
    await shootBoth(page, 'git-unticked');
    await dialog().getByRole('button', { name: `Roll back ${n} ${n === 1 ? 'path' : 'paths'}` }).click();
    const result = dialog().getByText(/^Rolled back: /);
    await result.waitFor();
    const [restored = 0, back = 0, removed = 0] = ((/(\d+) restored, (\d+) brought back, (\d+) removed/.exec(await result.innerText())) ?? []).slice(1).map(Number);
    assert.equal(restored + back + removed, n, 'the result counts what the button said');
    assert.equal(git('log', '-1', '--format=%s'), 'docs', 'the commits stay');
    await dialog().getByRole('button', { name: 'Close' }).click();
    // The list's heading over its safety snapshot names the picks: a count there would be of top-level picks
    // (a removed folder is one), not the changed paths the button and the result counted.
    const head = page.locator('.rollback-head').first();
    await head.filter({ hasText: /^↩ Rollback of / }).waitFor();
    const said = await head.innerText();
    assert.match(said, /^↩ Rollback of [^\d]+(?: and \d+ more)? to .* · \d\d:\d\d$/, said);
    assert.doesNotMatch(said, /\d+ paths?\b/, said);
  });
});
