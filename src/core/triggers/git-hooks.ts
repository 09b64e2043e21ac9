import { constants as fsConstants } from 'node:fs';
import { lstat, mkdir, open, readFile, readlink, realpath, rename, stat, unlink } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { commandLine, type CliCommand } from './cli-command.js';
import { SnapctlError, nullIfMissing } from '../base/errors.js';
import { isObject, isString } from '../base/checks.js';
import { ToolRunner } from '../providers/tools.js';
import { writeFileAtomic } from '../state/atomic-write.js';
import { withLock } from '../state/locks.js';
import { toTag } from '../../shared/model.js';

/** The hooks snapctl installs: a snapshot after each commit, and before a rebase or a merge rewrites files. */
export const HOOKS = ['post-commit', 'pre-rebase', 'pre-merge-commit'] as const;
export type HookName = (typeof HOOKS)[number];

const MARKER = '# snapctl hook: managed by `snapctl hook install`; `snapctl hook uninstall` restores what was here';
export const ORIGINAL_SUFFIX = '.snapctl-orig';
/** The most of a hook file read to tell whether it is ours. */
const MAX_HOOK_BYTES = 1024 * 1024;

/**
 * The hook script. It runs the hook that was there before (chained, with its arguments and exit code, so a
 * failing pre-rebase hook still stops the rebase), then asks snapctl for a snapshot. It names no repository:
 * one hooks folder may serve many (core.hooksPath, linked worktrees), so `snapctl hook run` finds the one the
 * commit is in when it runs. The snapshot can never block git: its failure is ignored, and after a commit it
 * runs in the background so `git commit` returns at once. Before a rebase or merge it runs first, since those
 * change the files.
 */
