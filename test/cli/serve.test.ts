import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { cliPath, parseJson, runCli, sandbox } from '../helpers/helpers.js';

type Answer = { ok: true; value: unknown } | { ok: false; error: string };

/** Every line different on each side: jsdiff's diff of the two costs it many seconds (the old serve: a minute). */
function bigText(word: string, lines = 6_000): string {
  return Array.from({ length: lines }, (_, i) => `${word} line ${i} ${word.repeat(16)}`).join('\n') + '\n';
}

/** CPU seconds the process has used (every thread), from /proc. */
async function cpuSeconds(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const d of await readdir(dir, { withFileTypes: true, recursive: true })) if (d.isFile()) out.push(path.join(d.parentPath, d.name));
  return out;
}

describe('snapctl serve', () => {
  let box: Awaited<ReturnType<typeof sandbox>>;
  let env: Record<string, string>;
  let serve: ChildProcessWithoutNullStreams;
  let server: { port: number; token: string };
  let stderr = '';
  const api = async (method: string, params: unknown): Promise<Answer> => {
    const res = await fetch(`http://127.0.0.1:${server.port}/api/call`, {
      method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${server.token}` }, body: JSON.stringify({ method, params }),
    });
    return (await res.json()) as Answer;
  };

  before(async () => {
    box = await sandbox();
    env = { SNAPCTL_HOME: box.home };
    await writeFile(path.join(box.project, 'big.txt'), bigText('then'));
    serve = spawn(process.execPath, [cliPath, 'serve', '--path', box.project, '--json'], { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    serve.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    server = parseJson(await new Promise<string>((resolve, reject) => {
      serve.stdout.once('data', (d: Buffer) => resolve(d.toString()));
      serve.once('exit', () => reject(new Error(`serve exited: ${stderr}`)));
    }));
  });
  after(async () => {
    if (serve.exitCode === null && serve.signalCode === null) serve.kill('SIGKILL');
    await box.cleanup();
  });

  test('a long query runs beside the others: a cheap request is answered while it computes, and SIGTERM stops serve in the middle of it', async () => {
    const created = await api('create', { target: box.project });
    assert.ok(created.ok, JSON.stringify(created));
    const id = (created.value as { id: string }).id;
    await writeFile(path.join(box.project, 'big.txt'), bigText('now'));

    const before = await cpuSeconds(serve.pid as number);
    let heavyDone = false;
    const heavy = api('fileDiff', { id, path: 'big.txt' }).then(
      (a) => { heavyDone = true; return a; },
      (err: unknown) => { heavyDone = true; return { ok: false, error: String(err) } as Answer; },
    );
    // The diff is computing once serve has spent a second of CPU on it.
    for (let i = 0; i < 2_400 && (await cpuSeconds(serve.pid as number)) - before < 1; i++) await new Promise((r) => setTimeout(r, 50));
    assert.equal(heavyDone, false, 'the diff is still computing');

    const status = await api('status', {});
    assert.ok(status.ok, JSON.stringify(status));
    assert.equal(heavyDone, false, 'the cheap request was answered while the long one still computed');

    const exited = new Promise<number | null>((resolve) => serve.once('exit', (code) => resolve(code)));
    serve.kill('SIGTERM');
    assert.equal(await exited, 0, stderr);
    const answer = await heavy;
    assert.ok(!answer.ok, 'serve stopped before the diff was finished: it never answered it');
    assert.match(stderr, /SIGTERM: stopping/);

    // Nothing half-written: the store reads whole and every snapshot verifies, and no temporary file is left.
    const list = await runCli(['list', '--json'], env);
    assert.equal(list.code, 0, list.stderr);
    assert.equal(list.stderr, '');
    assert.deepEqual(parseJson<{ id: string }[]>(list.stdout).map((r) => r.id), [id]);
    const verify = await runCli(['verify'], env);
    assert.equal(verify.code, 0, verify.stdout + verify.stderr);
    assert.deepEqual((await filesUnder(box.home)).filter((f) => /\.snapctl-|\.tmp$|\.\d+$/.test(path.basename(f))), []);
  });
});
