import { SnapctlError } from '../base/errors.js';

export interface ToolResult { stdout: string; stderr: string; exitCode: number }

export interface ToolRunnerOptions {
  /** The environment tools run in; PATH decides which binaries run (tests put stand-ins first). */
  env?: NodeJS.ProcessEnv;
  /** A tool that hangs (a stuck mount, a disk that stopped answering) fails after this long. */
  timeoutMs?: number;
}

/**
 * Runs external tools (tmutil, diskutil, mount_apfs, btrfs, zfs) by name, looked up on PATH, with an
 * argument array: no shell ever sees a user's text. Output is returned for strict parsing by the caller.
 */
export class ToolRunner {
  readonly env: NodeJS.ProcessEnv;
  private readonly timeoutMs: number;

  constructor(options: ToolRunnerOptions = {}) {
    this.env = options.env ?? process.env;
    this.timeoutMs = options.timeoutMs ?? 120_000;
  }

  /**
   * Runs and returns the output whatever the exit code; only a missing tool or a timeout throws. `timeoutMs`
   * replaces the runner's for this call (a step that waits for a person, such as a password prompt).
   */
  async run(tool: string, args: readonly string[], options: { timeoutMs?: number } = {}): Promise<ToolResult> {
    const timeoutMs = options.timeoutMs ?? this.timeoutMs;
    // execa is loaded on first use: most commands (clone snapshots, list) never run a tool.
    const { execa } = await import('execa');
    let timedOut = false;
    let timer: NodeJS.Timeout | undefined;
    try {
      // Its own process group, killed whole on timeout: a hung tool's children (a stuck `sleep`, a mount
      // helper) would otherwise keep its output pipes open and hang snapctl with it.
      const sub = execa(tool, args, {
        env: this.env, extendEnv: false, reject: false, detached: true, cleanup: true,
        stdin: 'ignore', encoding: 'utf8', stripFinalNewline: false,
      });
      timer = setTimeout(() => {
        timedOut = true;
        try { if (sub.pid) process.kill(-sub.pid, 'SIGKILL'); } catch { /* already gone */ }
      }, timeoutMs);
      const r = await sub;
      if (timedOut) throw new SnapctlError('failed', `${tool} ${args[0] ?? ''} did not answer within ${Math.round(timeoutMs / 1000)} s and was stopped`, 'the disk or the tool may be stuck; try again, or restart the machine');
      if (r.failed && r.exitCode === undefined) throw notFound(tool, r.cause);
      return { stdout: String(r.stdout), stderr: String(r.stderr), exitCode: r.exitCode ?? 1 };
    } catch (err) {
      if (err instanceof SnapctlError) throw err;
      throw notFound(tool, (err as { cause?: unknown }).cause ?? err);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Runs and hands its output to `onChunk` as bytes while it comes (a send stream can be large and is not
   * text), with `run`'s timeout and process group. A throw from `onChunk` stops the tool and is rethrown.
   */
  async stream(tool: string, args: readonly string[], onChunk: (chunk: Buffer) => void): Promise<{ stderr: string; exitCode: number }> {
    const { execa } = await import('execa');
    let timedOut = false;
    const sub = execa(tool, args, {
      env: this.env, extendEnv: false, reject: false, detached: true, cleanup: true,
      stdin: 'ignore', encoding: 'buffer', buffer: { stdout: false, stderr: true },
    });
    const kill = (): void => { try { if (sub.pid) process.kill(-sub.pid, 'SIGKILL'); } catch { /* already gone */ } };
    const timer = setTimeout(() => { timedOut = true; kill(); }, this.timeoutMs);
    try {
      try {
        for await (const chunk of sub.stdout) onChunk(chunk as Buffer);
      } catch (err) {
        kill();
        await sub.catch(() => undefined);
        throw err;
      }
      const r = await sub;
      if (timedOut) throw new SnapctlError('failed', `${tool} ${args[0] ?? ''} did not answer within ${Math.round(this.timeoutMs / 1000)} s and was stopped`, 'the disk or the tool may be stuck; try again, or restart the machine');
      if (r.failed && r.exitCode === undefined) throw notFound(tool, r.cause);
      return { stderr: Buffer.from(r.stderr).toString('utf8'), exitCode: r.exitCode ?? 1 };
    } catch (err) {
      if (err instanceof SnapctlError) throw err;
      if ((err as { code?: string }).code === 'ENOENT') throw notFound(tool, err);
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Runs and requires exit code 0; a failure quotes what the tool said. */
  async check(tool: string, args: readonly string[], hint?: string): Promise<ToolResult> {
    const r = await this.run(tool, args);
    if (r.exitCode !== 0) throw toolFailed(tool, args, r, hint);
    return r;
  }

  /** True when `tool` can be found on PATH. */
  async has(tool: string, probeArgs: readonly string[] = ['--version']): Promise<boolean> {
    try {
      await this.run(tool, probeArgs);
      return true;
    } catch {
      return false;
    }
  }
}

export function toolFailed(tool: string, args: readonly string[], r: ToolResult, hint?: string): SnapctlError {
  const said = quote(r.stderr.trim() || r.stdout.trim() || `exit code ${r.exitCode}`);
  return new SnapctlError('failed', `${tool} ${args[0] ?? ''} failed: ${said}`, hint);
}

/** Output we do not recognise is an error that shows it, never an empty result. */
export function unrecognised(tool: string, what: string, output: string): SnapctlError {
  return new SnapctlError('failed', `could not read the output of ${tool} ${what}: ${quote(output.trim() || '(nothing)')}`, 'this macOS or tool version may print something new; please report it');
}

function quote(text: string): string {
  const oneLine = text.replace(/\s*\n\s*/g, ' | ');
  return JSON.stringify(oneLine.length > 400 ? `${oneLine.slice(0, 400)}…` : oneLine);
}

function notFound(tool: string, cause: unknown): SnapctlError {
  const code = (cause as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT') return new SnapctlError('unsupported', `${tool} is not installed or not on PATH`, `install it, or use the clone provider (--provider clone)`);
  return new SnapctlError('failed', `could not run ${tool}: ${String((cause as Error | undefined)?.message ?? cause)}`);
}
