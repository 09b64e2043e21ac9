import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { SnapctlError, describeError, usageError } from '../core/base/errors.js';
import { defaultHome } from '../core/state/paths.js';
import { PROVIDER_NAMES, TRIGGERS, toTag, type ProviderName, type Trigger } from '../shared/model.js';
import { SnapshotService } from '../core/service/service.js';
import { scopeWithin } from '../core/service/targets.js';
import { diffText, humanBytes, rollbackPreview, snapshotTable } from './format.js';

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  isInteractive: boolean;
  /** JSON for a person is indented; JSON for a pipe is one line (a third smaller, faster to write and parse). */
  stdoutIsTerminal?: boolean;
  confirm: (question: string) => Promise<boolean>;
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Resolves when a long-running command (serve) should stop: Ctrl-C or SIGTERM in a terminal. */
  stopSignal: () => Promise<string>;
}

const defaultIo = (): CliIo => ({
  stdout: (t) => { process.stdout.write(t); },
  stderr: (t) => { process.stderr.write(t); },
  // Getters and a lazy readline: opening stdin and loading readline cost every command a few ms at start-up,
  // and only a rollback or undo without --yes asks anything.
  get isInteractive() { return Boolean(process.stdin.isTTY && process.stdout.isTTY); },
  get stdoutIsTerminal() { return process.stdout.isTTY === true; },
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

/** Errors can quote what the user typed; control characters are escaped so the error stays one line. */
function oneLine(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f]/g, (c) => JSON.stringify(c).slice(1, -1)); // eslint-disable-line no-control-regex
}

const PACKAGE_MANAGERS = new Set(['npm', 'pnpm', 'yarn', 'bun', 'npx']);
/** This CLI's launcher, for hooks to call: bin/snapctl.js, three levels above dist/src/cli(-bundle). */
const SELF = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'bin', 'snapctl.js');

function parsePort(value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65_535) throw new InvalidArgumentError('a port is a number from 0 to 65535');
  return port;
}

