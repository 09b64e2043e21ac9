/// <reference lib="dom" />
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdir, readFile, rename, rm, stat, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { cliPath, sandbox } from '../test/helpers/helpers.js';
import { ARTIFACTS, eventually, launch, serve, shootBoth, skip, stopServer } from './harness.js';

describe('popover end to end: snapctl serve + Chromium', { skip }, () => {
  let box: Awaited<ReturnType<typeof sandbox>>;
  let server: Awaited<ReturnType<typeof serve>>;
  let browser: Browser;
  let page: Page;
  const file = (rel: string): string => path.join(box.project, rel);

  before(async () => {
    box = await sandbox();
    await mkdir(file('src'));
    await writeFile(file('src/app.js'), 'console.log("v1");\n');
    await writeFile(file('README.md'), '# demo\n');
    await mkdir(ARTIFACTS, { recursive: true });
    server = await serve(box.home, box.project);
    browser = await launch();
    page = await browser.newPage({ viewport: { width: 400, height: 560 }, colorScheme: 'light' });
  });
  after(async () => {
    await browser?.close();
    await stopServer(server);
    await box?.cleanup();
  });

  test('a page without the token gets nothing but the instruction to use the printed URL', async () => {
    const res = await fetch(server.url);
    assert.equal(res.status, 401);
    assert.match(await res.text(), /open the URL snapctl serve printed/);
    const api = await fetch(`${server.url}api/call`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"method":"list","params":{}}' });
    assert.equal(api.status, 401);
  });

  test('first run explains snapctl, refuses a folder that does not exist, and takes the folder it was started with', async () => {
    await page.goto(server.loginUrl);
    assert.equal(new URL(page.url()).search, '', 'the token leaves the address bar');
    await page.getByRole('heading', { name: 'Welcome to snapctl' }).waitFor();
    const folder = page.getByLabel('Folder to protect');
    assert.equal(await folder.inputValue(), box.project);
    await page.getByText(/Found: snapshots with clone \(clone works on any filesystem/).waitFor();
    // 'serve --path' put the folder in the settings, scheduled: the box says so, and Start keeps it so.
    assert.equal(await page.getByLabel('Snapshot it every hour').isChecked(), true, 'what the settings already do');
    await page.getByText('It is scheduled in the settings already.').waitFor();
    await shootBoth(page, 'first-run');
    await folder.fill(`${box.project}/`);
    assert.equal(await page.getByLabel('Snapshot it every hour').isChecked(), true, 'a trailing slash names the same folder');
    await folder.fill(`${box.project}-other`);
    assert.equal(await page.getByLabel('Snapshot it every hour').isChecked(), true, 'a new folder is snapshotted every hour unless unticked');
    await folder.fill(`${box.project}-typo`);
    await eventually(() => folder.getAttribute('aria-invalid'), 'true');
    await page.getByRole('button', { name: 'Start' }).click();
    await page.getByRole('heading', { name: 'Welcome to snapctl' }).waitFor();
    assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('aria-invalid')), 'true', 'Start waits for a folder that exists, and points at it');
    const note = await page.locator(`[id="${await folder.getAttribute('aria-describedby') ?? ''}"]`).innerText();
    assert.doesNotMatch(note, /targets\.\d|must be an absolute/, `plain words: ${note}`);
    await shootBoth(page, 'first-run-missing-folder');
    await folder.fill(box.project);
    await page.getByText(/^Found: snapshots with clone/).waitFor();
    assert.equal(await page.getByLabel('Snapshot it every hour').isChecked(), true);
    await page.getByRole('button', { name: 'Start' }).click();
    await page.getByRole('heading', { name: 'snapctl' }).waitFor();
    const saved = JSON.parse(await readFile(path.join(box.home, 'settings.json'), 'utf8')) as { targets: { path: string; paused?: boolean }[] };
    assert.notEqual(saved.targets.find((t) => t.path === box.project)?.paused, true, 'the welcome never pauses a scheduled folder');
    await page.getByText(/Next snapshot in/).waitFor();
    await page.getByText('No snapshots of this folder yet').waitFor();
  });

  test('snapshot now, change files on disk, preview the diff, roll back, see the files restored, undo', async () => {
    await page.getByLabel('Tag for the new snapshot (optional)').fill('before the edit');
    await page.getByRole('button', { name: 'Snapshot now' }).click();
    await page.getByRole('status').filter({ hasText: 'Snapshot taken' }).waitFor();
    const row = page.getByRole('listitem').filter({ hasText: 'before the edit' });
    await row.waitFor();
    assert.match(await row.innerText(), /manual/);
    await row.locator('[title^="clone:"]').waitFor(); // the provider, on the size (rows are dense)

    // The running app's journal: nothing changed yet, then the edits counted live (status is polled).
    await page.getByRole('status', { name: 'No changes since the last snapshot' }).waitFor();
    await writeFile(file('src/app.js'), 'console.log("v2: broken");\n');
    await writeFile(file('scratch.txt'), 'new\n');
    await unlink(file('README.md'));
    await page.getByRole('status', { name: /^[1-9]\d* changes? since the last snapshot$/ }).waitFor({ timeout: 15_000 });
    await shootBoth(page, 'changes-since');

    await row.getByRole('button', { name: /^Roll back to/ }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByText('3 paths will change').waitFor();
    const groups = await dialog.getByRole('treeitem', { name: /\(.* since\)/ }).evaluateAll((els) => els.map((e) => e.getAttribute('aria-label')));
    assert.deepEqual(groups, ['Removed (added since): 1 path', 'Brought back (deleted since): 1 path', 'Restored (changed since): 1 path']);
    for (const p of ['scratch.txt', 'README.md', 'src/app.js']) await dialog.getByRole('treeitem', { name: p, exact: true }).waitFor();
    await shootBoth(page, 'rollback-preview');

    await dialog.getByRole('button', { name: 'Roll back', exact: true }).click();
    await dialog.getByText('Rolled back: 1 restored, 1 brought back, 1 removed.').waitFor();
    assert.equal(await readFile(file('src/app.js'), 'utf8'), 'console.log("v1");\n');
    assert.equal(await readFile(file('README.md'), 'utf8'), '# demo\n');
    await assert.rejects(stat(file('scratch.txt')), /ENOENT/);

    await dialog.getByRole('button', { name: 'Undo' }).click();
    await dialog.getByText('Undone').waitFor();
    assert.equal(await readFile(file('src/app.js'), 'utf8'), 'console.log("v2: broken");\n');
    assert.equal(await readFile(file('scratch.txt'), 'utf8'), 'new\n');
    await assert.rejects(stat(file('README.md')), /ENOENT/);
    await dialog.getByRole('button', { name: 'Close' }).click();

    // The list now also holds the two safety snapshots the rollback and the undo took.
    await page.getByRole('listitem').filter({ hasText: 'safety' }).first().waitFor();
    await eventually(() => page.getByRole('listitem').count(), 3);
  });

  test('the popover is keyboard navigable and follows the dark mode, with screenshots of both', async () => {
    await page.getByRole('listitem').first().focus();
    await page.keyboard.press('ArrowDown');
    const focused = await page.evaluate(() => document.activeElement?.getAttribute('data-id'));
    assert.equal(focused, await page.getByRole('listitem').nth(1).getAttribute('data-id'));
    await page.screenshot({ path: path.join(ARTIFACTS, 'popover-light.png') });
    await page.emulateMedia({ colorScheme: 'dark' });
    const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    assert.equal(bg, 'rgb(30, 30, 32)');
    await page.screenshot({ path: path.join(ARTIFACTS, 'popover-dark.png') });
    await page.emulateMedia({ colorScheme: 'light' });
  });

  test('settings refuse an invalid schedule with the reason and keep the previous one', async () => {
    await page.getByRole('button', { name: 'Settings' }).click();
    const schedule = page.getByLabel('Schedule (cron)');
    await schedule.fill('every tuesday');
    await eventually(() => schedule.getAttribute('aria-invalid'), 'true');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('alert').filter({ hasText: 'Fix the field marked above to save.' }).waitFor();
    const saved = JSON.parse(await readFile(path.join(box.home, 'settings.json'), 'utf8')) as { targets: { schedule: string }[] };
    assert.equal(saved.targets[0]?.schedule, '0 * * * *');
    await schedule.fill('*/30 * * * *');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Saved.').waitFor();
    const after = JSON.parse(await readFile(path.join(box.home, 'settings.json'), 'utf8')) as { targets: { schedule: string }[] };
    assert.equal(after.targets[0]?.schedule, '*/30 * * * *');
    // Adding a folder: a missing one is refused with the reason; a real one gets its detected provider.
    const extra = path.join(box.root, 'second project');
    await page.getByLabel('Add a folder (absolute path)').fill(`${extra}-missing`);
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    await page.getByRole('alert').filter({ hasText: /no such folder|does not exist|not a folder/ }).waitFor();
    await mkdir(extra);
    await page.getByLabel('Add a folder (absolute path)').fill(extra);
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    await eventually(() => page.getByLabel('Folder', { exact: true }).nth(1).inputValue().catch(() => ''), extra); // editable, like every folder path
    await eventually(() => page.getByText('Saved.').count(), 0, 2000); // the earlier save's message is gone
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Saved.').waitFor();
    const targets = async (): Promise<string> => JSON.stringify((JSON.parse(await readFile(path.join(box.home, 'settings.json'), 'utf8')) as { targets: { path: string; provider: string }[] }).targets.map((t) => [t.path, t.provider]));
    await eventually(targets, JSON.stringify([[box.project, 'clone'], [extra, 'clone']]));
    await page.screenshot({ path: path.join(ARTIFACTS, 'settings-light.png') });
    await page.getByRole('button', { name: 'Back' }).click();
  });

  test('delete asks first; Cancel keeps the snapshot, Delete removes it from the list and the store', async () => {
    const rows = page.getByRole('listitem');
    const before = await rows.count();
    await rows.first().getByRole('button', { name: /^Delete/ }).click();
    await page.getByRole('dialog', { name: 'Delete this snapshot?' }).waitFor();
    await page.keyboard.press('Escape');
    await eventually(() => page.getByRole('dialog').count(), 0);
    assert.equal(await rows.count(), before);
    await rows.first().getByRole('button', { name: /^Delete/ }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete', exact: true }).click();
    await page.getByRole('status').filter({ hasText: 'Snapshot deleted' }).waitFor();
    await eventually(() => rows.count(), before - 1);
    const store = JSON.parse(await readFile(path.join(box.home, 'store.json'), 'utf8')) as { snapshots: unknown[] };
    assert.equal(store.snapshots.length, before - 1);
  });

  test('a failed snapshot shows a banner that says what failed and what to do', async () => {
    const moved = `${box.project}-moved`;
    await rename(box.project, moved);
    try {
      await page.getByRole('button', { name: 'Snapshot now' }).click();
      const alert = page.getByRole('alert').filter({ hasText: 'Snapshot failed' });
      await alert.waitFor();
      assert.match(await alert.innerText(), /no such folder|does not exist|deleted|moved/);
      await page.screenshot({ path: path.join(ARTIFACTS, 'error-banner-light.png') });
      await alert.getByRole('button', { name: 'Dismiss' }).click();
    } finally {
      await rename(moved, box.project);
    }
  });

  test('paths a snapshot could not keep (a FIFO here) are named when it is taken', async () => {
    const fifo = path.join(box.project, 'build.pipe');
    execFileSync('mkfifo', [fifo]);
    try {
      await page.getByRole('button', { name: 'Snapshot now' }).click();
      await page.getByRole('alert').filter({ hasText: 'Not kept as they were: build.pipe (FIFO)' }).waitFor();
    } finally {
      await unlink(fifo);
    }
  });

  test('a snapshot whose stored data was damaged is marked damaged in the list, with why on hover', async () => {
    const store = JSON.parse(await readFile(path.join(box.home, 'store.json'), 'utf8')) as { snapshots: { id: string; ref: string; provider: string }[] };
    const victim = store.snapshots.find((s) => s.provider === 'clone');
    assert.ok(victim);
    const manifest = JSON.parse(await readFile(path.join(box.home, 'clone', 'manifests', `${victim.ref}.json`), 'utf8')) as { entries: { oid?: string }[] };
    const oid = manifest.entries.find((e) => e.oid)?.oid ?? '';
    await writeFile(path.join(box.home, 'clone', 'objects', oid.slice(0, 2), oid), 'not what was snapshotted');
    const verify = spawn(process.execPath, [cliPath, 'verify'], { env: { ...process.env, SNAPCTL_HOME: box.home } });
    assert.equal(await new Promise((resolve) => verify.on('close', resolve)), 1);
    await page.reload();
    const badge = page.getByRole('listitem').locator('.badge.damaged').first();
    await badge.waitFor();
    assert.match(await badge.getAttribute('title') ?? '', /refused before anything changes/);
    await page.screenshot({ path: path.join(ARTIFACTS, 'damaged-snapshot-light.png') });
  });

  test('a project folder deleted by mistake rolls back from the popover: it is made again, whole', async () => {
    await page.getByLabel('Tag for the new snapshot (optional)').fill('before the accident');
    await page.getByRole('button', { name: 'Snapshot now' }).click();
    await page.getByRole('status').filter({ hasText: 'Snapshot taken' }).waitFor();
    const before = await readFile(file('src/app.js'), 'utf8');
    await rm(box.project, { recursive: true });
    const row = page.getByRole('listitem').filter({ hasText: 'before the accident' });
    await row.getByRole('button', { name: /^Roll back to/ }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByText(/paths? will change/).waitFor();
    assert.match(await dialog.innerText(), /Brought back \(deleted since\)/);
    await dialog.getByRole('button', { name: 'Roll back', exact: true }).click();
    await dialog.getByText(/Rolled back/).waitFor();
    assert.equal(await readFile(file('src/app.js'), 'utf8'), before);
    await dialog.getByRole('button', { name: 'Close' }).click();
  });

  test('the page cannot reach Node or the file system', async () => {
    const reach = await page.evaluate(() => ({
      require: typeof (globalThis as { require?: unknown }).require,
      process: typeof (globalThis as { process?: unknown }).process,
    }));
    assert.deepEqual(reach, { require: 'undefined', process: 'undefined' });
    const inline = await page.evaluate(() => {
      const s = document.createElement('script');
      s.textContent = 'window.__inline = 1';
      document.body.append(s);
      return (window as { __inline?: number }).__inline ?? null;
    });
    assert.equal(inline, null, 'the CSP blocks inline script');
  });
});


describe('popover with 10,000 snapshots', { skip }, () => {
  let box: Awaited<ReturnType<typeof sandbox>>;
  let server: Awaited<ReturnType<typeof serve>>;
  let browser: Browser;
  let newestId = '';
  let oldestId = '';

  before(async () => {
    box = await sandbox();
    await mkdir(box.home, { recursive: true });
    const start = Date.parse('2025-01-01T00:00:00Z');
    const snapshots = Array.from({ length: 10_000 }, (_, i) => {
      const at = new Date(start + i * 3_600_000);
      const stamp = at.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
      return {
        id: `${stamp}-${i.toString(16).padStart(6, '0')}`, provider: 'clone', target: box.project, tag: i % 10 === 0 ? `release ${i}` : null,
        trigger: 'schedule', createdAt: at.toISOString(), size: 1000 + i, addedBytes: 10, files: 3, state: 'ready', ref: `r${i}`, note: null,
      };
    });
    newestId = snapshots[snapshots.length - 1]?.id ?? '';
    oldestId = snapshots[0]?.id ?? '';
    await writeFile(path.join(box.home, 'store.json'), JSON.stringify({ version: 1, snapshots, rollbacks: [] }));
    await writeFile(path.join(box.home, 'settings.json'), JSON.stringify({ version: 1, targets: [{ path: box.project }], onboarded: true }));
    server = await serve(box.home, box.project);
    browser = await launch();
  });
  after(async () => { await browser?.close(); await stopServer(server); await box?.cleanup(); });

  test('only the rows in view exist in the page, and the oldest is reachable from the keyboard', async () => {
    const page = await browser.newPage({ viewport: { width: 400, height: 560 } });
    const started = Date.now();
    await page.goto(server.loginUrl);
    await page.getByRole('list', { name: '10000 snapshots, newest first' }).waitFor();
    const loadMs = Date.now() - started;
    const rendered = await page.getByRole('listitem').count();
    assert.ok(rendered > 3 && rendered < 40, `${rendered} rows in the DOM`);
    assert.equal(await page.getByRole('listitem').first().getAttribute('data-id'), newestId, 'newest first');
    await page.getByRole('listitem').first().focus();
    const endStarted = Date.now();
    await page.keyboard.press('End');
    const oldest = page.locator(`[data-id="${oldestId}"]`);
    await oldest.waitFor();
    await eventually(() => page.evaluate(() => document.activeElement?.getAttribute('data-id')), oldestId);
    const endMs = Date.now() - endStarted;
    assert.match(await oldest.innerText(), /release 0/);
    assert.ok((await page.getByRole('listitem').count()) < 40);
    console.log(`# 10,000 snapshots: first paint of the list ${loadMs} ms, End key to the oldest row ${endMs} ms, ${rendered} rows in the DOM`);
    await page.screenshot({ path: path.join(ARTIFACTS, 'popover-10k-light.png') });
  });
});
