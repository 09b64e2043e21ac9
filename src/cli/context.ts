import { describeError, usageError } from '../core/base/errors.js';
import { oneLine } from '../shared/model.js';
import { plural } from '../shared/format.js';
import { defaultHome, isWithin } from '../core/state/paths.js';
import type { LoadedSettings, Settings } from '../core/state/settings.js';
import { CliMetrics } from './metrics.js';
import { peekPolicy } from '../core/state/policy-check.js';
import { type FolderPolicy, ServiceContext } from '../core/service/context.js';
import { knownFolder, listSnapshots, resolveFolder, resolveId } from '../core/service/queries.js';
import type { RecoveryReport } from '../core/service/recovery.js';
import { unfinished, unfinishedTargets } from '../core/service/status.js';
import { reconcile } from '../core/service/verify.js';

/** A message on one line: line breaks become spaces, other control characters are shown escaped. */
export function say(text: string): string {
  return oneLine(text.replace(/\s*[\r\n]+\s*/g, ' ').trim());
}

export interface CliIo {
  stdout: (text: string) => void;
  /** Raw bytes on stdout (`snapctl cat`), resolved once written or once the reader has gone. */
  stdoutBytes?: (bytes: Buffer) => Promise<void>;
  stderr: (text: string) => void;
  isInteractive: boolean;
  /** JSON for a person is indented; JSON for a pipe is one line (a third smaller, faster to write and parse). */
  stdoutIsTerminal?: boolean;
  /** A person watches stderr: a long snapshot shows how far it has got there, on one line rewritten in place. */
  stderrIsTerminal?: boolean;
  confirm: (question: string) => Promise<boolean>;
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Resolves when a long-running command (serve) should stop: Ctrl-C or SIGTERM in a terminal. */
  stopSignal: () => Promise<string>;
}

/** What a command's action may use: one per run of the CLI. */
export interface CommandContext {
  readonly io: CliIo;
  /** Created on first use, so `--help` and usage errors never open the store. */
  core(): ServiceContext;
  /** The folder a `--path` option names, resolved as the store records it; undefined when it was not given. */
  targetOf(dir: string | undefined): Promise<string | undefined>;
  json(value: unknown): void;
  reconcile(): Promise<void>;
  /** `snapctl run` passes its command's exit code through; every other command leaves 0. */
  setExitCode(code: number): void;
  /** Interrupted rollbacks that the recovery before `recover` could not finish; it fails on them. */
  readonly unfinishedRecoveries: number;
  /** What the recovery before `recover` did, for it to report (nothing is printed before). */
  readonly recoveries: readonly RecoveryReport[];
  /** The settings file (the folders' keepGit, schedules), read once. */
  settings(): Promise<Settings>;
  /** The parts of the settings file left out as invalid, each with how to fix it (status shows them). */
  settingsProblems(): Promise<string[]>;
  /**
   * A snapshot id as typed: whole, a unique beginning, or `latest` (of `--path`, else of the watched folder
   * holding the current directory).
   */
  idOf(input: string, pathOption?: string): Promise<string>;
  /** A folder named by `--path`, which may have been deleted (snapctl still knows it by its path). */
  knownTarget(dir: string): Promise<string>;
}

/** The context with the parts only main.ts writes or reads: the recovery's count and the exit code. */
export class CliContext implements CommandContext {
  exitCode = 0;
  /** The command being run, once its action starts. */
  command: string | null = null;
  unfinishedRecoveries = 0;
  recoveries: RecoveryReport[] = [];
  private loadedSettings: Promise<LoadedSettings> | undefined;
  /** Set for `status`, which shows the settings file's problems itself, on stdout. */
  settingsProblemsShown = false;
  private service: ServiceContext | undefined;
  private readonly metrics: CliMetrics;

  constructor(readonly io: CliIo) {
    this.metrics = new CliMetrics(io.env, io.stderr);
  }

  core(): ServiceContext {
    if (!this.service) {
      // The folder's excludes and limits come from the settings this command reads once, loaded only when a
      // snapshot or a preview asks for them.
      const policy = async (target: string): Promise<FolderPolicy> =>
        (await peekPolicy(this.core().layout.settingsFile, target)) ?? (await import('../core/state/settings.js')).policyOf(await this.settings(), target);
      this.service = new ServiceContext({ home: defaultHome(this.io.env), env: this.io.env, policy });
      // Every command that changes snapshots sends what the tray app sends, from here and nowhere else.
      this.metrics.observe(this.service);
    }
    return this.service;
  }

