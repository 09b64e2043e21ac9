import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before } from 'node:test';
import { installLayout } from '../../src/core/base/install.js';
import { ServiceContext } from '../../src/core/service/context.js';

/** The checkout the tests run from, found the way snapctl finds itself, so moving a test moves nothing else. */
export const repoRoot = installLayout().root;
export const cliPath = installLayout().cliScript;

export async function tempDir(prefix = 'snapctl-test-'): Promise<string> {
  return mkdtemp(path.join(tmpdir(), prefix));
}

/** A temporary state home and project folder, removed by `cleanup`. */
export async function sandbox(): Promise<{ home: string; project: string; root: string; cleanup: () => Promise<void> }> {
  const root = await tempDir();
  const home = path.join(root, 'home');
  const project = path.join(root, 'project');
  await mkdir(project);
  return { home, project, root, cleanup: async () => { await processesInside(root, 5_000); await rm(root, { recursive: true, force: true, maxRetries: 5 }); } };
}

/**
 * Everything a user would notice about a tree: kinds, contents, modes, link targets and file mtimes (to the
 * millisecond). Two trees with the same description are the same to a developer.
 */
export async function describeTree(root: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const visit = async (rel: string): Promise<void> => {
    const abs = path.join(root, rel);
    for (const name of (await readdir(abs)).sort()) {
      const childRel = rel ? `${rel}/${name}` : name;
      const childAbs = path.join(root, childRel);
      const st = await lstat(childAbs, { bigint: true });
      const mode = (st.mode & 0o7777n).toString(8);
      if (st.isSymbolicLink()) out[childRel] = `link -> ${await readlink(childAbs)}`;
      else if (st.isDirectory()) { out[childRel] = `dir ${mode}`; await visit(childRel); }
      else if (st.isFile()) {
        const hash = createHash('sha256').update(await readFile(childAbs)).digest('hex').slice(0, 16);
        // The millisecond from the exact nanoseconds: st.mtimeMs is a double, which rounds x.99999 ms up to
        // the next millisecond, so a restore that kept the nanoseconds to the microsecond read as a change.
        out[childRel] = `file ${mode} ${st.size} ${hash} mtime=${st.mtimeNs / 1_000_000n}`;
      } else out[childRel] = 'special';
    }
  };
  await visit('');
  return out;
}

/**
 * Waits (up to `ms`) for every process working inside `dir` to end: what a git hook started in the background
 * is still writing when a test ends, and removing its folder under it fails with ENOTEMPTY. Linux (/proc) only.
 */
export async function processesInside(dir: string, ms = 15_000): Promise<void> {
  const { readdir: ls, readlink } = await import('node:fs/promises');
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 100))) {
    const pids = (await ls('/proc').catch(() => [] as string[])).filter((n) => /^\d+$/.test(n) && Number(n) !== process.pid);
    const cwds = await Promise.all(pids.map((pid) => readlink(`/proc/${pid}/cwd`).catch(() => '')));
    if (!cwds.some((c) => c === dir || c.startsWith(`${dir}/`))) return;
  }
}

export interface CliResult { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }

export function runCli(args: string[], env: Record<string, string>, options: { cwd?: string; killAfterMs?: number } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cliPath, ...args], {
      cwd: options.cwd ?? repoRoot,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    const timer = options.killAfterMs !== undefined ? setTimeout(() => child.kill('SIGKILL'), options.killAfterMs) : undefined;
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

export function parseJson<T>(text: string): T {
  return JSON.parse(text) as T;
}

/** One of `items`, at random (the fault trials' choices). */
export const pick = <T>(items: readonly T[]): T => items[Math.floor(Math.random() * items.length)] as T;

export type Sandbox = Awaited<ReturnType<typeof sandbox>>;

/**
 * A sandbox and a ServiceContext on it for the enclosing describe: made before its first test, removed after
 * its last. Read `.box` and `.service` inside the tests.
 */
export function serviceSandbox(): { readonly box: Sandbox; readonly service: ServiceContext } {
  let made: { box: Sandbox; service: ServiceContext } | undefined;
  before(async () => {
    const box = await sandbox();
    made = { box, service: new ServiceContext({ home: box.home }) };
  });
  after(() => made?.box.cleanup());
  const get = (): { box: Sandbox; service: ServiceContext } => {
    if (!made) throw new Error('serviceSandbox: used outside a test');
    return made;
  };
  return { get box() { return get().box; }, get service() { return get().service; } };
}

/** A sandbox for the enclosing describe, and the environment that points `snapctl` at its state folder. */
export function cliSandbox(): { readonly box: Sandbox; readonly env: Record<string, string> } {
  let made: Sandbox | undefined;
  before(async () => { made = await sandbox(); });
  after(() => made?.cleanup());
  const get = (): Sandbox => {
    if (!made) throw new Error('cliSandbox: used outside a test');
    return made;
  };
  return { get box() { return get(); }, get env() { return { SNAPCTL_HOME: get().home }; } };
}

/**
 * Writes "MMAP" over the first bytes of `file` (4 KiB or more) through a shared writable mapping: its bytes
 * and mtime change and no inotify event is raised (inotify(7)), the change a journal cannot see.
 */
export function writeThroughMmap(file: string): void {
  execFileSync('python3', ['-c', [
    'import mmap, os, sys',
    'fd = os.open(sys.argv[1], os.O_RDWR)',
    'm = mmap.mmap(fd, 4096)',
    'm[0:4] = b"MMAP"',
    'm.flush(); m.close(); os.close(fd)',
  ].join('\n'), file]);
}