export function hookScript(hook: HookName, command: CliCommand): string {
  const snap = `${commandLine(command)} hook run ${hook}`;
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

/**
 * The folder a hook written by an earlier snapctl snapshots: those named it (`--path '…'`), whichever
 * repository ran them. Null for today's hooks.
 */
export function legacyTarget(text: string): string | null {
  const m = / hook run [a-z-]+ --path ('(?:[^']|'\\'')*')/.exec(text);
  return m?.[1] ? m[1].slice(1, -1).replace(/'\\''/g, "'") : null;
}

export interface HookChange {
  hook: HookName;
  file: string;
  action: 'installed' | 'chained' | 'updated' | 'removed' | 'restored' | 'absent' | 'kept';
}

/** Where git runs one repository's hooks from, and its work tree. */
export interface RepoPaths {
  /** The folder git runs hooks from (core.hooksPath, the main repository's for a linked worktree). */
  hooksDir: string;
  /** The top of the work tree, links resolved: what a registration is known by. */
  top: string;
  /** Whether hooksDir is the repository's own `hooks` folder (not core.hooksPath). */
  ownHooks: boolean;
}

/**
 * What git itself clears on entering another repository (`git rev-parse --local-env-vars`): GIT_DIR from a
 * hook would point every command at the repository committing. The user's own (GIT_CONFIG_GLOBAL) stay.
 */
const REPOSITORY_VARIABLES = new Set(['GIT_ALTERNATE_OBJECT_DIRECTORIES', 'GIT_CONFIG', 'GIT_CONFIG_PARAMETERS', 'GIT_CONFIG_COUNT', 'GIT_OBJECT_DIRECTORY',
  'GIT_DIR', 'GIT_WORK_TREE', 'GIT_IMPLICIT_WORK_TREE', 'GIT_GRAFT_FILE', 'GIT_INDEX_FILE', 'GIT_NO_REPLACE_OBJECTS', 'GIT_REPLACE_REF_BASE', 'GIT_PREFIX',
  'GIT_INTERNAL_SUPER_PREFIX', 'GIT_SHALLOW_FILE', 'GIT_COMMON_DIR']);

/** Git for a repository named by its folder, with none of the variables that say which repository to use. */
export function plainGit(env: NodeJS.ProcessEnv): ToolRunner {
  const kept = Object.entries(env).filter(([k]) => !REPOSITORY_VARIABLES.has(k) && !/^GIT_CONFIG_(KEY|VALUE)_\d+$/.test(k));
  return new ToolRunner({ env: Object.fromEntries(kept), timeoutMs: 20_000 });
}

/** The folder git runs hooks from (core.hooksPath, worktrees and submodules included), and the work tree. */
export async function gitPaths(repo: string, tools: ToolRunner): Promise<RepoPaths> {
  // One path a call: a path may hold a newline, so answers on separate lines could not be told apart.
  const ask = async (...what: string[]): Promise<string> => {
    const r = await tools.run('git', ['-C', repo, 'rev-parse', '--path-format=absolute', ...what]);
    if (r.exitCode !== 0) throw new SnapctlError('usage', `${repo} is not in a git work tree`, 'pass --repo with the folder of a git repository');
    const answer = r.stdout.replace(/\n$/, '');
    if (!path.isAbsolute(answer)) throw new SnapctlError('failed', `git rev-parse answered unexpectedly: ${JSON.stringify(r.stdout)}`);
    return realpath(answer).catch(() => path.resolve(answer));
  };
  const top = await ask('--show-toplevel');
  const hooksDir = await ask('--git-path', 'hooks');
  const common = await ask('--git-common-dir');
  return { hooksDir, top, ownHooks: hooksDir === path.join(common, 'hooks') };
}

/**
 * The repository a running hook belongs to: git runs hooks from the top of the work tree the commit is in,
 * with GIT_DIR set for a linked worktree, so both are asked, never a path written into the hook.
 */
export async function committingRepo(cwd: string, tools: ToolRunner): Promise<string | null> {
  const r = await tools.run('git', ['-C', cwd, 'rev-parse', '--show-toplevel']).catch(() => null);
  const top = r?.exitCode === 0 ? r.stdout.replace(/\n$/, '') : '';
  return top ? realpath(top).catch(() => null) : null;
}

/** A snapshot tag for a commit: short hash and subject, without the control characters a tag may not hold. */
export async function commitTag(top: string, tools: ToolRunner): Promise<string> {
  const r = await tools.check('git', ['-C', top, 'log', '-1', '--format=%h %s']);
  return toTag(r.stdout.trim());
}

/** One repository whose commits the hooks snapshot: where `snapctl hook install` ran. */
export interface HookRegistration { top: string; target: string; hooksDir: string }

/**
 * The repositories that installed the hooks, kept in the state folder (`git-hooks.json`). A hooks folder can
 * serve many repositories; the hooks snapshot only those listed here, and uninstalling one leaves the hooks
 * in place while another listed repository uses the same folder.
 */
export class HookRegistry {
  constructor(private readonly home: string) {}

  get file(): string { return path.join(this.home, 'git-hooks.json'); }

  /** The list; a missing or unreadable file is an empty one (the hooks then snapshot nothing, never the wrong folder). */
  async read(): Promise<HookRegistration[]> {
    const text = await readFile(this.file, 'utf8').catch(() => null);
    if (text === null) return [];
    try {
      const parsed: unknown = JSON.parse(text);
      const repos = isObject(parsed) && Array.isArray(parsed['repos']) ? parsed['repos'] : [];
      return repos.filter((r): r is HookRegistration => isObject(r) && isString(r['top']) && isString(r['target']) && isString(r['hooksDir']))
        .map((r) => ({ top: r.top, target: r.target, hooksDir: r.hooksDir }));
    } catch {
      return [];
    }
  }

  /** Changes the list under its lock, one atomic write. */
  async update<T>(change: (repos: HookRegistration[]) => Promise<{ repos: HookRegistration[]; result: T }>): Promise<T> {
    return withLock(path.join(this.home, 'locks', 'git-hooks'), { waitMs: 30_000, what: 'the list of repositories with git hooks' }, async () => {
      const before = await this.read();
      const { repos, result } = await change(before);
      if (JSON.stringify(repos) !== JSON.stringify(before)) await writeFileAtomic(this.file, `${JSON.stringify({ version: 1, repos }, null, 2)}\n`);
      return result;
    });
  }
}

/** What is at a hook's path, looked at without following a link. */
type Existing =
  | { kind: 'none' }
  | { kind: 'ours'; text: string }
  | { kind: 'other' }
  | { kind: 'dangling'; to: string }
  | { kind: 'not-a-file' };

async function lookAt(file: string): Promise<Existing> {
  const st = await lstat(file).catch(nullIfMissing);
  if (!st) return { kind: 'none' };
  if (st.isSymbolicLink()) {
    const to = await readlink(file);
    const target = await stat(file).catch(() => null);
    if (!target) return { kind: 'dangling', to };
    if (!target.isFile()) return { kind: 'not-a-file' };
  } else if (!st.isFile()) return { kind: 'not-a-file' };
  const text = await readHead(file);
  return isOurHook(text) ? { kind: 'ours', text } : { kind: 'other' };
}

async function readHead(file: string): Promise<string> {
  const handle = await open(file, fsConstants.O_RDONLY | fsConstants.O_NONBLOCK);
  try {
    const buf = Buffer.alloc(MAX_HOOK_BYTES);
    const { bytesRead } = await handle.read(buf, 0, buf.length, 0);
    return buf.subarray(0, bytesRead).toString('utf8');
  } finally {
    await handle.close();
  }
}

/**
 * Writes a hook as a new file beside its place, then renames it there: a link standing at the hook's path is
 * replaced, never written through (O_EXCL and O_NOFOLLOW on the new file).
 */
async function writeHook(file: string, text: string): Promise<void> {
  const tmp = `${file}.snapctl-${randomBytes(6).toString('hex')}`;
  const handle = await open(tmp, fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL | fsConstants.O_NOFOLLOW, 0o755);
  try {
    await handle.writeFile(text);
    await handle.chmod(0o755);
  } catch (err) {
    await handle.close();
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
  await handle.close();
  await rename(tmp, file);
}

function refuseOddHook(file: string, found: Existing): void {
  if (found.kind === 'dangling') {
    throw new SnapctlError('failed', `${file} is a symbolic link to ${found.to}, which does not exist: nothing was installed`, 'remove the link, or point it at a hook that exists, then install again');
  }
  if (found.kind === 'not-a-file') throw new SnapctlError('failed', `${file} is not a file: nothing was installed`, 'move it aside, then install again');
}

/** Writes the three hooks into `hooksDir`, keeping any other hook there (renamed beside it, run first). */
export async function installHooks(hooksDir: string, command: CliCommand): Promise<HookChange[]> {
  await mkdir(hooksDir, { recursive: true });
  // Every hook is looked at before any is changed: a refusal leaves the folder as it was.
  const plan: { hook: HookName; file: string; found: Existing }[] = [];
  for (const hook of HOOKS) {
    const file = path.join(hooksDir, hook);
    const found = await lookAt(file);
    refuseOddHook(file, found);
    if (found.kind === 'other' && (await lstat(file + ORIGINAL_SUFFIX).catch(nullIfMissing))) {
      throw new SnapctlError('failed', `${file + ORIGINAL_SUFFIX} already exists: nothing was installed`, 'move it aside; snapctl keeps the hook it replaces there');
    }
    plan.push({ hook, file, found });
  }
  const changes: HookChange[] = [];
  for (const { hook, file, found } of plan) {
    // A hook of someone else's (a link to one too) moves aside whole: rename moves a link, not what it names.
    if (found.kind === 'other') await rename(file, file + ORIGINAL_SUFFIX);
    await writeHook(file, hookScript(hook, command));
    changes.push({ hook, file, action: found.kind === 'other' ? 'chained' : found.kind === 'ours' ? 'updated' : 'installed' });
  }
  return changes;
}

/** Removes snapctl's hooks from `hooksDir`, putting back the ones they chained. */
export async function uninstallHooks(hooksDir: string): Promise<HookChange[]> {
  const changes: HookChange[] = [];
  for (const hook of HOOKS) {
    const file = path.join(hooksDir, hook);
    const found = await lookAt(file).catch((): Existing => ({ kind: 'none' }));
    if (found.kind !== 'ours') { changes.push({ hook, file, action: 'absent' }); continue; }
    if (await lstat(file + ORIGINAL_SUFFIX).catch(nullIfMissing)) {
      await rename(file + ORIGINAL_SUFFIX, file);
      changes.push({ hook, file, action: 'restored' });
    } else {
      await unlink(file);
      changes.push({ hook, file, action: 'removed' });
    }
  }
  return changes;
}

export interface HookDeps {
  /** The state folder: where the list of repositories lives. */
  home: string;
  /** Git without the caller's GIT_* variables. */
  git: ToolRunner;
}

/**
 * Hooks an earlier snapctl wrote name the folder they snapshot; each such folder in a repository that uses
 * `hooksDir` is listed, so replacing or keeping those hooks keeps that repository's snapshots going.
 */
async function adoptLegacy(hooksDir: string, repos: HookRegistration[], git: ToolRunner): Promise<HookRegistration[]> {
  const out = [...repos];
  for (const hook of HOOKS) {
    const found = await lookAt(path.join(hooksDir, hook)).catch(() => null);
    const target = found?.kind === 'ours' ? legacyTarget(found.text) : null;
    if (target === null) continue;
    const paths = await gitPaths(target, git).catch(() => null);
    if (!paths || paths.hooksDir !== hooksDir || out.some((r) => r.top === paths.top)) continue;
    out.push({ top: paths.top, target, hooksDir });
  }
  return out;
}

/** Other listed repositories whose hooks come from `hooksDir` now (asked of git: its settings may have changed). */
async function othersUsing(hooksDir: string, top: string, repos: HookRegistration[], git: ToolRunner): Promise<{ repos: HookRegistration[]; sharing: string[] }> {
  const kept: HookRegistration[] = [];
  const sharing: string[] = [];
  for (const r of repos) {
    if (r.top === top) continue;
    const paths = await gitPaths(r.top, git).catch(() => null);
    // A repository that is gone, or whose work tree is now elsewhere, is dropped from the list.
    if (!paths || paths.top !== r.top) continue;
    kept.push({ ...r, hooksDir: paths.hooksDir });
    if (paths.hooksDir === hooksDir) sharing.push(r.top);
  }
  return { repos: kept, sharing };
}

export interface InstallResult extends RepoPaths {
  target: string;
  changes: HookChange[];
  /** Other repositories that installed the hooks and run them from the same folder. */
  sharing: string[];
}

/**
 * Installs the hooks for the repository at `repo`: writes them into the folder git runs its hooks from, and
 * lists the repository (with the folder its commits snapshot) so the hooks, which may serve other
 * repositories too, snapshot it and only the listed ones.
 */
export async function installFor(repo: string, target: (top: string) => Promise<string>, command: CliCommand, deps: HookDeps): Promise<InstallResult> {
  const paths = await gitPaths(repo, deps.git);
  const folder = await target(paths.top);
  return new HookRegistry(deps.home).update(async (listed) => {
    const adopted = await adoptLegacy(paths.hooksDir, listed, deps.git);
    const changes = await installHooks(paths.hooksDir, command);
    const { repos, sharing } = await othersUsing(paths.hooksDir, paths.top, adopted, deps.git);
    return { repos: [...repos, { top: paths.top, target: folder, hooksDir: paths.hooksDir }], result: { ...paths, target: folder, changes, sharing } };
  });
}

export interface UninstallResult extends RepoPaths {
  changes: HookChange[];
  /** Repositories still using the hooks: while any is left they stay, and only this repository's commits stop. */
  sharing: string[];
  wasListed: boolean;
}

export async function uninstallFor(repo: string, deps: HookDeps): Promise<UninstallResult> {
  const paths = await gitPaths(repo, deps.git);
  return new HookRegistry(deps.home).update(async (listed) => {
    const adopted = await adoptLegacy(paths.hooksDir, listed, deps.git);
    const wasListed = adopted.some((r) => r.top === paths.top);
    const { repos, sharing } = await othersUsing(paths.hooksDir, paths.top, adopted, deps.git);
    const changes = sharing.length > 0
      ? HOOKS.map((hook): HookChange => ({ hook, file: path.join(paths.hooksDir, hook), action: 'kept' }))
      : await uninstallHooks(paths.hooksDir);
    return { repos, result: { ...paths, changes, sharing, wasListed } };
  });
}

/**
 * The folder a running hook snapshots: that of the repository the commit is in, when that repository
 * installed the hooks; null otherwise (another repository sharing the hooks folder). A hook written by an
 * earlier snapctl passes the folder it was installed for (`legacy`): it counts only for a commit in that
 * folder's own repository.
 */
export async function hookTarget(cwd: string, legacy: string | null, hookGit: ToolRunner, deps: HookDeps): Promise<{ top: string; target: string } | null> {
  const top = await committingRepo(cwd, hookGit);
  if (top === null) return null;
  const listed = (await new HookRegistry(deps.home).read()).find((r) => r.top === top);
  if (listed) return { top, target: listed.target };
  if (legacy !== null && (await gitPaths(legacy, deps.git).catch(() => null))?.top === top) return { top, target: legacy };
  return null;
}
