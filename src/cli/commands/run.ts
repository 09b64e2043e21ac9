import { constants as fsConstants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import path from 'node:path';
import { Option, type Command } from 'commander';
import { describeError, usageError } from '../../core/base/errors.js';
import { TRIGGERS, toTag, type Trigger } from '../../shared/model.js';
import { say, type CommandContext } from '../context.js';

/** Whether `cmd` names an executable file: a path as given, else a name found on PATH (as the shell looks). */
async function findCommand(cmd: string, cwd: string, env: NodeJS.ProcessEnv): Promise<boolean> {
  const isExecutable = async (file: string): Promise<boolean> => {
    const st = await stat(file).catch(() => null);
    return st !== null && st.isFile() && (await access(file, fsConstants.X_OK).then(() => true, () => false));
  };
  if (cmd.includes('/')) return isExecutable(path.resolve(cwd, cmd));
  for (const dir of (env['PATH'] ?? '').split(path.delimiter)) {
    if (await isExecutable(path.resolve(cwd, dir === '' ? '.' : dir, cmd))) return true;
  }
  return false;
}

interface RunOptions { tag?: string; path?: string; trigger?: Trigger; strict?: boolean }

const PACKAGE_MANAGERS = new Set(['npm', 'pnpm', 'yarn', 'bun', 'npx']);

export function registerRun(program: Command, ctx: CommandContext): void {
  const { io } = ctx;
  program.command('run')
    .description('take a snapshot, then run a command (e.g. npm install) with its output and exit code passed through')
    .argument('<command...>', 'the command and its arguments, after --')
    .option('-t, --tag <text>', 'tag for the snapshot (default: the command)')
    .option('-p, --path <dir>', 'the folder to snapshot (default: the current folder)')
    .addOption(new Option('--trigger <trigger>', 'what asked for it (default: npm-install for package managers, else manual)').choices(TRIGGERS))
    .option('--strict', 'do not run the command if the snapshot fails')
    .passThroughOptions()
    .action(async (command: string[], o: RunOptions) => {
      const [cmd, ...args] = command;
      if (!cmd) throw usageError('no command to run', "put it after --, e.g. snapctl run -- npm install");
      // A command that cannot run is found before a snapshot is taken for it: nothing is created.
      if (!(await findCommand(cmd, io.cwd, io.env))) {
        io.stderr(`snapctl: ${say(cmd)}: command not found (${cmd.includes('/') ? 'no such executable file' : 'not on PATH'}); nothing was snapshotted\n`);
        ctx.setExitCode(127);
        return;
      }
      const shown = toTag(command.join(' '));
      const trigger = o.trigger ?? (PACKAGE_MANAGERS.has(path.basename(cmd)) ? 'npm-install' : 'manual');
      let id: string | null = null;
      try {
        const record = await ctx.core().create({ path: o.path ?? io.cwd, tag: o.tag ?? shown, trigger, note: `before: ${shown}` });
        id = record.id;
        io.stderr(`snapctl: snapshot ${record.id} taken; undo this command with 'snapctl rollback ${record.id}'\n`);
      } catch (err) {
        if (o.strict) throw err;
        io.stderr(`snapctl: WARNING: no snapshot was taken (${describeError(err)}); running the command anyway\n`);
      }
      // child_process is loaded here, not at start-up: most commands never spawn.
      const { runPassingThrough } = await import('../passthrough.js');
      const started = Date.now();
      const result = await runPassingThrough(cmd, args, io.cwd, io.env);
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      if (id) await ctx.core().setNote(id, `before: ${shown} (${result.describe} after ${seconds} s)`).catch(() => undefined);
      ctx.setExitCode(result.exitCode);
    });
}
