import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, test } from 'node:test';
import type { Command } from 'commander';
import { CliContext } from '../../src/cli/context.js';
import { createProgram } from '../../src/cli/main.js';
import { repoRoot } from '../helpers/helpers.js';

// docs/CLI.md is the reference a user reads instead of --help: what commander knows and what the page says
// must not drift apart, in either direction.

function program(): Command {
  return createProgram(new CliContext({
    stdout: () => undefined, stderr: () => undefined, isInteractive: false, stdoutIsTerminal: false, confirm: async () => false,
    cwd: repoRoot, env: {}, stopSignal: () => new Promise(() => undefined),
  }));
}

/** Each `### snapctl NAME` section of the page, by NAME. */
function sections(page: string): Map<string, string> {
  const found = new Map<string, string>();
  const parts = page.split(/^### snapctl /m).slice(1);
  for (const part of parts) {
    const name = /^\S+/.exec(part)?.[0] ?? '';
    found.set(name, part.split(/^## /m)[0] ?? '');
  }
  return found;
}

const visible = (cmd: Command): Command[] => cmd.commands.filter((c) => !(c as unknown as { _hidden?: boolean })._hidden && c.name() !== 'help');

/** The long flags of a command and of its visible subcommands. */
function flagsOf(cmd: Command): Set<string> {
  const flags = new Set<string>();
  for (const c of [cmd, ...visible(cmd)]) for (const o of c.options) if (o.long && !o.hidden) flags.add(o.long);
  return flags;
}

/** The flags a section lists as its own: the first backticked part of each `- ` line. */
function listedFlags(section: string): Set<string> {
  const flags = new Set<string>();
  for (const line of section.split('\n')) {
    const head = /^- `([^`]+)`/.exec(line)?.[1];
    if (head) for (const m of head.matchAll(/--[a-z][a-z-]*/g)) flags.add(m[0]);
  }
  return flags;
}

describe('docs/CLI.md and --help', () => {
  test('every command --help lists has a section naming each of its flags, and the page lists no flag it lacks', async () => {
    const page = sections(await readFile(path.join(repoRoot, 'docs', 'CLI.md'), 'utf8'));
    const commands = visible(program());
    assert.ok(commands.length >= 19, `commander lists ${commands.length} commands`);
    for (const cmd of commands) {
      const section = page.get(cmd.name());
      assert.ok(section !== undefined, `docs/CLI.md has no "### snapctl ${cmd.name()}" section`);
      for (const sub of visible(cmd)) assert.match(section, new RegExp(`\\b${sub.name()}\\b`), `snapctl ${cmd.name()} ${sub.name()} is not in its section`);
      const known = flagsOf(cmd);
      const listed = listedFlags(section);
      for (const flag of known) assert.ok(listed.has(flag), `snapctl ${cmd.name()} ${flag} is not documented in docs/CLI.md`);
      for (const flag of listed) assert.ok(known.has(flag), `docs/CLI.md documents snapctl ${cmd.name()} ${flag}, which --help does not list`);
    }
    for (const name of page.keys()) assert.ok(commands.some((c) => c.name() === name), `docs/CLI.md has a section for snapctl ${name}, which is no command`);
  });

  test('the README links every reference page and each link resolves', async () => {
    const readme = await readFile(path.join(repoRoot, 'README.md'), 'utf8');
    for (const page of ['CLI.md', 'APP.md', 'PROVIDERS.md', 'STORE.md', 'SPACE.md', 'SETTINGS.md', 'METRICS.md', 'RELIABILITY.md', 'ARCHITECTURE.md']) {
      assert.ok(readme.includes(`](docs/${page})`), `README.md does not link docs/${page}`);
    }
    for (const doc of ['README.md', ...['CLI', 'APP', 'PROVIDERS', 'STORE', 'SPACE', 'SETTINGS', 'METRICS'].map((p) => `docs/${p}.md`)]) {
      const text = await readFile(path.join(repoRoot, doc), 'utf8');
      for (const m of text.matchAll(/\]\(([^)#:]+)(#[^)]*)?\)|src="([^"]+)"/g)) {
        const target = m[1] ?? m[3];
        if (!target) continue;
        await readFile(path.join(repoRoot, path.dirname(doc), target)).catch(() => assert.fail(`${doc} links ${target}, which does not exist`));
      }
    }
  });
});
