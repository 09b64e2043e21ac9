import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
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

type Commit = { sha: string; subject: string };
type Commits = { listed: Commit[]; total: number };

/** Git in one repository, seeing the snapshot's commits too when they were copied aside (`alternates`). */
class RepoGit {
  constructor(private readonly git: ToolRunner, private readonly dir: string, private readonly alternates: string | null) {}

  private run(args: string[]): Promise<{ stdout: string; exitCode: number }> {
    const runner = this.alternates === null ? this.git : new ToolRunner({ env: { ...this.git.env, GIT_ALTERNATE_OBJECT_DIRECTORIES: this.alternates }, timeoutMs: 20_000 });
    return runner.run('git', ['-C', this.dir, ...args]);
  }

  /** The commits among `shas` the repository holds. */
  async present(shas: string[]): Promise<Set<string>> {
    if (shas.length === 0) return new Set();
    const r = await this.run(['rev-list', '--no-walk', '--ignore-missing', ...shas]);
    return new Set(r.exitCode === 0 ? r.stdout.split('\n').filter((l) => SHA.test(l)) : []);
  }

  /** Commits reachable from `from` and from none of `not`, newest first; null when git cannot say. */
  async only(from: string[], not: string[]): Promise<Commits | null> {
    if (from.length === 0) return { listed: [], total: 0 };
    const range = [...from, '--not', ...not];
    const count = await this.run(['rev-list', '--count', ...range]);
    if (count.exitCode !== 0) return null;
    const total = Number.parseInt(count.stdout.trim(), 10) || 0;
    if (total === 0) return { listed: [], total: 0 };
    const log = await this.run(['log', `--max-count=${LISTED_COMMITS}`, '--format=%H%x09%s', ...range]);
    if (log.exitCode !== 0) return null;
    const listed = log.stdout.split('\n').filter((l) => l.includes('\t')).map((l) => {
      const tab = l.indexOf('\t');
      return { sha: l.slice(0, tab), subject: l.slice(tab + 1) };
    });
    return { listed, total };
  }

  async isAncestor(a: string, b: string): Promise<boolean> {
    return (await this.run(['merge-base', '--is-ancestor', a, b])).exitCode === 0;
  }
}

/** The most of the snapshot's own object files copied aside to read its commits (a rollback after a rollback). */
const MAX_OBJECT_BYTES = 256 * 1024 * 1024;

/**
 * The snapshot's object files the folder does not hold now (`differing`: the preview's paths in the snapshot
 * only, or changed), copied into a folder of their own that git can read as alternates: the commits HEAD goes
 * to after a rollback to an older snapshot exist only there. Null when there are none, or too many bytes.
 */
