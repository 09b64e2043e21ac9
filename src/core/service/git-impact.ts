import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { ToolRunner } from '../providers/tools.js';
import type { SnapshotReader } from '../providers/provider.js';
import type { GitPaths } from '../tree/compare.js';
import { fsPath, shownName } from '../tree/names.js';
import type { GitImpact } from '../../shared/api.js';

/** How many undone commits a preview lists by subject; the rest are counted. */
export const LISTED_COMMITS = 10;
const MAX_REF_FILE = 64 * 1024;
const MAX_PACKED_REFS = 8 * 1024 * 1024;
const SHA = /^[0-9a-f]{40}(?:[0-9a-f]{24})?$/;

/** What one `.git` folder says: HEAD's branch (or detached commit) and every branch's commit. */
interface RepoRefs { branch: string | null; detached: string | null; heads: Map<string, string> }

function parseHead(text: string | null): Pick<RepoRefs, 'branch' | 'detached'> {
  const line = text?.trim() ?? '';
  const m = /^ref: refs\/heads\/(.+)$/.exec(line);
  if (m?.[1]) return { branch: m[1], detached: null };
  return { branch: null, detached: SHA.test(line) ? line : null };
}

function parsePacked(text: string | null, heads: Map<string, string>): void {
  for (const line of (text ?? '').split('\n')) {
    const m = /^([0-9a-f]{40,64}) refs\/heads\/(.+)$/.exec(line.trim());
    if (m?.[1] && m[2] && !heads.has(m[2])) heads.set(m[2], m[1]);
  }
}

function headOf(refs: RepoRefs): string | null {
  return refs.branch !== null ? refs.heads.get(refs.branch) ?? null : refs.detached;
}

/** The refs of a repository as the folder has them now, read from its files (no git needed). */
async function refsNow(gitDir: string): Promise<RepoRefs> {
  const read = (rel: string): Promise<string | null> => readFile(fsPath(path.join(gitDir, rel)), 'utf8').catch(() => null);
  const heads = new Map<string, string>();
  const visit = async (rel: string): Promise<void> => {
    const names = await readdir(fsPath(path.join(gitDir, rel)), { withFileTypes: true }).catch(() => []);
    for (const d of names) {
      const child = `${rel}/${d.name.toString()}`;
      if (d.isDirectory()) await visit(child);
      else if (d.isFile()) {
        const sha = (await read(child))?.trim() ?? '';
        if (SHA.test(sha)) heads.set(child.slice('refs/heads/'.length), sha);
      }
    }
  };
  await visit('refs/heads');
  parsePacked(await read('packed-refs'), heads);
  return { ...parseHead(await read('HEAD')), heads };
}

/** The refs of a repository as the snapshot holds them (`files`: its HEAD, packed-refs and refs/heads files). */
async function refsThen(reader: SnapshotReader, repo: string, files: readonly string[]): Promise<RepoRefs> {
  const prefix = repo === '' ? '.git/' : `${repo}/.git/`;
  const read = async (rel: string, max = MAX_REF_FILE): Promise<string | null> => {
    const f = await reader.readFile(`${prefix}${rel}`, max).catch(() => null);
    return f?.kind === 'file' ? f.bytes.toString('utf8') : null;
  };
  const heads = new Map<string, string>();
  for (const file of files) {
    const rel = file.slice(prefix.length);
    if (!rel.startsWith('refs/heads/')) continue;
    const sha = (await read(rel))?.trim() ?? '';
    if (SHA.test(sha)) heads.set(rel.slice('refs/heads/'.length), sha);
  }
  parsePacked(await read('packed-refs', MAX_PACKED_REFS), heads);
  return { ...parseHead(await read('HEAD')), heads };
}

function tips(refs: RepoRefs | null): string[] {
  if (!refs) return [];
  return [...new Set([...refs.heads.values(), ...(refs.detached ? [refs.detached] : [])])];
}

/** Git with none of the caller's GIT_* variables (GIT_DIR would point it at another repository). */
function gitRunner(env: NodeJS.ProcessEnv): ToolRunner {
  return new ToolRunner({ env: Object.fromEntries(Object.entries(env).filter(([k]) => !k.startsWith('GIT_'))), timeoutMs: 20_000 });
}

