import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { cliPath, parseJson, sandbox } from '../helpers/helpers.js';

/** `snapctl ARGS` as on a machine where `hidden` (a native module) has no build: requiring it fails. */
function runWithout(hidden: string, args: string[], home: string, root: string): Promise<{ code: number | null; stdout: string }> {
  const hook = path.join(root, 'no-binding.cjs');
  return writeFile(hook, `const Module = require('node:module');
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  if (request === ${JSON.stringify(hidden)}) throw Object.assign(new Error('Cannot find native binding.'), { code: 'MODULE_NOT_FOUND' });
  return resolve.call(this, request, ...rest);
};\n`).then(() => new Promise((resolve) => {
    const child = spawn(process.execPath, ['--require', hook, cliPath, ...args], { env: { ...process.env, SNAPCTL_HOME: home }, stdio: ['ignore', 'pipe', 'ignore'] });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.on('exit', (code) => resolve({ code, stdout }));
  }));
}

describe('a native module missing for this machine', () => {
  let box: Awaited<ReturnType<typeof sandbox>>;
  before(async () => { box = await sandbox(); });
  after(() => box.cleanup());

  test('info says extended attributes are not kept, and why, instead of dropping them in silence', async () => {
    const text = await runWithout('@napi-rs/xattr', ['info', '--path', box.project], box.home, box.root);
    assert.equal(text.code, 0);
    assert.match(text.stdout, /^note: extended attributes \(ACLs, Finder tags, quarantine flags, resource forks\) are not kept here: @napi-rs\/xattr has no build for \S+ installed \(Cannot find native binding\.\); reinstall snapctl$/m);
    const json = parseJson<{ notes: string[] }>((await runWithout('@napi-rs/xattr', ['info', '--path', box.project, '--json'], box.home, box.root)).stdout);
    assert.equal(json.notes.length, 1);
    const normal = await runWithout('nothing-hidden', ['info', '--path', box.project, '--json'], box.home, box.root);
    assert.deepEqual(parseJson<{ notes: string[] }>(normal.stdout).notes, []);
  });
});
