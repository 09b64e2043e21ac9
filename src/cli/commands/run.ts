import { constants as fsConstants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import path from 'node:path';
import { Option, type Command } from 'commander';
import { describeError, usageError } from '../../core/base/errors.js';
import { TRIGGERS, toTag, type Trigger } from '../../shared/model.js';
import { say, type CommandContext } from '../context.js';
import { shownPath } from '../format.js';
import { createVia } from '../via-app.js';
import { setNote } from '../../core/service/note.js';

/** Why a command cannot run, with the exit code a shell gives for it (126: found but not runnable, 127: not found). */
interface Unrunnable { code: 126 | 127; why: string }

/**
 * Whether `cmd` names a file that can run: a path as given, else a name found on PATH (as the shell looks).
 * A file found without execute permission, or a folder given as the command, is 126 as in a shell; only a
 * command found nowhere is 127.
 */
async function unrunnable(cmd: string, cwd: string, env: NodeJS.ProcessEnv): Promise<Unrunnable | null> {
  const look = async (file: string): Promise<'runs' | 'not-executable' | 'folder' | 'missing'> => {
    const st = await stat(file).catch(() => null);
    if (st === null) return 'missing';
    if (st.isDirectory()) return 'folder';
    if (!st.isFile()) return 'missing';
    return (await access(file, fsConstants.X_OK).then(() => true, () => false)) ? 'runs' : 'not-executable';
  };
  if (cmd.includes('/')) {
    const file = path.resolve(cwd, cmd);
    switch (await look(file)) {
      case 'runs': return null;
      case 'folder': return { code: 126, why: 'is a folder, not a command' };
      case 'not-executable': return { code: 126, why: `is not executable (chmod +x ${cmd} lets it run)` };
      case 'missing': return { code: 127, why: 'command not found (no such executable file)' };
    }
  }
  // As bash: the first executable file on PATH runs; a name found only without execute permission is 126.
  let notExecutable: string | null = null;
  for (const dir of (env['PATH'] ?? '').split(path.delimiter)) {
    const file = path.resolve(cwd, dir === '' ? '.' : dir, cmd);
    const found = await look(file);
    if (found === 'runs') return null;
    if (found === 'not-executable') notExecutable ??= file;
  }
  if (notExecutable !== null) return { code: 126, why: `${notExecutable} is not executable (chmod +x ${notExecutable} lets it run)` };
  return { code: 127, why: 'command not found (not on PATH)' };
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
      const cannot = await unrunnable(cmd, io.cwd, io.env);
      if (cannot) {
        io.stderr(`snapctl: ${say(cmd)}: ${say(cannot.why)}; nothing was snapshotted\n`);
        ctx.setExitCode(cannot.code);
        return;
      }
      const shown = toTag(command.join(' '));
      const trigger = o.trigger ?? (PACKAGE_MANAGERS.has(path.basename(cmd)) ? 'npm-install' : 'manual');
      let id: string | null = null;
      try {
        const record = await createVia(ctx, { path: o.path ?? io.cwd, tag: o.tag ?? shown, trigger, note: `before: ${shown}` });
        id = record.id;
        io.stderr(`snapctl: snapshot ${record.id} taken; undo this command with 'snapctl rollback ${record.id}'\n`);
        // What the snapshot left out, a rollback cannot put back: an install into an excluded node_modules stays.
        const left = [...(record.excluded?.patterns ?? []), ...(record.excluded?.cacheDirs ?? []).map((d) => `${d}/ (a cache folder)`)];
        if (left.length > 0) io.stderr(`snapctl: note: it leaves out ${left.slice(0, 4).map((p) => shownPath(p)).join(', ')}${left.length > 4 ? ` and ${left.length - 4} more` : ''} (the folder's excludes): what the command changes there, the rollback does not undo\n`);
      } catch (err) {
        if (o.strict) throw err;
        io.stderr(`snapctl: WARNING: no snapshot was taken (${say(describeError(err))}); running the command anyway\n`);
      }
      // child_process is loaded here, not at start-up: most commands never spawn.
      const { runPassingThrough } = await import('../passthrough.js');
      const started = Date.now();
      const result = await runPassingThrough(cmd, args, io.cwd, io.env);
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      if (id) await setNote(ctx.core(), id, `before: ${shown} (${result.describe} after ${seconds} s)`).catch(() => undefined);
      ctx.setExitCode(result.exitCode);
    });
}