/** Commits reachable from `now` that `then` does not reach, newest first, by `git log`; null without git. */
async function undone(git: ToolRunner, repoDir: string, now: string[], then: string[]): Promise<{ listed: { sha: string; subject: string }[]; total: number } | null> {
  if (now.length === 0) return { listed: [], total: 0 };
  const range = [...now, '--not', ...then];
  try {
    const count = await git.run('git', ['-C', repoDir, 'rev-list', '--count', '--ignore-missing', ...range]);
    if (count.exitCode !== 0) return null;
    const total = Number.parseInt(count.stdout.trim(), 10) || 0;
    if (total === 0) return { listed: [], total: 0 };
    const log = await git.run('git', ['-C', repoDir, 'log', '--ignore-missing', `--max-count=${LISTED_COMMITS}`, '--format=%H%x09%s', ...range]);
    if (log.exitCode !== 0) return null;
    const listed = log.stdout.split('\n').filter((l) => l.includes('\t')).map((l) => {
      const tab = l.indexOf('\t');
      return { sha: l.slice(0, tab), subject: l.slice(tab + 1) };
    });
    return { listed, total };
  } catch {
    return null; // git is not installed: HEAD's move is still reported, from the files
  }
}

/**
 * What a rollback would do to each git repository of the folder (the folder itself, or a `.git` folder below
 * it): whether HEAD or its branch moves, and which commits it undoes (reachable from a branch now, from none
 * in the snapshot). Only repositories it changes are returned.
 */
export async function gitImpact(target: string, paths: GitPaths, reader: SnapshotReader, env: NodeJS.ProcessEnv): Promise<GitImpact[]> {
  const repos = [...new Set([...paths.now, ...paths.then.keys()])].sort();
  const git = gitRunner(env);
  const out: GitImpact[] = [];
  for (const repo of repos) {
    const repoDir = repo === '' ? target : path.join(target, repo);
    const now = paths.now.includes(repo) ? await refsNow(path.join(repoDir, '.git')) : null;
    const files = paths.then.get(repo);
    const then = files ? await refsThen(reader, repo, files) : null;
    const headNow = now ? headOf(now) : null;
    const headThen = then ? headOf(then) : null;
    const branchNow = now?.branch ?? null;
    const branchThen = then?.branch ?? null;
    const headMoves = branchNow !== branchThen || headNow !== headThen;
    const found = now ? await undone(git, repoDir, tips(now), tips(then)) : { listed: [], total: 0 };
    // Without git, the commit HEAD leaves is named by its sha alone.
    const listed = found ? found.listed : headMoves && headNow ? [{ sha: headNow, subject: '' }] : [];
    const total = found ? found.total : listed.length;
    if (!headMoves && total === 0) continue;
    out.push({ repo, branchNow, branchThen, headNow, headThen, undoneCommits: listed, moreUndone: Math.max(0, total - listed.length), headMoves });
  }
  return out;
}

/** Read as a person would: "undoes 1 commit: fix the parser" / "moves main from 1a2b3c4 to 5d6e7f8". */
export function describeGitImpact(g: GitImpact): string {
  // Subjects, branch and folder names come from the repository: escaped, so none can rewrite the terminal line.
  const where = g.repo === '' ? 'git' : `git in ${shownName(g.repo)}`;
  const n = g.undoneCommits.length + g.moreUndone;
  const named = g.undoneCommits.filter((c) => c.subject !== '');
  const switched = g.branchThen !== g.branchNow ? ` (HEAD goes from branch ${g.branchNow ? shownName(g.branchNow) : 'detached'} to ${g.branchThen ? shownName(g.branchThen) : 'detached'})` : '';
  if (n > 0 && named.length > 0) {
    const list = named.map((c) => shownName(c.subject)).join('; ');
    return `${where}: undoes ${n} commit${n === 1 ? '' : 's'}: ${list}${g.moreUndone > 0 ? `; and ${g.moreUndone} more` : ''}${switched}`;
  }
  const short = (s: string | null): string => (s ? shownName(s.slice(0, 7)) : 'nothing');
  const branch = switched || (g.branchNow ? ` (branch ${shownName(g.branchNow)})` : '');
  return `${where}: moves HEAD from ${short(g.headNow)} to ${short(g.headThen)}${branch}${n > 0 ? `, undoing commit ${short(g.undoneCommits[0]?.sha ?? null)}` : ''}`;
}
