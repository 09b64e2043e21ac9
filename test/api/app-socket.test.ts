import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmod, chown, lstat, mkdir, stat, symlink, unlink, writeFile } from 'node:fs/promises';
import { createConnection, createServer } from 'node:net';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startAppSocket, type AppSocket } from '../../src/api/socket-server.js';
import { installLayout } from '../../src/core/base/install.js';
import { SnapctlRuntime } from '../../src/core/runtime/runtime.js';
import { appSocketPlace } from '../../src/core/state/app-socket.js';
import { APP_SOCKET_PROTOCOL } from '../../src/shared/app-socket.js';
import { runCli, sandbox, type Sandbox } from '../helpers/helpers.js';

/** Sends raw lines on a new connection and collects the answers until the app closes it or `until` is met. */
function exchange(socket: string, lines: string[], until: (answers: Record<string, unknown>[]) => boolean): Promise<{ answers: Record<string, unknown>[]; closed: boolean }> {
  return new Promise((resolve, reject) => {
    const c = createConnection(socket);
    const answers: Record<string, unknown>[] = [];
    let buffer = '';
    let done = false;
    const finish = (closed: boolean): void => { if (done) return; done = true; c.destroy(); resolve({ answers, closed }); };
    c.setEncoding('utf8');
    c.on('connect', () => { for (const l of lines) c.write(l); });
    c.on('data', (chunk: string) => {
      buffer += chunk;
      for (let nl = buffer.indexOf('\n'); nl >= 0; nl = buffer.indexOf('\n')) {
        answers.push(JSON.parse(buffer.slice(0, nl)) as Record<string, unknown>);
        buffer = buffer.slice(nl + 1);
      }
      if (until(answers)) finish(false);
    });
    c.on('close', () => finish(true));
    c.on('error', (err) => (done ? undefined : reject(err)));
  });
}

const line = (value: unknown): string => `${JSON.stringify(value)}\n`;

