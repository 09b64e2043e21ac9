import type { Command } from 'commander';
import { describeError } from '../../core/base/errors.js';
import { installLayout } from '../../core/base/install.js';
import type * as GitHooks from '../../core/triggers/git-hooks.js';
import type { ToolRunner } from '../../core/providers/tools.js';
import type { CommandContext } from '../context.js';

interface InstallOptions { repo: string; path?: string }
interface UninstallOptions { repo: string }
interface RunOptions { path: string }

export function registerHook(program: Command, ctx: CommandContext): void {
  const { io } = ctx;
  /** The git-hook code and a tool runner, loaded only by the hook commands. */
  const gitHooks = async (): Promise<{ hooks: typeof GitHooks; tools: ToolRunner }> => {
    const [hooks, { ToolRunner }] = await Promise.all([import('../../core/triggers/git-hooks.js'), import('../../core/providers/tools.js')]);
    return { hooks, tools: new ToolRunner({ env: io.env }) };
  };
  const hook = program.command('hook').description('git hooks that take a snapshot after each commit and before a rebase or merge');
  hook.command('install')
    .description('install the hooks in a repository, chaining any hook already there')
    .requiredOption('-r, --repo <dir>', 'the git repository')
    .option('-p, --path <dir>', 'the folder to snapshot (default: the work tree)')
    .action(async (o: InstallOptions) => {
      const { hooks, tools } = await gitHooks();
      const { hooksDir, top } = await hooks.gitPaths(o.repo, tools);
      const target = await ctx.core().resolveTarget(o.path ?? top);
      for (const c of await hooks.installHooks(hooksDir, { executable: process.execPath, script: installLayout().cliScript }, target)) {
        io.stdout(`${c.action} ${c.file}${c.action === 'chained' ? ` (the previous hook runs first, kept as ${c.hook}${hooks.ORIGINAL_SUFFIX})` : ''}\n`);
      }
      io.stdout(`commits in ${top} now snapshot ${target} (trigger git-commit); a failed snapshot never blocks git\n`);
    });
  hook.command('uninstall')
    .description("remove snapctl's hooks and put back the ones they chained")
    .requiredOption('-r, --repo <dir>', 'the git repository')
    .action(async (o: UninstallOptions) => {
      const { hooks, tools } = await gitHooks();
      const { hooksDir } = await hooks.gitPaths(o.repo, tools);
      for (const c of await hooks.uninstallHooks(hooksDir)) io.stdout(`${c.action === 'absent' ? 'no snapctl hook at' : c.action} ${c.file}\n`);
    });
  hook.command('run', { hidden: true })
    .description('called by the installed hooks; never fails, so git is never blocked')
    .argument('<hook>', 'post-commit, pre-rebase or pre-merge-commit')
    .requiredOption('-p, --path <dir>', 'the folder to snapshot')
    .action(async (name: string, o: RunOptions) => {
      try {
        const { hooks, tools } = await gitHooks();
        const tag = name === 'post-commit' ? await hooks.commitTag(o.path, tools) : name === 'pre-rebase' ? 'before rebase' : 'before merge';
        const record = await ctx.core().create({ path: o.path, tag, trigger: 'git-commit', note: `git ${name}` });
        io.stdout(`snapctl: ${record.id} (${tag})\n`);
      } catch (err) {
        io.stderr(`snapctl: the ${name} snapshot failed, git goes on: ${describeError(err)}\n`);
      }
    });
}
