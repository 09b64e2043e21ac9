import assert from 'node:assert/strict';
import { request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startServer, type HeadlessServer } from '../../src/api/http-server.js';
import { POPOVER_DIR } from '../../src/cli/serve.js';
import { SnapctlRuntime } from '../../src/core/runtime/runtime.js';
import { sandbox } from '../helpers/helpers.js';

interface Reply { status: number; headers: Record<string, string | string[] | undefined>; body: string }

/** A raw HTTP request, so Host and Origin can be anything a hostile page or rebinding DNS would send. */
function send(port: number, options: { method?: string; path?: string; headers?: Record<string, string>; body?: string }): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method: options.method ?? 'GET', path: options.path ?? '/', headers: options.headers ?? {} }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => { body += d.toString(); });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    if (options.body !== undefined) req.write(options.body);
    req.end();
  });
}

describe('headless server (snapctl serve)', () => {
  let box: Awaited<ReturnType<typeof sandbox>>;
  let runtime: SnapctlRuntime;
  let server: HeadlessServer;
  let host: string;
  let origin: string;
  const api = (body: unknown, headers: Record<string, string> = {}): Promise<Reply> =>
    send(server.port, { method: 'POST', path: '/api/call', body: JSON.stringify(body), headers: { Host: host, 'Content-Type': 'application/json', Authorization: `Bearer ${server.token}`, ...headers } });

  before(async () => {
    box = await sandbox();
    await writeFile(path.join(box.project, 'a.txt'), 'one\n');
    runtime = await SnapctlRuntime.start({ home: box.home, env: {} });
    await runtime.updateSettings({ ...runtime.currentSettings(), targets: [{ path: box.project }], statsd: { enabled: false, host: '127.0.0.1', port: 8125, socket: null } });
    server = await startServer({ context: { runtime, host: 'headless' }, staticDir: POPOVER_DIR, port: 0 });
    host = `127.0.0.1:${server.port}`;
    origin = `http://${host}`;
  });
  after(async () => {
    await server.close();
    await runtime.stop();
    await box.cleanup();
  });

  test('listens on loopback only and the printed URL carries a long random token', () => {
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
    assert.ok(server.token.length >= 40, 'at least 256 bits of token');
    assert.ok(server.loginUrl.endsWith(`?token=${server.token}`));
  });

  test('requests without the token, or with a wrong one, are refused', async () => {
    assert.equal((await send(server.port, { headers: { Host: host } })).status, 401);
    assert.equal((await send(server.port, { path: '/app.js', headers: { Host: host } })).status, 401);
    assert.equal((await send(server.port, { path: `/?token=${'x'.repeat(server.token.length)}`, headers: { Host: host } })).status, 401);
    const wrongBearer = await api({ method: 'list', params: {} }, { Authorization: 'Bearer nope' });
    assert.equal(wrongBearer.status, 401);
    assert.equal((await send(server.port, { headers: { Host: host, Cookie: 'snapctl_token=nope' } })).status, 401);
  });

  test('the login URL moves the token into an HttpOnly SameSite cookie and then serves the popover with a strict CSP', async () => {
    const login = await send(server.port, { path: `/?token=${server.token}`, headers: { Host: host } });
    assert.equal(login.status, 303);
    const cookie = String(login.headers['set-cookie']);
    assert.match(cookie, /HttpOnly/);
    assert.match(cookie, /SameSite=Strict/);
    const page = await send(server.port, { headers: { Host: host, Cookie: cookie.split(';')[0] ?? '' } });
    assert.equal(page.status, 200);
    assert.match(page.body, /<div id="root">/);
    assert.match(String(page.headers['content-security-policy']), /default-src 'none'; script-src 'self'/);
    assert.equal(page.headers['x-frame-options'], 'DENY');
    assert.equal(page.body, await readFile(path.join(POPOVER_DIR, 'index.html'), 'utf8'));
  });

  test('a wrong Host (DNS rebinding) or a foreign Origin (CSRF) is refused even with the token', async () => {
    assert.equal((await api({ method: 'list', params: {} }, { Host: `evil.example:${server.port}` })).status, 421);
    assert.equal((await api({ method: 'list', params: {} }, { Origin: 'http://evil.example' })).status, 403);
    assert.equal((await api({ method: 'list', params: {} }, { Origin: `http://127.0.0.1:${server.port + 1}` })).status, 403);
    const cookieNoOrigin = await send(server.port, { method: 'POST', path: '/api/call', body: '{"method":"list","params":{}}', headers: { Host: host, 'Content-Type': 'application/json', Cookie: `snapctl_token=${server.token}` } });
    assert.equal(cookieNoOrigin.status, 403, 'a cookie-authenticated call must prove it comes from the page');
    const fromPage = await send(server.port, { method: 'POST', path: '/api/call', body: '{"method":"list","params":{}}', headers: { Host: host, Origin: origin, 'Content-Type': 'application/json', Cookie: `snapctl_token=${server.token}` } });
    assert.equal(fromPage.status, 200);
  });

  test('every request is validated against the API contract; bad ids, paths and types never reach the core', async () => {
    const before = await readFile(path.join(box.project, 'a.txt'), 'utf8');
    const cases: unknown[] = [
      { method: 'rollback', params: { id: '../../etc/passwd' } },
      { method: 'rollback', params: { id: '20261124-215500-a1b2c3\0' } },
      { method: 'diff', params: { id: '20261124-215500-a1b2c3', paths: ['../outside'] } },
      { method: 'diff', params: { id: '20261124-215500-a1b2c3', paths: ['/etc/passwd'] } },
      { method: 'delete', params: { id: 42 } },
      { method: 'create', params: { target: 'relative/path' } },
      { method: 'create', params: { tag: 'x'.repeat(100_000) } },
      { method: 'create', params: { extra: true } },
      { method: '__proto__', params: {} },
      { method: 'constructor', params: {} },
      { params: {} },
      'not an object',
      null,
    ];
    for (const body of cases) {
      const r = await api(body);
      assert.equal(r.status, 400, `${JSON.stringify(body).slice(0, 80)} → ${r.status} ${r.body}`);
      const parsed = JSON.parse(r.body) as { ok: boolean; kind: string; error: string };
      assert.equal(parsed.ok, false);
      assert.equal(parsed.kind, 'usage');
      assert.ok(parsed.error.length > 0);
    }
    assert.equal((await send(server.port, { method: 'POST', path: '/api/call', body: '{not json', headers: { Host: host, 'Content-Type': 'application/json', Authorization: `Bearer ${server.token}` } })).status, 400);
    assert.equal((await send(server.port, { method: 'POST', path: '/api/call', body: 'x'.repeat(2 * 1024 * 1024), headers: { Host: host, 'Content-Type': 'application/json', Authorization: `Bearer ${server.token}` } })).status, 413);
    assert.equal((await api({ method: 'list', params: {} }, { 'Content-Type': 'text/plain' })).status, 415);
    assert.equal(await readFile(path.join(box.project, 'a.txt'), 'utf8'), before);
    assert.equal(JSON.parse((await api({ method: 'list', params: {} })).body).value.snapshots.length, 0, 'no request created anything');
  });

  test('the API takes a snapshot, diffs, rolls back and undoes', async () => {
    const created = JSON.parse((await api({ method: 'create', params: { tag: 'via http' } })).body) as { ok: true; value: { id: string; tag: string } };
    assert.equal(created.value.tag, 'via http');
    await writeFile(path.join(box.project, 'a.txt'), 'two\n');
    const diff = JSON.parse((await api({ method: 'diff', params: { id: created.value.id } })).body) as { value: { modified: string[] } };
    assert.deepEqual(diff.value.modified, ['a.txt']);
    const rolled = JSON.parse((await api({ method: 'rollback', params: { id: created.value.id } })).body) as { ok: boolean; value: { safety: { trigger: string } } };
    assert.equal(rolled.ok, true);
    assert.equal(rolled.value.safety.trigger, 'safety');
    assert.equal(await readFile(path.join(box.project, 'a.txt'), 'utf8'), 'one\n');
    assert.equal(JSON.parse((await api({ method: 'undo', params: {} })).body).ok, true);
    assert.equal(await readFile(path.join(box.project, 'a.txt'), 'utf8'), 'two\n');
  });

  test('1,000 requests in a burst, good and bad mixed, are each served or refused and the server stays up', async () => {
    const kinds = [
      () => api({ method: 'status', params: {} }),
      () => api({ method: 'rollback', params: { id: '../x' } }),
      () => send(server.port, { headers: { Host: host } }),
      () => api({ method: 'list', params: {} }, { Host: 'evil:1' }),
    ];
    const expected = [200, 400, 401, 421];
    const started = Date.now();
    const results = await Promise.all(Array.from({ length: 1000 }, (_, i) => kinds[i % 4]!().then((r) => r.status, (e: Error) => e.message)));
    const wrong = results.filter((status, i) => status !== expected[i % 4]);
    assert.deepEqual(wrong, [], `unexpected answers (${wrong.length}): ${wrong.slice(0, 5).join(', ')}`);
    console.log(`# burst: 1000 requests answered correctly in ${Date.now() - started} ms`);
    assert.equal((await api({ method: 'status', params: {} })).status, 200);
  });

  test('a body over 1 MB gets a 413 JSON answer saying the request is too large, not a reset connection', async () => {
    const big = JSON.stringify({ method: 'status', params: { pad: 'x'.repeat(2 * 1024 * 1024) } });
    const r = await send(server.port, { method: 'POST', path: '/api/call', body: big, headers: { Host: host, 'Content-Type': 'application/json', Authorization: `Bearer ${server.token}` } });
    assert.equal(r.status, 413);
    const value = JSON.parse(r.body) as { ok: boolean; error: string };
    assert.equal(value.ok, false);
    assert.match(value.error, /^request too large/);
    assert.equal((await api({ method: 'status', params: {} })).status, 200, 'the server still answers');
  });
});