describe("the running app's socket", () => {
  let box: Sandbox;
  let runtime: SnapctlRuntime;
  let app: AppSocket;
  let hello: Record<string, unknown>;
  const problems: string[] = [];
  // A runtime folder of this suite's own: the attack below opens folders up for a moment, and another suite
  // running beside it must never find the shared one opened.
  let runDir = '';
  const env = (): NodeJS.ProcessEnv => ({ ...process.env, XDG_RUNTIME_DIR: runDir });

  before(async () => {
    box = await sandbox();
    runDir = path.join(box.root, 'run');
    await mkdir(runDir, { mode: 0o700 });
    await writeFile(path.join(box.project, 'a.txt'), 'one\n');
    runtime = await SnapctlRuntime.start({ home: box.home, env: env() });
    const started = await startAppSocket({ context: { runtime, host: 'headless' }, env: env(), onProblem: (m) => problems.push(m), limits: { maxLine: 4096 } });
    assert.ok(started);
    app = started;
    hello = { id: 0, method: 'hello', home: (await appSocketPlace(env(), box.home)).home, version: installLayout().version, protocol: APP_SOCKET_PROTOCOL };
  });
  after(async () => {
    await app.close();
    await runtime.stop();
    await box.cleanup();
  });

  test('is a socket only its user can use, in a folder only its user can enter, named for the state folder', async () => {
    const st = await lstat(app.path);
    assert.ok(st.isSocket());
    assert.equal(st.mode & 0o777, 0o600);
    assert.equal(st.uid, process.getuid?.());
    assert.equal((await stat(path.dirname(app.path))).mode & 0o777, 0o700);
    const other = await appSocketPlace(env(), path.join(box.root, 'other-home'));
    assert.notEqual(other.socket, app.path);
    // A link to the state folder names the same folder, so the same app.
    await symlink(box.home, path.join(box.root, 'home-link'));
    assert.equal((await appSocketPlace(env(), path.join(box.root, 'home-link'))).socket, app.path);
  });

  test('answers a greeted call, and throws the core\'s errors back with their kind and hint', async () => {
    const { answers } = await exchange(app.path, [line(hello), line({ id: 1, method: 'create', params: { target: box.project, tag: 'through' } }), line({ id: 2, method: 'rollback', params: { id: '20200101-000000-abcdef' } })], (a) => a.length >= 3);
    assert.equal(answers[0]?.['ok'], true);
    const created = answers.find((a) => a['id'] === 1);
    assert.equal(created?.['ok'], true);
    assert.equal((created?.['value'] as { tag: string }).tag, 'through');
    const failed = answers.find((a) => a['id'] === 2) as { ok: boolean; refused?: boolean; error: { kind: string; snapctl: boolean } };
    assert.equal(failed.ok, false);
    assert.equal(failed.refused, undefined, 'the core saw it: not a refusal the CLI would do again itself');
    assert.deepEqual([failed.error.kind, failed.error.snapctl], ['not-found', true]);
  });

  test('refuses a malformed request, a call before hello, and an app for another state folder, closing only that connection', async () => {
    for (const [sent, why] of [
      ['not json\n', /a request is one line of JSON/],
      [line([1, 2]), /a request is one line of JSON/],
      [line({ id: 'x', method: 'hello' }), /a request is one line of JSON/],
      [line({ id: 1, method: 'create', params: {} }), /the first request must be hello/],
      [line({ ...hello, home: path.join(box.root, 'other-home') }), /another state folder/],
      [line({ ...hello, version: '0.0.0-other' }), /this app runs snapctl/],
    ] as const) {
      const { answers, closed } = await exchange(app.path, [sent], () => false);
      assert.ok(closed, `closed after ${sent}`);
      assert.equal(answers.length, 1);
      assert.equal(answers[0]?.['refused'], true);
      assert.match((answers[0]?.['error'] as { message: string }).message, why);
    }
    const { answers } = await exchange(app.path, [line(hello)], (a) => a.length >= 1);
    assert.equal(answers[0]?.['ok'], true, 'the app still answers');
  });

  test('refuses a request over the size cap without reading on, and methods the CLI does not need, with the API\'s words for bad params', async () => {
    const huge = await exchange(app.path, [line(hello), `{"id":1,"method":"create","params":{"tag":"${'x'.repeat(10_000)}`], () => false);
    assert.ok(huge.closed);
    assert.match((huge.answers[1]?.['error'] as { message: string }).message, /a request is at most 4096 bytes/);
    const { answers } = await exchange(app.path, [
      line(hello),
      line({ id: 1, method: 'setSettings', params: { settings: {} } }),
      line({ id: 2, method: '__proto__', params: {} }),
      line({ id: 3, method: 'rollback', params: { id: 'latest' } }),
      line({ id: 4, method: 'create', params: { target: box.project, trigger: 'cron' } }),
    ], (a) => a.length >= 5);
    const error = (id: number): string => ((answers.find((a) => a['id'] === id) as { error: { message: string } }).error.message);
    assert.match(error(1), /^unknown method "setSettings" \(this socket answers create, diff, rollback, undo, progress, status\)$/);
    assert.match(error(2), /^unknown method "__proto__"/);
    assert.match(error(3), /^invalid rollback request: id must be a whole snapshot id/);
    assert.match(error(4), /^invalid create request: trigger must be what asked for the snapshot: one of manual, /);
    for (const a of answers.slice(1)) assert.equal(a['refused'], true);
    assert.deepEqual(runtime.currentSettings().targets, [], 'nothing was changed');
  });

  test('a second app on the same state folder leaves the live one its socket; a socket a killed app left is replaced', async () => {
    const said: string[] = [];
    const second = await startAppSocket({ context: { runtime, host: 'headless' }, env: env(), onProblem: (m) => said.push(m) });
    assert.equal(second, null);
    assert.match(said[0] ?? '', /another snapctl app answers for this state folder/);
    assert.equal((await exchange(app.path, [line(hello)], (a) => a.length >= 1)).answers[0]?.['ok'], true);

    // A killed app: its socket stays behind, bound by nobody.
    const home = path.join(box.root, 'killed-home');
    await mkdir(home);
    const place = await appSocketPlace(env(), home);
    const child = spawn(process.execPath, ['-e', `const s = ${JSON.stringify(place.socket)}; require('net').createServer().listen(s, () => { require('fs').chmodSync(s, 0o600); console.log('up'); })`], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise((resolve) => child.stdout.once('data', resolve));
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('close', resolve));
    assert.ok((await lstat(place.socket)).isSocket(), 'the killed app left its socket');
    const rt = await SnapctlRuntime.start({ home, env: env() });
    try {
      const replaced = await startAppSocket({ context: { runtime: rt, host: 'headless' }, env: env() });
      assert.ok(replaced, 'the stale socket was replaced');
      await replaced.close();
      await assert.rejects(lstat(place.socket), /ENOENT/, 'removed on a clean stop');
    } finally {
      await rt.stop();
    }
  });

  test('a link, a file or another user\'s socket at its path is neither served, replaced, nor used by the CLI', async () => {
    const home = path.join(box.root, 'planted-home');
    await mkdir(home);
    const place = await appSocketPlace(env(), home);
    const cli = { SNAPCTL_HOME: home };
    const rt = await SnapctlRuntime.start({ home, env: env() });
    try {
      // A live socket elsewhere, reached by a link put at the app's path.
      const decoy = path.join(box.root, 'decoy.sock');
      const heard: string[] = [];
      const server = createServer((c) => { c.setEncoding('utf8'); c.on('data', (d: string) => heard.push(d)); });
      const closeLater = [server];
      await new Promise<void>((resolve) => server.listen(decoy, resolve));
      try {
        for (const plant of ['link', 'file', 'foreign'] as const) {
          if (plant === 'link') await symlink(decoy, place.socket);
          if (plant === 'file') await writeFile(place.socket, '');
          if (plant === 'foreign') {
            // A socket of another user's (made here, then given away: root may).
            const s = createServer();
            await new Promise<void>((resolve) => s.listen(place.socket, resolve));
            closeLater.push(s);
            await chown(place.socket, 65534, 65534);
            await chmod(place.socket, 0o600);
          }
          const said: string[] = [];
          assert.equal(await startAppSocket({ context: { runtime: rt, host: 'headless' }, env: env(), onProblem: (m) => said.push(m) }), null, plant);
          assert.match(said[0] ?? '', plant === 'link' ? /is a symbolic link/ : plant === 'file' ? /is not a socket/ : /belongs to another user/);
          const status = JSON.parse((await runCli(['status', '--json'], cli)).stdout) as { app: { answering: boolean; why: string } };
          assert.equal(status.app.answering, false, plant);
          const created = await runCli(['create', '--path', box.project], cli);
          assert.equal(created.code, 0, created.stderr);
          assert.ok((await lstat(place.socket)).isSymbolicLink() === (plant === 'link'), 'left where it was');
          await unlink(place.socket);
        }
        assert.deepEqual(heard, [], 'the CLI never wrote to what the link leads to');
      } finally {
        for (const s of closeLater) s.close();
      }
    } finally {
      await rt.stop();
    }
  });

  test('another user cannot connect: the folder keeps them out, and so does the socket\'s own mode', async () => {
    const tryAsNobody = (socket: string): Promise<string> => new Promise((resolve) => {
      // Connected and then dropped (a write after the app closed it fails with EPIPE) is "closed without a word".
      const code = `const c = require('net').createConnection(${JSON.stringify(socket)}); let said = ''; let up = false;
        c.on('connect', () => { up = true; c.write(${JSON.stringify(line(hello))}); }).on('data', (d) => { said += d; })
          .on('close', () => { console.log(said ? 'answered' : 'closed without a word'); process.exit(0); })
          .on('error', (e) => { console.log(up ? (said ? 'answered' : 'closed without a word') : e.code); process.exit(0); });`;
      const child = spawn(process.execPath, ['-e', code], { uid: 65534, gid: 65534, stdio: ['ignore', 'pipe', 'inherit'], cwd: '/' });
      let out = '';
      child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
      child.on('close', () => resolve(out.trim()));
    });
    assert.equal(await tryAsNobody(app.path), 'EACCES');
    // With the folder opened up (as a careless admin might), the socket's 0600 still refuses them.
    // Every folder down to the socket made enterable by nobody, so the socket's own mode is what refuses.
    const opened: [string, number][] = [];
    try {
      for (let d = path.dirname(app.path); d !== '/'; d = path.dirname(d)) {
        const mode = (await stat(d)).mode & 0o7777;
        if ((mode & 0o001) === 0) { opened.push([d, mode]); await chmod(d, mode | 0o001); }
      }
      assert.equal(await tryAsNobody(app.path), 'EACCES');
      // And with the socket opened up too, the app asks the kernel who connected and lets no one else in.
      await chmod(app.path, 0o666);
      assert.equal(await tryAsNobody(app.path), 'closed without a word');
    } finally {
      await chmod(app.path, 0o600);
      for (const [d, mode] of opened) await chmod(d, mode);
    }
  });
});
