import { Command, CommanderError } from 'commander';
import { SnapctlError, describeError } from '../core/base/errors.js';
import { installLayout } from '../core/base/install.js';
import { CliContext, say, type CliIo, type CommandContext } from './context.js';
import { registerCount } from './commands/count.js';
import { registerCreate } from './commands/create.js';
import { registerDelete } from './commands/delete.js';
import { registerDiff } from './commands/diff.js';
import { registerHook } from './commands/hook.js';
import { registerInfo } from './commands/info.js';
import { registerList } from './commands/list.js';
import { registerPrune } from './commands/prune.js';
import { registerRecover } from './commands/recover.js';
import { registerRollback } from './commands/rollback.js';
import { registerRun } from './commands/run.js';
import { registerServe } from './commands/serve.js';
import { registerStatus } from './commands/status.js';
import { registerUndo } from './commands/undo.js';
import { registerVerify } from './commands/verify.js';
import { registerCat } from './commands/cat.js';
import { registerFind } from './commands/find.js';
import { registerHistory } from './commands/history.js';
import { registerRestore } from './commands/restore.js';
import { finishInterruptedCreates, recover } from '../core/service/recovery.js';

export type { CliIo } from './context.js';

const defaultIo = (): CliIo => ({
  stdout: (t) => { process.stdout.write(t); },
  stdoutBytes: (bytes) => new Promise((resolve, reject) => {
    // A reader that stops early (`| head`, `less` quit) closes the pipe: that is the end, not a failure.
    process.stdout.once('error', (err: NodeJS.ErrnoException) => (err.code === 'EPIPE' ? resolve() : reject(err)));
    process.stdout.write(bytes, (err) => (err && (err as NodeJS.ErrnoException).code !== 'EPIPE' ? reject(err) : resolve()));
  }),
  stderr: (t) => { process.stderr.write(t); },
  // Getters and a lazy readline: opening stdin and loading readline cost every command a few ms at start-up,
  // and only a rollback or undo without --yes asks anything.
  get isInteractive() { return Boolean(process.stdin.isTTY && process.stdout.isTTY); },
  get stdoutIsTerminal() { return process.stdout.isTTY === true; },
  get stderrIsTerminal() { return process.stderr.isTTY === true; },
  confirm: async (question) => {
    const { createInterface } = await import('node:readline/promises');
    const rl = createInterface({ input: process.stdin, output: process.stdout });
    try {
      return /^y(es)?$/i.test((await rl.question(`${question} [y/N] `)).trim());
    } finally {
      rl.close();
    }
  },
  cwd: process.cwd(),
  env: process.env,
  stopSignal: () => new Promise((resolve) => {
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(signal, () => resolve(signal));
  }),
});

/** In the order `snapctl --help` lists them. */
const COMMANDS: readonly ((program: Command, ctx: CommandContext) => void)[] = [
  registerStatus, registerCreate, registerList, registerInfo, registerCount, registerDelete, registerDiff, registerRollback,
  registerUndo, registerHistory, registerFind, registerCat, registerRestore, registerRecover, registerVerify, registerPrune, registerHook, registerRun, registerServe,
];

/**
 * What every command does first. A create killed part way is finished or cleaned up (the store only, said on
 * stderr; a failure there is told, never the command's). Interrupted rollbacks are finished only by `recover`
 * and by the commands that work on their folder (create, rollback, undo, restore, run), under its lock: a
 * read-only command never changes a folder, and one rollback that cannot be finished never slows or blocks a
 * command on another folder. The others say it is unfinished afterwards (tellUnfinished).
 */
async function beforeCommand(ctx: CliContext, command: string): Promise<void> {
  ctx.command = command;
  ctx.settingsProblemsShown = command === 'status';
  if (command === 'recover') {
    const reports = await recover(ctx.core());
    ctx.recoveries = reports;
    ctx.unfinishedRecoveries = reports.filter((r) => r.outcome === 'failed').length;
  } else {
    await finishInterruptedCreates(ctx.core()).catch((err: unknown) => {
      ctx.io.stderr(`snapctl: could not finish what an interrupted snapshot left yet: ${say(describeError(err))}\n`);
    });
  }
  ctx.tellNotices();
}

export function createProgram(ctx: CliContext): Command {
  const { io } = ctx;
  const program = new Command('snapctl')
    .description('Snapshot folders before risky moments and roll back in one step; every rollback can be undone.')
    .version(installLayout().version)
    .showSuggestionAfterError(true)
    .enablePositionalOptions()
    .exitOverride()
    .configureOutput({
      writeOut: io.stdout,
      writeErr: io.stderr,
      // Commander's own messages hold line breaks ("unknown command 'lst'\n(Did you mean list?)"): one line.
      outputError: (text, write) => write(`snapctl: ${say(text.replace(/^error: /, ''))} (see 'snapctl --help')\n`),
    });
  program.hook('preAction', (_program, action) => beforeCommand(ctx, action.name()));
  for (const register of COMMANDS) register(program, ctx);
  return program;
}

/** Exit codes: 0 success, 1 the operation failed, 2 the command was used wrongly. */
export async function run(argv: string[], io: CliIo = defaultIo()): Promise<number> {
  const ctx = new CliContext(io);
  try {
    await createProgram(ctx).parseAsync(argv, { from: 'user' });
    ctx.tellNotices();
    await ctx.tellUnfinished();
    await ctx.finishMetrics();
    return ctx.exitCode;
  } catch (err) {
    ctx.tellNotices();
    await ctx.finishMetrics();
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return 0;
      return 2; // commander already printed the one-line message
    }
    io.stderr(`snapctl: ${say(describeError(err))}\n`);
    return err instanceof SnapctlError && err.kind === 'usage' ? 2 : 1;
  }
}
