import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { hostname } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parseJson, runCli, sandbox } from '../../helpers/helpers.js';
import { collector } from '../../helpers/statsd-listener.js';

/**
 * A Unix datagram listener that is not ours: Python's AF_UNIX SOCK_DGRAM socket (Node has none), printing
 * each datagram as one JSON string per line (python3 is in CI's apt line, .ci/run).
 */
const DGRAM_LISTENER = `
import json, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
print("ready", flush=True)
while True:
    print(json.dumps(s.recv(65536).decode()), flush=True)
`;

async function listenUnixgram(file: string): Promise<{ received: string[]; child: ChildProcess } & ReturnType<typeof collector>> {
  const child = spawn('python3', ['-u', '-c', DGRAM_LISTENER, file], { stdio: ['ignore', 'pipe', 'inherit'] });
  const received: string[] = [];
  let buffered = '';
  await new Promise<void>((resolve, reject) => {
    child.on('error', (err) => reject(new Error(`python3 is needed for the Unix datagram test: ${err.message}`)));
    child.stdout?.on('data', (d: Buffer) => {
      buffered += d.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        if (line === 'ready') resolve();
        else received.push(...parseJson<string>(line).split('\n').filter(Boolean));
      }
    });
  });
  return { received, child, ...collector(received) };
}

/** The agent's stream socket (`dogstatsd_stream_socket`): each payload after its length, 4 bytes little-endian. */
async function listenUnixStream(file: string): Promise<{ received: string[]; server: Server } & ReturnType<typeof collector>> {
  const received: string[] = [];
  const server = createServer((conn) => {
    let pending = Buffer.alloc(0);
    conn.on('data', (d: Buffer) => {
      pending = Buffer.concat([pending, d]);
      while (pending.length >= 4 && pending.length >= 4 + pending.readUInt32LE(0)) {
        const length = pending.readUInt32LE(0);
        received.push(...pending.subarray(4, 4 + length).toString().split('\n').filter(Boolean));
        pending = pending.subarray(4 + length);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(file, resolve));
  return { received, server, ...collector(received) };
}

describe('DogStatsD over Unix sockets', () => {
  let box: Awaited<ReturnType<typeof sandbox>>;
  const children: ChildProcess[] = [];
  const servers: Server[] = [];
  before(async () => {
    box = await sandbox();
    await writeFile(path.join(box.project, 'a.txt'), 'one\n');
  });
  after(async () => {
    for (const c of children) c.kill();
    for (const s of servers) s.close();
    await box.cleanup();
  });

  for (const form of ['bare path', 'unixgram://'] as const) {
    test(`a command's metrics reach a real Unix datagram socket (DD_DOGSTATSD_SOCKET as a ${form})`, async () => {
      const file = path.join(box.root, `dsd-${form === 'bare path' ? 'bare' : 'url'}.socket`);
      const agent = await listenUnixgram(file);
      children.push(agent.child);
      const home = path.join(box.root, `home-${children.length}`);
      const socket = form === 'bare path' ? file : `unixgram://${file}`;
      const r = await runCli(['create', '--path', box.project], { SNAPCTL_HOME: home, DD_DOGSTATSD_SOCKET: socket, DD_ENV: 'ci' });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(await agent.waitFor(/^snapctl\.snapshot\.created:/), `snapctl.snapshot.created:1|c|#host:${hostname()},env:ci,provider:clone,trigger:manual`);
      assert.match(await agent.waitFor(/^snapctl\.snapshot\.duration:/), /\|ms\|#host:/);
      assert.match(await agent.waitFor(/^_sc\|snapctl\.can_snapshot\|0\|/), /target:/);
      const health = parseJson<{ transport: string; destination: string; lastSentAt: string | null }>(await readFile(path.join(home, 'metrics-health.json'), 'utf8'));
      assert.equal(health.transport, 'uds');
      assert.equal(health.destination, file);
      assert.ok(health.lastSentAt);
    });
  }

  test("a command's metrics reach the agent's Unix stream socket (unix://), framed by length", async () => {
    const file = path.join(box.root, 'dsd-stream.socket');
    const agent = await listenUnixStream(file);
    servers.push(agent.server);
    const home = path.join(box.root, 'home-stream');
    const r = await runCli(['create', '--path', box.project, '--trigger', 'schedule'], { SNAPCTL_HOME: home, DD_DOGSTATSD_SOCKET: `unix://${file}` });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(await agent.waitFor(/^snapctl\.snapshot\.created:/), `snapctl.snapshot.created:1|c|#host:${hostname()},provider:clone,trigger:schedule`);
    assert.match(await agent.waitFor(/^_sc\|snapctl\.can_snapshot\|0\|/), /target:/);
    const health = parseJson<{ destination: string }>(await readFile(path.join(home, 'metrics-health.json'), 'utf8'));
    assert.equal(health.destination, `unix://${file}`);
  });

  test('a socket nobody listens on fails no command, and the error is recorded for status', async () => {
    for (const socket of [path.join(box.root, 'no-agent.socket'), `unix://${path.join(box.root, 'no-agent-stream.socket')}`]) {
      const home = path.join(box.root, `home-absent-${socket.length}`);
      const r = await runCli(['create', '--path', box.project], { SNAPCTL_HOME: home, DD_DOGSTATSD_SOCKET: socket });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stderr, '');
      const health = parseJson<{ lastError: string | null; lastSentAt: string | null; sendErrors: number }>(await readFile(path.join(home, 'metrics-health.json'), 'utf8'));
      assert.match(health.lastError ?? '', /^there is no socket at .*no-agent(-stream)?\.socket: check the path|not sent within/, socket);
      assert.equal(health.lastSentAt, null);
      assert.ok(health.sendErrors > 0);
    }
  });
});