describe('connections the headless server closes', () => {
  let box: Awaited<ReturnType<typeof sandbox>>;
  let runtime: SnapctlRuntime;
  before(async () => {
    box = await sandbox();
    runtime = await SnapctlRuntime.start({ home: box.home, env: {} });
  });
  after(async () => {
    await runtime.stop();
    await box.cleanup();
  });

  /** A raw connection that reads what it is sent, and says when the server closed it. */
  const connection = (port: number): { socket: Socket; closed: Promise<string> } => {
    const socket = connect(port, '127.0.0.1');
    let got = '';
    socket.on('data', (d: Buffer) => { got += d.toString(); });
    return { socket, closed: new Promise((resolve) => socket.on('close', () => resolve(got))) };
  };

  test('an idle keep-alive connection, and one that never sends a request, are closed by the server', async () => {
    const server = await startServer({ context: { runtime, host: 'headless' }, staticDir: POPOVER_DIR, port: 0, timeouts: { keepAliveMs: 200, headersMs: 300, checkEveryMs: 100 } });
    try {
      const idle = connection(server.port);
      idle.socket.write(`GET /app.css HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nAuthorization: Bearer ${server.token}\r\n\r\n`);
      const silent = connection(server.port);
      assert.match(await idle.closed, /^HTTP\/1\.1 200 OK/, 'answered, then closed once idle');
      await silent.closed;
      assert.equal(silent.socket.bytesWritten, 0);
    } finally {
      await server.close();
    }
  });

  test('closing the server ends its idle connections at once, whatever their time left', async () => {
    const server = await startServer({ context: { runtime, host: 'headless' }, staticDir: POPOVER_DIR, port: 0, timeouts: { keepAliveMs: 3_600_000, headersMs: 3_600_000, requestMs: 3_600_000 } });
    const idle = connection(server.port);
    idle.socket.write(`GET /app.css HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nAuthorization: Bearer ${server.token}\r\n\r\n`);
    const silent = connection(server.port);
    await new Promise((resolve) => idle.socket.once('data', resolve));
    await server.close();
    await Promise.all([idle.closed, silent.closed]);
  });
});
