import assert from 'node:assert/strict';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { installLayout } from '../../src/core/base/install.js';
import { appSocketPlace } from '../../src/core/state/app-socket.js';
import { APP_SOCKET_PROTOCOL } from '../../src/shared/app-socket.js';
import { parseJson, runCli, sandbox, type Sandbox } from '../helpers/helpers.js';

/**
 * An app that greets the CLI, then goes away (closes the connection) at the first call, or answers it with
 * `answer`: what a tray app quitting or crashing mid-call looks like to the command.
 */
async function fakeApp(home: string, answer: ((call: { id: number; method: string }) => unknown) | null): Promise<{ server: Server; calls: string[] }> {
  const place = await appSocketPlace(process.env, home);
  const calls: string[] = [];
  const server = createServer((c) => {
    let buffer = '';
    c.setEncoding('utf8');
    c.on('data', (chunk: string) => {
      buffer += chunk;
      for (let nl = buffer.indexOf('\n'); nl >= 0; nl = buffer.indexOf('\n')) {
        const request = JSON.parse(buffer.slice(0, nl)) as { id: number; method: string };
        buffer = buffer.slice(nl + 1);
        if (request.method === 'hello') {
          c.write(`${JSON.stringify({ id: request.id, ok: true, value: { home: place.home, version: installLayout().version, protocol: APP_SOCKET_PROTOCOL, pid: 1 }, notices: [] })}\n`);
          continue;
        }
        calls.push(request.method);
        if (answer === null) c.destroy();
        else c.write(`${JSON.stringify(answer(request))}\n`);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(place.socket, resolve));
  await chmod(place.socket, 0o600);
  return { server, calls };
}

describe('the CLI when the app goes away or answers oddly', () => {
  let box: Sandbox;
  let env: Record<string, string>;
  let first: string;
  before(async () => {
    box = await sandbox();
    env = { SNAPCTL_HOME: box.home };
    await mkdir(box.home, { recursive: true });
    await writeFile(path.join(box.project, 'a.txt'), 'one\n');
    const made = await runCli(['create', '--path', box.project, '--json'], env);
    assert.equal(made.code, 0, made.stderr);
    first = parseJson<{ id: string }>(made.stdout).id;
    await writeFile(path.join(box.project, 'a.txt'), 'two\n');
  });
  after(() => box.cleanup());

  test('a snapshot the app dropped is taken by the command itself; a rollback it dropped is not run twice, and says what to look at', async () => {
    const { server, calls } = await fakeApp(box.home, null);
    try {
      const made = await runCli(['create', '--path', box.project, '--tag', 'here'], env);
      assert.equal(made.code, 0, made.stderr);
      assert.match(made.stdout, /^created \S+: 1 file/);
      const back = await runCli(['rollback', first, '--yes'], env);
      assert.equal(back.code, 1);
      assert.equal(back.stderr, `snapctl: the snapctl app stopped during the rollback, before it said how it ended ('snapctl status --path ${box.project}' says whether it finished and what to run)\n`);
      assert.deepEqual(calls, ['create', 'rollback']);
    } finally {
      server.close();
    }
    assert.equal(await readFile(path.join(box.project, 'a.txt'), 'utf8'), 'two\n', 'the command did not roll back itself');
  });

  test('the core\'s error comes back as the error the command would throw: kind, words, hint and exit code', async () => {
    const { server } = await fakeApp(box.home, (call) => ({ id: call.id, ok: false, error: { kind: 'usage', message: 'made up by the app', hint: 'do this', snapctl: true }, notices: ['mended something'] }));
    try {
      const made = await runCli(['create', '--path', box.project], env);
      assert.equal(made.code, 2);
      assert.equal(made.stderr, 'snapctl: mended something\nsnapctl: made up by the app (do this)\n');
    } finally {
      server.close();
    }
    const { server: s2 } = await fakeApp(box.home, (call) => ({ id: call.id, ok: false, error: { kind: 'failed', message: 'no room', code: 'ENOSPC', snapctl: false }, notices: [] }));
    try {
      const made = await runCli(['create', '--path', box.project], env);
      assert.equal(made.code, 1);
      assert.match(made.stderr, /^snapctl: no room \(the disk is full: free some space/);
    } finally {
      s2.close();
    }
  });
});