async function withSnapshotObjects<T>(reader: SnapshotReader, repo: string, differing: readonly string[], fn: (objects: string) => Promise<T>): Promise<T | null> {
  const prefix = repo === '' ? '.git/objects/' : `${repo}/.git/objects/`;
  const wanted = differing.filter((p) => p.startsWith(prefix) && /^(?:[0-9a-f]{2}\/[0-9a-f]{38,62}|pack\/pack-[0-9a-f]+\.(?:pack|idx))$/.test(p.slice(prefix.length)));
  if (wanted.length === 0) return null;
  const scratch = await mkdtemp(path.join(tmpdir(), 'snapctl-git-'));
  try {
    const objects = path.join(scratch, 'objects');
    let budget = MAX_OBJECT_BYTES;
    for (const p of wanted) {
      const f = await reader.readFile(p, budget).catch(() => null);
      if (f?.kind !== 'file') return null;
      budget -= f.size;
      const out = path.join(objects, p.slice(prefix.length));
      await mkdir(path.dirname(out), { recursive: true });
      await writeFile(out, f.bytes, { flag: 'wx', mode: 0o600 });
    }
    return await fn(objects);
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

interface Impact { direction: GitImpact['direction']; undone: Commits; gained: Commits }

const NOTHING: Commits = { listed: [], total: 0 };

/** Where HEAD goes and which commits come and go, asked of git; 'unknown' when it cannot say. */
async function impactByGit(git: RepoGit, now: RepoRefs | null, then: RepoRefs | null, headNow: string | null, headThen: string | null): Promise<Impact> {
  const unknown: Impact = { direction: 'unknown', undone: NOTHING, gained: NOTHING };
  const thenTips = tips(then);
  const nowTips = tips(now);
  // Every commit named on either side must be there: a tip git does not hold would be left out of the
  // ranges, and every commit reachable now would read as undone (a preview said 1652 undone commits).
  const present = await git.present([...new Set([...thenTips, ...nowTips])]);
  if ([...thenTips, ...nowTips].some((sha) => !present.has(sha))) return unknown;
  const undone = await git.only(nowTips, thenTips);
  const gained = headThen ? await git.only([headThen], headNow ? [headNow] : []) : NOTHING;
  if (!undone || !gained) return unknown;
  let direction: GitImpact['direction'];
  if (headNow === headThen) direction = 'same';
  else if (headThen === null) direction = 'backward';
  else if (headNow === null || (await git.isAncestor(headNow, headThen))) direction = 'forward';
  else direction = (await git.isAncestor(headThen, headNow)) ? 'backward' : 'sideways';
  return { direction, undone, gained };
}

/**
 * What a rollback would do to each git repository of the folder (the folder itself, or a `.git` folder below
 * it): whether HEAD or its branch moves and which way, which commits it undoes (reachable from a branch now,
 * from none in the snapshot) and which HEAD goes to. `differing` are the preview's paths that the snapshot
 * holds otherwise than the folder (its objects are read from there when the folder lacks them). Only
 * repositories it changes are returned.
 */
export async function gitImpact(target: string, paths: GitPaths, reader: SnapshotReader, env: NodeJS.ProcessEnv, differing: readonly string[] = []): Promise<GitImpact[]> {
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
    // No repository now: the rollback brings it back, and undoes nothing.
    let found: Impact = { direction: now ? 'unknown' : headThen ? 'forward' : 'same', undone: NOTHING, gained: NOTHING };
    try {
      if (now) found = await impactByGit(new RepoGit(git, repoDir, null), now, then, headNow, headThen);
      if (now && found.direction === 'unknown') found = await withSnapshotObjects(reader, repo, differing, (objects) => impactByGit(new RepoGit(git, repoDir, objects), now, then, headNow, headThen)) ?? found;
    } catch {
      // git is not installed: HEAD's move is still reported, from the files, with no claim about commits.
    }
    if (!headMoves && found.undone.total === 0) continue;
    out.push({
      repo, branchNow, branchThen, headNow, headThen, headMoves, direction: found.direction,
      undoneCommits: found.undone.listed, moreUndone: Math.max(0, found.undone.total - found.undone.listed.length),
      gainedCommits: found.gained.listed, moreGained: Math.max(0, found.gained.total - found.gained.listed.length),
    });
  }
  return out;
}

/**
 * Read as a person would: "undoes 1 commit: fix the parser", "moves HEAD forward 5 commits to 1a2b3c4 (add
 * the parser); no commit is undone", "moves HEAD from 1a2b3c4 to 5d6e7f8".
 */
export function describeGitImpact(g: GitImpact): string {
  // Subjects, branch and folder names come from the repository: escaped, so none can rewrite the terminal line.
  const where = g.repo === '' ? 'git' : `git in ${shownName(g.repo)}`;
  const short = (s: string | null): string => (s ? shownName(s.slice(0, 7)) : 'nothing');
  const count = (n: number): string => `${n} commit${n === 1 ? '' : 's'}`;
  const subjects = (listed: Commit[], more: number): string => listed.map((c) => shownName(c.subject)).join('; ') + (more > 0 ? `; and ${more} more` : '');
  const switched = g.branchThen !== g.branchNow ? ` (HEAD goes from branch ${g.branchNow ? shownName(g.branchNow) : 'detached'} to ${g.branchThen ? shownName(g.branchThen) : 'detached'})` : '';
  const undone = g.undoneCommits.length + g.moreUndone;
  const gained = g.gainedCommits.length + g.moreGained;
  const to = (): string => `${short(g.headThen)}${g.gainedCommits[0]?.sha === g.headThen && g.gainedCommits[0]?.subject ? ` (${shownName(g.gainedCommits[0].subject)})` : ''}`;
  const undoes = undone > 0 ? `undoes ${count(undone)}: ${subjects(g.undoneCommits, g.moreUndone)}` : '';
  const fromTo = (): string => `${where}: moves HEAD from ${short(g.headNow)} to ${short(g.headThen)}${switched || (g.branchNow ? ` (branch ${shownName(g.branchNow)})` : '')}`;
  switch (g.direction) {
    case 'forward':
      if (gained === 0) return `${fromTo()}${undoes ? `; ${undoes}` : ''}`;
      return `${where}: moves HEAD forward ${count(gained)} to ${to()}${switched}; ${undoes || 'no commit is undone'}`;
    case 'sideways':
      return `${where}: ${undoes ? `${undoes}, and ` : ''}moves HEAD to another line of history, ${to()}${switched}${gained > 0 ? `: ${count(gained)} HEAD does not reach now: ${subjects(g.gainedCommits, g.moreGained)}` : ''}`;
    case 'backward':
    case 'same':
      return undoes ? `${where}: ${undoes}${switched}` : fromTo();
    case 'unknown':
      return `${fromTo()}; which commits it undoes could not be told`;
  }
}