/** Exit codes: 0 success, 1 the operation failed, 2 the command was used wrongly. */
export async function run(argv: string[], io: CliIo = defaultIo()): Promise<number> {
  let service: SnapshotService | undefined;
  const core = (): SnapshotService => (service ??= new SnapshotService({ home: defaultHome(io.env), env: io.env }));
  /** Marks snapshots the OS removed on its own; a failure to ask is a warning, not a failed listing. */
  const reconcile = async (): Promise<void> => {
    try {
      const gone = await core().reconcile();
      if (gone.length > 0) io.stderr(`snapctl: ${gone.length} snapshot(s) were removed by the system and are marked vanished: ${gone.join(', ')}\n`);
    } catch (err) {
      io.stderr(`snapctl: could not check which snapshots still exist: ${describeError(err)}\n`);
    }
  };
  const json = (value: unknown): void => io.stdout(`${JSON.stringify(value, null, io.stdoutIsTerminal ? 2 : undefined)}\n`);
  /** `snapctl run` passes its command's exit code through. */
  let exitCode = 0;

  const program = new Command('snapctl')
    .description('Snapshot folders before risky moments and roll back in one step; every rollback can be undone.')
    .version('0.1.0')
    .showSuggestionAfterError(true)
    .enablePositionalOptions()
    .exitOverride()
    .configureOutput({
      writeOut: io.stdout,
      writeErr: io.stderr,
      outputError: (text, write) => write(`snapctl: ${oneLine(text.replace(/^error: /, '').trimEnd())} (see 'snapctl --help')\n`),
    });
  let unfinished = 0;
  program.hook('preAction', async () => {
    // Finish any rollback a crash interrupted before doing anything else with the store.
    for (const r of await core().recover()) {
      if (r.outcome === 'failed') unfinished++;
      io.stderr(r.outcome === 'finished'
        ? `snapctl: finished an interrupted rollback of ${r.target} to ${r.snapshotId} (undo restores the state before it: ${r.safetyId})\n`
        : `snapctl: ${r.error ?? `could not finish the interrupted rollback of ${r.target}`}\n`);
    }
  });

  program.command('create')
    .description('take a snapshot of a folder')
    .requiredOption('-p, --path <dir>', 'the folder to snapshot')
    .option('-t, --tag <text>', 'a label to find it by (stored as plain text)')
    .addOption(new Option('--trigger <trigger>', 'what asked for it').choices(TRIGGERS).default('manual'))
    .addOption(new Option('--provider <name>', 'snapshot technology (auto: the filesystem\'s own snapshots where the folder has them, else clone)').choices(['auto', ...PROVIDER_NAMES]).default('auto'))
    .option('--note <text>', 'a longer note, e.g. the command that follows')
    .option('--json', 'print the record as JSON')
    .action(async (o: { path: string; tag?: string; trigger: Trigger; provider: ProviderName | 'auto'; note?: string; json?: boolean }) => {
      const record = await core().create({ path: o.path, tag: o.tag ?? null, trigger: o.trigger, provider: o.provider, note: o.note ?? null });
      // Paths not kept as they were are named, so a skipped file is never a surprise at rollback time.
      for (const p of record.problems.slice(0, 20)) io.stderr(`snapctl: not kept as it was: ${JSON.stringify(p.path)}: ${p.reason}\n`);
      if (record.problems.length > 20) io.stderr(`snapctl: … and ${record.problems.length - 20} more paths not kept as they were (see --json)\n`);
      if (o.json) json(record);
      else io.stdout(record.provider === 'clone'
        ? `created ${record.id}: ${record.files} files, ${humanBytes(record.size)} (${humanBytes(record.addedBytes)} new) of ${record.target}\n`
        : `created ${record.id}: ${record.provider} snapshot of ${record.target}\n`);
    });

  program.command('list')
    .description('list snapshots, newest first')
    .option('-p, --path <dir>', 'only snapshots of this folder')
    .option('--json', 'print JSON')
    .action(async (o: { path?: string; json?: boolean }) => {
      const target = o.path ? await core().resolveTarget(o.path) : undefined;
      await reconcile();
      const records = await core().list(target ? { target } : {});
      if (o.json) json(records);
      else io.stdout(snapshotTable(records));
    });

  program.command('info')
    .description('say which snapshot provider snapctl would use for a folder, and why')
    .requiredOption('-p, --path <dir>', 'the folder')
    .option('--json', 'print JSON')
    .action(async (o: { path: string; json?: boolean }) => {
      const choice = await core().info(o.path);
      if (o.json) { json(choice); return; }
      io.stdout(`${choice.target}: ${choice.chosen}\n`);
      for (const r of choice.reports) io.stdout(`  ${r.name === choice.chosen ? '*' : r.usable ? '+' : '-'} ${r.name.padEnd(6)} ${r.reason}\n`);
    });

  program.command('count')
    .description('print how many snapshots there are')
    .option('-p, --path <dir>', 'only snapshots of this folder')
    .action(async (o: { path?: string }) => {
      const target = o.path ? await core().resolveTarget(o.path) : undefined;
      io.stdout(`${(await core().list(target ? { target } : {})).length}\n`);
    });

  program.command('delete')
    .description('delete a snapshot and free the space only it uses')
    .argument('<id>', 'snapshot id')
    .option('--json', 'print the deleted record as JSON')
    .action(async (id: string, o: { json?: boolean }) => {
      const record = await core().delete(id);
      if (o.json) json(record);
      else io.stdout(`deleted ${record.id}\n`);
    });

  program.command('diff')
    .description('show what changed in the folder since a snapshot')
    .argument('<id>', 'snapshot id')
    .option('--only <paths...>', 'only these paths inside the folder')
    .option('--json', 'print {added, removed, modified} as JSON')
    .action(async (id: string, o: { only?: string[]; json?: boolean }) => {
      const record = await core().get(id);
      const diff = await core().diff(id, scopeWithin(record.target, o.only ?? [], io.cwd));
      if (o.json) json(diff);
      else io.stdout(diffText(diff));
    });

  program.command('rollback')
    .description('restore a folder (or some paths in it) to a snapshot; the current state is kept first, so it can be undone')
    .argument('<id>', 'snapshot id')
    .option('--only <paths...>', 'restore only these paths inside the folder')
    .option('-y, --yes', 'do not ask for confirmation')
    .option('--json', 'print the result as JSON (it names the safety snapshot)')
    .action(async (id: string, o: { only?: string[]; yes?: boolean; json?: boolean }) => {
      const record = await core().get(id);
      const paths = scopeWithin(record.target, o.only ?? [], io.cwd);
      if (!o.yes) {
        if (!io.isInteractive) throw usageError('rollback changes files and needs confirmation', 'pass --yes to roll back without a prompt');
        io.stdout(rollbackPreview(await core().diff(id, paths)));
        if (!(await io.confirm(`roll back ${record.target} to ${record.id}?`))) { io.stdout('nothing changed\n'); return; }
      }
      const result = await core().rollback(id, { paths });
      if (o.json) json(result);
      else io.stdout(`rolled back ${result.snapshot.target} to ${result.snapshot.id} (${result.restored.written} written, ${result.restored.removed} removed); undo with 'snapctl undo' (safety snapshot ${result.safety.id})\n`);
    });

  program.command('undo')
    .description('revert the last rollback, restoring the state just before it')
    .option('-p, --path <dir>', 'the last rollback of this folder')
    .option('-y, --yes', 'do not ask for confirmation')
    .option('--json', 'print the result as JSON')
    .action(async (o: { path?: string; yes?: boolean; json?: boolean }) => {
      const target = o.path ? await core().resolveTarget(o.path) : undefined;
      if (!o.yes) {
        if (!io.isInteractive) throw usageError('undo changes files and needs confirmation', 'pass --yes to undo without a prompt');
        const last = await core().lastRollback();
        if (!(await io.confirm(`undo the last rollback${last ? ` of ${last.target}` : ''}?`))) { io.stdout('nothing changed\n'); return; }
      }
      const result = await core().undo(target ? { target } : {});
      if (o.json) json(result);
      else io.stdout(`restored ${result.snapshot.target} to the state before the last rollback (${result.snapshot.id}); the undone state is kept as ${result.safety.id}\n`);
    });

  program.command('recover')
    .description('finish interrupted rollbacks now (every command does this first), or give up one that cannot be finished')
    .option('--abandon', "give up the interrupted rollback of --path (its safety snapshot keeps the state before)")
    .option('-p, --path <dir>', 'the folder, with --abandon')
    .action(async (o: { abandon?: boolean; path?: string }) => {
      if (!o.abandon) {
        // The preAction hook has just tried every interrupted rollback and said how each ended.
        if (unfinished > 0) throw new SnapctlError('busy', `${unfinished} interrupted rollback(s) could not be finished`, 'see above for each, and how to give it up');
        io.stdout('no interrupted rollback is left unfinished\n');
        return;
      }
      if (!o.path) throw usageError('--abandon needs --path DIR', 'name the folder whose interrupted rollback to give up');
      const dropped = await core().abandonRecovery(o.path);
      if (!dropped) { io.stdout(`no interrupted rollback of ${o.path}\n`); return; }
      io.stdout(`gave up the interrupted rollback of ${dropped.target} to ${dropped.snapshotId}; the folder may be partly restored: 'snapctl rollback ${dropped.safetyId} --yes' returns it to the state before\n`);
    });

  program.command('prune')
    .description("delete snapshots the retention policy no longer keeps (each folder's policy from settings)")
    .option('-p, --path <dir>', 'only this folder')
    .option('-n, --dry-run', 'show what would be deleted, delete nothing')
    .option('--json', 'print the plan as JSON')
    .action(async (o: { path?: string; dryRun?: boolean; json?: boolean }) => {
      const target = o.path ? await core().resolveTarget(o.path) : undefined;
      const { SettingsStore, retentionPolicyFor } = await import('../core/state/settings.js');
      const loaded = await new SettingsStore(core().layout).load();
      if (loaded.warning) io.stderr(`snapctl: ${loaded.warning}\n`);
      const results = await core().prune((t) => retentionPolicyFor(loaded.settings, t), { ...(target ? { target } : {}), dryRun: o.dryRun ?? false });
      if (o.json) { json(results); return; }
      for (const r of results) {
        io.stdout(`${r.target}: keep ${r.keep.length}, ${r.dryRun ? 'would delete' : 'deleted'} ${r.drop.length}\n`);
        for (const id of r.drop) io.stdout(`  ${r.dryRun ? 'would delete' : 'deleted'} ${id}\n`);
      }
      if (results.length === 0) io.stdout('no snapshots\n');
    });

  /** The git-hook code and a tool runner, loaded only by the hook commands. */
  const gitHooks = async (): Promise<{ hooks: typeof import('../core/triggers/git-hooks.js'); tools: import('../core/providers/tools.js').ToolRunner }> => {
    const [hooks, { ToolRunner }] = await Promise.all([import('../core/triggers/git-hooks.js'), import('../core/providers/tools.js')]);
    return { hooks, tools: new ToolRunner({ env: io.env }) };
  };
  const hook = program.command('hook').description('git hooks that take a snapshot after each commit and before a rebase or merge');
  hook.command('install')
    .description('install the hooks in a repository, chaining any hook already there')
    .requiredOption('-r, --repo <dir>', 'the git repository')
    .option('-p, --path <dir>', 'the folder to snapshot (default: the work tree)')
    .action(async (o: { repo: string; path?: string }) => {
      const { hooks, tools } = await gitHooks();
      const { hooksDir, top } = await hooks.gitPaths(o.repo, tools);
      const target = await core().resolveTarget(o.path ?? top);
      for (const c of await hooks.installHooks(hooksDir, { executable: process.execPath, script: SELF }, target)) {
        io.stdout(`${c.action} ${c.file}${c.action === 'chained' ? ` (the previous hook runs first, kept as ${c.hook}${hooks.ORIGINAL_SUFFIX})` : ''}\n`);
      }
      io.stdout(`commits in ${top} now snapshot ${target} (trigger git-commit); a failed snapshot never blocks git\n`);
    });
  hook.command('uninstall')
    .description("remove snapctl's hooks and put back the ones they chained")
    .requiredOption('-r, --repo <dir>', 'the git repository')
    .action(async (o: { repo: string }) => {
      const { hooks, tools } = await gitHooks();
      const { hooksDir } = await hooks.gitPaths(o.repo, tools);
      for (const c of await hooks.uninstallHooks(hooksDir)) io.stdout(`${c.action === 'absent' ? 'no snapctl hook at' : c.action} ${c.file}\n`);
    });
  hook.command('run', { hidden: true })
    .description('called by the installed hooks; never fails, so git is never blocked')
    .argument('<hook>', 'post-commit, pre-rebase or pre-merge-commit')
    .requiredOption('-p, --path <dir>', 'the folder to snapshot')
    .action(async (name: string, o: { path: string }) => {
      try {
        const { hooks, tools } = await gitHooks();
        const tag = name === 'post-commit' ? await hooks.commitTag(o.path, tools) : name === 'pre-rebase' ? 'before rebase' : 'before merge';
        const record = await core().create({ path: o.path, tag, trigger: 'git-commit', note: `git ${name}` });
        io.stdout(`snapctl: ${record.id} (${tag})\n`);
      } catch (err) {
        io.stderr(`snapctl: the ${name} snapshot failed, git goes on: ${describeError(err)}\n`);
      }
    });

  program.command('run')
    .description('take a snapshot, then run a command (e.g. npm install) with its output and exit code passed through')
    .argument('<command...>', 'the command and its arguments, after --')
    .option('-t, --tag <text>', 'tag for the snapshot (default: the command)')
    .option('-p, --path <dir>', 'the folder to snapshot (default: the current folder)')
    .addOption(new Option('--trigger <trigger>', 'what asked for it (default: npm-install for package managers, else manual)').choices(TRIGGERS))
    .option('--strict', 'do not run the command if the snapshot fails')
    .passThroughOptions()
    .action(async (command: string[], o: { tag?: string; path?: string; trigger?: Trigger; strict?: boolean }) => {
      const [cmd, ...args] = command;
      if (!cmd) throw usageError('no command to run', "put it after --, e.g. snapctl run -- npm install");
      const shown = toTag(command.join(' '));
      const trigger = o.trigger ?? (PACKAGE_MANAGERS.has(path.basename(cmd)) ? 'npm-install' : 'manual');
      let id: string | null = null;
      try {
        const record = await core().create({ path: o.path ?? io.cwd, tag: o.tag ?? shown, trigger, note: `before: ${shown}` });
        id = record.id;
        io.stderr(`snapctl: snapshot ${record.id} taken; undo this command with 'snapctl rollback ${record.id}'\n`);
      } catch (err) {
        if (o.strict) throw err;
        io.stderr(`snapctl: WARNING: no snapshot was taken (${describeError(err)}); running the command anyway\n`);
      }
      const { runPassingThrough } = await import('./passthrough.js');
      const started = Date.now();
      const result = await runPassingThrough(cmd, args, io.cwd, io.env);
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      if (id) await core().setNote(id, `before: ${shown} (${result.describe} after ${seconds} s)`).catch(() => undefined);
      exitCode = result.exitCode;
    });

  program.command('serve')
    .description('run the scheduler and serve the popover on 127.0.0.1 for hosts without a desktop (Ctrl-C stops it)')
    .option('-p, --path <dir>', 'watch this folder (added to the settings if it is not there yet)')
    .option('--port <n>', 'port on 127.0.0.1 (default: a free one)', parsePort, 0)
    .option('--json', 'print the URLs and token as one JSON line, for scripts')
    .action(async (o: { path?: string; port: number; json?: boolean }) => {
      const { serveHeadless } = await import('./serve.js');
      await serveHeadless({ home: core().layout.root, path: o.path ?? null, port: o.port, json: o.json ?? false, io, until: io.stopSignal });
    });

  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return 0;
      return 2; // commander already printed the one-line message
    }
    io.stderr(`snapctl: ${oneLine(describeError(err))}\n`);
    return err instanceof SnapctlError && err.kind === 'usage' ? 2 : 1;
  }
}
