import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parseJson, runCli, sandbox } from '../helpers/helpers.js';

const gitEnv = { GIT_AUTHOR_NAME: 'Dev', GIT_AUTHOR_EMAIL: 'dev@example.com', GIT_COMMITTER_NAME: 'Dev', GIT_COMMITTER_EMAIL: 'dev@example.com', GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' };

describe('names on the command line', () => {
  let box: Awaited<ReturnType<typeof sandbox>>;
  let env: Record<string, string>;
  let folder: string;
  /** A folder, a file and a tag whose names would start a new line and turn the rest of it around. */
  const folderName = 'ev\nil\u202Eexe';
  const fileName = 'a\n\u202Eb.txt';
  const tag = 'release\u202Egnp.exe';
  let shownFolder: string;

  /** Runs a command and checks every line it printed: no raw newline or U+202E from a name reaches the terminal. */
  const run = async (args: string[], expectCode = 0): Promise<string> => {
    const r = await runCli(args, env, { cwd: box.root });
    assert.equal(r.code, expectCode, `${args.join(' ')}: ${r.stderr}`);
    const out = r.stdout + r.stderr;
    assert.ok(!out.includes('\u202E'), `${args[0]} printed U+202E raw: ${JSON.stringify(out)}`);
    assert.ok(!out.includes('ev\nil') && !out.includes('a\n\u202E'), `${args[0]} printed a name's newline raw: ${JSON.stringify(out)}`);
    return out;
  };

  before(async () => {
    box = await sandbox();
    env = { ...gitEnv, SNAPCTL_HOME: box.home };
    folder = path.join(box.root, folderName);
    await mkdir(folder);
    await writeFile(path.join(folder, fileName), 'one\n');
    shownFolder = path.join(box.root, 'ev\\nil\\u202eexe');
  });
  after(() => box.cleanup());

  test('every line that names a folder, a file or a tag shows it escaped, whichever command prints it', async () => {
    const created = await run(['create', '--path', folder, '--tag', tag]);
    assert.ok(created.includes(shownFolder), created);
    const [snap] = parseJson<{ id: string }[]>((await runCli(['list', '--json'], env)).stdout);
    assert.ok(snap);
    assert.match(await run(['list']), /release\\u202egnp\.exe/);
    assert.ok((await run(['info', '--path', folder])).includes(`${shownFolder}: clone`));
    assert.ok((await run(['status', '--path', folder])).startsWith(`${shownFolder}\n`));

    await writeFile(path.join(folder, fileName), 'two\n');
    assert.match(await run(['diff', snap.id]), /^M a\\n\\u202eb\.txt$/m);
    const rolled = await run(['rollback', snap.id, '--yes']);
    assert.ok(rolled.includes(`rolled back ${shownFolder} to 'release\\u202egnp.exe`), rolled);
    assert.ok((await run(['undo', '--yes', '--path', folder])).includes(`undone in ${shownFolder}: `));
    assert.match(await run(['history', path.join(folder, fileName)]), /^a\\n\\u202eb\.txt in .*ev\\nil\\u202eexe: 2 versions/m);
    assert.match(await run(['find', '*.txt', '--path', folder]), /a\\n\\u202eb\.txt/);
    assert.ok((await run(['find', 'none*', '--path', folder])).includes(`in the snapshots of ${shownFolder}`));
    assert.match(await run(['restore', snap.id, path.join(folder, fileName)]), /^restored a\\n\\u202eb\.txt from 'release\\u202egnp\.exe/m);
    await run(['restore', snap.id, path.join(folder, fileName), '--to', path.join(folder, `copy${fileName}`)]);
    await run(['verify']);
    assert.ok((await run(['recover', '--path', folder])).includes(`no interrupted rollback of ${shownFolder}`));
    assert.ok((await run(['prune', '--dry-run'])).includes(`${shownFolder}: keep`));
    await run(['run', '--path', folder, '--', process.execPath, '-e', '']);

    execFileSync('git', ['init', '-q', '-b', 'main', folder], { env: { ...process.env, ...gitEnv } });
    assert.ok((await run(['hook', 'install', '--repo', folder])).includes(`commits in ${shownFolder} now snapshot ${shownFolder}`));
    assert.ok((await run(['hook', 'uninstall', '--repo', folder])).includes(`commits in ${shownFolder} no longer take snapshots`));
    const [newest] = parseJson<{ id: string }[]>((await runCli(['list', '--json'], env)).stdout);
    await run(['delete', newest?.id ?? '', '--yes']);
  });
});
