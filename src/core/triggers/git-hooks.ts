import { chmod, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { commandLine, shellQuote, type CliCommand } from './cli-command.js';
import { SnapctlError, nullIfMissing } from '../base/errors.js';
import { type ToolRunner } from '../providers/tools.js';
import { toTag } from '../../shared/model.js';

/** The hooks snapctl installs: a snapshot after each commit, and before a rebase or a merge rewrites files. */
export const HOOKS = ['post-commit', 'pre-rebase', 'pre-merge-commit'] as const;
export type HookName = (typeof HOOKS)[number];

const MARKER = '# snapctl hook: managed by `snapctl hook install`; `snapctl hook uninstall` restores what was here';
export const ORIGINAL_SUFFIX = '.snapctl-orig';

/**
 * The hook script. It runs the hook that was there before (chained, with its arguments and exit code, so a
 * failing pre-rebase hook still stops the rebase), then asks snapctl for a snapshot. The snapshot can never
 * block git: its failure is ignored, and after a commit it runs in the background so `git commit` returns at
 * once. Before a rebase or merge it runs first, since those change the files.
 */
export function hookScript(hook: HookName, command: CliCommand, target: string): string {
  const snap = `${commandLine(command)} hook run ${hook} --path ${shellQuote(target)}`;
  const original = `"$(dirname "$0")/${hook}${ORIGINAL_SUFFIX}"`;
  const lines = ['#!/bin/sh', MARKER, `if [ -x ${original} ]; then ${original} "$@" || exit $?; fi`];
  if (hook === 'post-commit') lines.push(`(${snap} >/dev/null 2>&1 &) || true`);
  else lines.push(`${snap} >/dev/null 2>&1 || true`);
  lines.push('exit 0', '');
  return lines.join('\n');
}

export function isOurHook(text: string): boolean {
  return text.includes(MARKER);
}

export interface HookChange { hook: HookName; file: string; action: 'installed' | 'chained' | 'updated' | 'removed' | 'restored' | 'absent' }

/** The folder git runs hooks from (core.hooksPath, worktrees and submodules included), and the work tree. */
export async function gitPaths(repo: string, tools: ToolRunner): Promise<{ hooksDir: string; top: string }> {
  const r = await tools.run('git', ['-C', repo, 'rev-parse', '--path-format=absolute', '--git-path', 'hooks', '--show-toplevel']);
  if (r.exitCode !== 0) throw new SnapctlError('usage', `${repo} is not in a git work tree`, 'pass --repo with the folder of a git repository');
  const [hooksDir, top] = r.stdout.trim().split('\n');
  if (!hooksDir || !top) throw new SnapctlError('failed', `git rev-parse answered unexpectedly: ${JSON.stringify(r.stdout)}`);
  return { hooksDir, top };
}

export async function installHooks(hooksDir: string, command: CliCommand, target: string): Promise<HookChange[]> {
  const changes: HookChange[] = [];
  for (const hook of HOOKS) {
    const file = path.join(hooksDir, hook);
    const existing = await readText(file);
    let action: HookChange['action'] = 'installed';
    if (existing !== null && isOurHook(existing)) action = 'updated';
    else if (existing !== null) {
      if ((await readText(file + ORIGINAL_SUFFIX)) !== null) {
        throw new SnapctlError('failed', `${file + ORIGINAL_SUFFIX} already exists`, 'move it aside; snapctl keeps the hook it replaces there');
      }
      await rename(file, file + ORIGINAL_SUFFIX);
      action = 'chained';
    }
    await writeFile(file, hookScript(hook, command, target));
    await chmod(file, 0o755);
    changes.push({ hook, file, action });
  }
  return changes;
}

export async function uninstallHooks(hooksDir: string): Promise<HookChange[]> {
  const changes: HookChange[] = [];
  for (const hook of HOOKS) {
    const file = path.join(hooksDir, hook);
    const existing = await readText(file);
    if (existing === null || !isOurHook(existing)) { changes.push({ hook, file, action: 'absent' }); continue; }
    if ((await readText(file + ORIGINAL_SUFFIX)) !== null) {
      await rename(file + ORIGINAL_SUFFIX, file);
      changes.push({ hook, file, action: 'restored' });
    } else {
      await rm(file);
      changes.push({ hook, file, action: 'removed' });
    }
  }
  return changes;
}

/** A snapshot tag for a commit: short hash and subject, without the control characters a tag may not hold. */
export async function commitTag(repo: string, tools: ToolRunner): Promise<string> {
  const r = await tools.check('git', ['-C', repo, 'log', '-1', '--format=%h %s']);
  return toTag(r.stdout.trim());
}

async function readText(file: string): Promise<string | null> {
  const st = await stat(file).catch(nullIfMissing);
  return st?.isFile() ? readFile(file, 'utf8').catch(nullIfMissing) : null;
}