  async targetOf(dir: string | undefined): Promise<string | undefined> {
    return dir ? resolveFolder(this.core(), dir) : undefined;
  }

  settings(): Promise<Settings> {
    return this.loadSettings().then((l) => l.settings);
  }

  settingsProblems(): Promise<string[]> {
    return this.loadSettings().then((l) => l.problems);
  }

  private loadSettings(): Promise<LoadedSettings> {
    // Loaded on first use: the settings' schema (zod, node-cron) costs `snapctl list` its start-up goal.
    this.loadedSettings ??= import('../core/state/settings.js').then(({ SettingsStore }) => new SettingsStore(this.core().layout).load()).then((l) => {
      if (l.warning && !this.settingsProblemsShown) this.io.stderr(`snapctl: ${say(l.warning)}\n`);
      return l;
    });
    return this.loadedSettings;
  }

  knownTarget(dir: string): Promise<string> {
    return knownFolder(this.core(), dir);
  }

  async idOf(input: string, pathOption?: string): Promise<string> {
    let target: string | undefined;
    if (pathOption !== undefined) target = await this.knownTarget(pathOption);
    else if (input.trim() === 'latest') {
      // The watched folder the command runs in (the deepest one holding the current directory).
      const known = new Set([...(await listSnapshots(this.core())).map((s) => s.target), ...(await this.settings()).targets.map((t) => t.path)]);
      const cwd = await resolveFolder(this.core(), this.io.cwd).catch(() => this.io.cwd);
      target = [...known].filter((t) => isWithin(t, cwd)).sort((a, b) => b.length - a.length)[0];
      if (target === undefined) {
        const some = [...known].sort().slice(0, 3);
        throw usageError(`'latest' needs a folder: the current folder ${cwd} is not inside one snapctl snapshots`,
          some.length === 0 ? "no folder has a snapshot yet: 'snapctl create --path DIR' takes one" : `pass --path DIR, or run it inside ${some.join(', ')}${known.size > 3 ? ', …' : ''}`);
      }
    }
    return resolveId(this.core(), input, target ? { target } : {});
  }

  json(value: unknown): void {
    this.io.stdout(`${JSON.stringify(value, null, this.io.stdoutIsTerminal ? 2 : undefined)}\n`);
  }

  /** Marks snapshots the OS removed on its own; a failure to ask is a warning, not a failed listing. */
  async reconcile(): Promise<void> {
    try {
      const gone = await reconcile(this.core());
      if (gone.length > 0) this.io.stderr(`snapctl: ${plural(gone.length, 'snapshot')} ${gone.length === 1 ? 'was' : 'were'} removed by the system and ${gone.length === 1 ? 'is' : 'are'} marked vanished: ${gone.join(', ')}\n`);
    } catch (err) {
      this.io.stderr(`snapctl: could not check which snapshots still exist: ${say(describeError(err))}\n`);
    }
  }

  /** Before the process exits: the metrics of whatever this command changed (bounded; never fails). */
  async finishMetrics(): Promise<void> {
    await this.metrics.finish(this.service).catch(() => undefined);
  }

  setExitCode(code: number): void {
    this.exitCode = code;
  }

  /**
   * After a command that left an interrupted rollback unfinished (it never finishes another folder's): one line
   * each, with what to run. `status` and `recover` show them themselves; `serve` shows them in the popover.
   */
  async tellUnfinished(): Promise<void> {
    if (this.command === null || ['status', 'recover', 'serve'].includes(this.command) || !this.service) return;
    const service = this.service;
    const folders = await unfinishedTargets(service).catch(() => []);
    for (const target of folders) {
      const u = await unfinished(service, target).catch(() => null);
      this.io.stderr(`snapctl: ${say(u
        ? `the rollback of ${target} to ${u.snapshotLabel} is unfinished${u.error ? ` (${u.error})` : ' (it was interrupted)'}; the folder may be half restored: 'snapctl recover --path ${target}' finishes it, 'snapctl undo --path ${target}' returns it to how it was before`
        : `the rollback journal of ${target} is damaged; the folder may be half restored: 'snapctl recover --abandon --path ${target}' sets it aside`)}\n`);
    }
  }

  /** What the core mended on its own (a rebuilt index, a finished or removed interrupted snapshot). */
  tellNotices(): void {
    for (const notice of this.service?.takeNotices() ?? []) this.io.stderr(`snapctl: ${say(notice)}\n`);
  }
}
