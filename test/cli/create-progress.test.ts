import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, test } from 'node:test';
import { run, type CliIo } from '../../src/cli/main.js';
import { cliSandbox, repoRoot } from '../helpers/helpers.js';

describe('snapctl create on a terminal', () => {
  const sb = cliSandbox();
  const create = async (stderrIsTerminal: boolean, args: string[] = []): Promise<{ out: string; err: string }> => {
    let out = '';
    let err = '';
    const io: CliIo = {
      stdout: (t) => { out += t; }, stderr: (t) => { err += t; }, isInteractive: false, stdoutIsTerminal: stderrIsTerminal, stderrIsTerminal,
      confirm: async () => false, cwd: repoRoot, env: { ...process.env, ...sb.env }, stopSignal: () => new Promise(() => undefined),
    };
    assert.equal(await run(['create', '--path', sb.box.project, ...args], io), 0, err);
    return { out, err };
  };

  test('shows how far it has got on one line rewritten in place, then clears it; a pipe or --json gets none of it', async () => {
    for (let i = 0; i < 3; i++) await writeFile(path.join(sb.box.project, `f${i}.txt`), 'x'.repeat(1000 * (i + 1)));
    const shown = await create(true);
    const lines = shown.err.split('\r\x1b[2K').filter(Boolean);
    assert.equal(lines[0], 'snapctl: reading the folder: 0 paths so far');
    assert.ok(lines.includes('snapctl: 3 of 3 files · 6.0 kB of 6.0 kB'), JSON.stringify(lines));
    assert.ok(shown.err.endsWith('\r\x1b[2K'), 'the line is cleared before the result is printed');
    assert.match(shown.out, /^created \S+: 3 files, 6\.0 kB/);
    assert.equal((await create(false)).err, '');
    assert.equal((await create(true, ['--json'])).err, '');
  });
});
