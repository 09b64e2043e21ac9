import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { describe, test } from 'node:test';
import { repoRoot, sandbox } from '../helpers/helpers.js';

// The README's first command. Where the tray app cannot run (no display here), `npm start` must say so and
// serve the same popover headless on loopback, printing a URL that opens it.
describe('npm start', { skip: process.platform !== 'linux' ? 'the headless fallback is chosen for a missing display on Linux' : false }, () => {
  test('without a display it says why, serves the popover on loopback and prints a URL that opens it', async () => {
    const box = await sandbox();
    const env: NodeJS.ProcessEnv = { ...process.env, SNAPCTL_HOME: box.home, DD_AGENT_HOST: '127.0.0.1', DD_DOGSTATSD_PORT: '9' };
    delete env['DISPLAY'];
    delete env['WAYLAND_DISPLAY'];
    const child = spawn(process.execPath, [path.join(repoRoot, 'bin', 'start.mjs'), '--path', box.project], { env });
    try {
      let out = '';
      let err = '';
      child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no URL in 20 s; stdout: ${out}; stderr: ${err}`)), 20_000);
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          const m = /^open: (http:\/\/127\.0\.0\.1:\d+\/\?token=\S+)$/m.exec(out);
          if (m?.[1]) { clearTimeout(timer); resolve(m[1]); }
        });
        child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`npm start exited ${code}: ${err}`)); });
      });
      assert.match(err, /the tray app cannot run here: .+\n.*serving the same popover headless on loopback/);
      // As a browser does: the token moves into a cookie, then the popover loads with it.
      const login = await fetch(url, { redirect: 'manual' });
      assert.equal(login.status, 303);
      const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
      const page = await fetch(new URL(login.headers.get('location') ?? '/', url), { headers: { cookie } });
      assert.equal(page.status, 200);
      assert.match(page.headers.get('content-type') ?? '', /text\/html/);
      assert.match(await page.text(), /<script src="[^"]*app\.js"/);
      const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
      child.kill('SIGTERM');
      assert.equal(await exited, 0);
    } finally {
      child.kill('SIGKILL');
      await box.cleanup();
    }
  });
});
