import type { Command } from 'commander';
import { describeError } from '../../core/base/errors.js';
import { installLayout } from '../../core/base/install.js';
import type * as GitHooks from '../../core/triggers/git-hooks.js';
import type { ToolRunner } from '../../core/providers/tools.js';
import { say, type CommandContext } from '../context.js';
import { shownPath } from '../format.js';
import { createVia } from '../via-app.js';
import { resolveFolder } from '../../core/service/queries.js';

interface InstallOptions { repo: string; path?: string }
interface UninstallOptions { repo: string }
interface RunOptions { path?: string }

export function registerHook(program: Command, ctx: CommandContext): void {
  const { io } = ctx;
  /** The git-hook code, loaded only by the hook commands; git asked without the caller's GIT_* variables. */
  const gitHooks = async (): Promise<{ hooks: typeof GitHooks; deps: GitHooks.HookDeps; ToolRunner: typeof ToolRunner }> => {
    const [hooks, { ToolRunner }] = await Promise.all([import('../../core/triggers/git-hooks.js'), import('../../core/providers/tools.js')]);
    return { hooks, deps: { home: ctx.core().layout.root, git: hooks.plainGit(io.env) }, ToolRunner };
  };
  /** "the hooks in DIR also serve …": said whenever the folder is not the repository's own. */
  const sharedNote = (r: GitHooks.RepoPaths & { sharing: string[] }): string => {
    if (r.ownHooks && r.sharing.length === 0) return '';
    const why = r.ownHooks ? 'linked worktrees share it' : 'core.hooksPath points git there';
    const others = r.sharing.length > 0 ? `; also installed for ${r.sharing.map((t) => shownPath(t)).join(', ')}` : '';
    return `the hooks folder ${shownPath(r.hooksDir)} can serve other repositories (${why}): its hooks snapshot only those where 'snapctl hook install' ran${others}\n`;
  };
  const hook = program.command('hook').description('git hooks that take a snapshot after each commit and before a rebase or merge');
  hook.command('install')
    .description('install the hooks in a repository, chaining any hook already there')
    .requiredOption('-r, --repo <dir>', 'the git repository')
    .option('-p, --path <dir>', 'the folder to snapshot (default: the work tree)')
    .action(async (o: InstallOptions) => {
      const { hooks, deps } = await gitHooks();
      const command = { executable: process.execPath, script: installLayout().cliScript };
      const r = await hooks.installFor(o.repo, (top) => resolveFolder(ctx.core(), o.path ?? top), command, deps);
      for (const c of r.changes) {
        io.stdout(`${c.action} ${shownPath(c.file)}${c.action === 'chained' ? ` (the previous hook runs first, kept as ${c.hook}${hooks.ORIGINAL_SUFFIX})` : ''}\n`);
      }
      io.stdout(sharedNote(r));
      io.stdout(`commits in ${shownPath(r.top)} now snapshot ${shownPath(r.target)} (trigger git-commit); a failed snapshot never blocks git\n`);
    });
  hook.command('uninstall')
    .description("stop this repository's commits taking snapshots: remove snapctl's hooks and put back the ones they chained, unless another repository uses them")
    .requiredOption('-r, --repo <dir>', 'the git repository')
    .action(async (o: UninstallOptions) => {
      const { hooks, deps } = await gitHooks();
      const r = await hooks.uninstallFor(o.repo, deps);
      if (r.sharing.length > 0) {
        io.stdout(`kept the hooks in ${shownPath(r.hooksDir)}: ${r.sharing.map((t) => shownPath(t)).join(', ')} ${r.sharing.length === 1 ? 'uses' : 'use'} them too\n`);
      } else {
        for (const c of r.changes) io.stdout(`${c.action === 'absent' ? 'no snapctl hook at' : c.action} ${shownPath(c.file)}\n`);
      }
      io.stdout(`commits in ${shownPath(r.top)} no longer take snapshots\n`);
    });
  hook.command('run', { hidden: true })
    .description('called by the installed hooks; never fails, so git is never blocked')
    .argument('<hook>', 'post-commit, pre-rebase or pre-merge-commit')
    // Hooks written by earlier versions name their folder; today's hooks ask git which repository runs them.
    .option('-p, --path <dir>', 'the folder an earlier version of the hook was installed for')
    .action(async (name: string, o: RunOptions) => {
      try {
        const { hooks, deps, ToolRunner } = await gitHooks();
        // The hook's own environment: git gives it GIT_DIR in a linked worktree, and runs it from the top.
        const hookGit = new ToolRunner({ env: io.env, timeoutMs: 20_000 });
        const found = await hooks.hookTarget(io.cwd, o.path ?? null, hookGit, deps);
        if (!found) { io.stderr(`snapctl: ${shownPath(io.cwd)} did not install snapctl's hooks: nothing to snapshot\n`); return; }
        const tag = name === 'post-commit' ? await hooks.commitTag(found.top, hookGit) : name === 'pre-rebase' ? 'before rebase' : 'before merge';
        const record = await createVia(ctx, { path: found.target, tag, trigger: 'git-commit', note: `git ${name}` });
        io.stdout(`snapctl: ${record.id} (${shownPath(tag)})\n`);
      } catch (err) {
        io.stderr(`snapctl: the ${shownPath(name)} snapshot failed, git goes on: ${say(describeError(err))}\n`);
      }
    });
}
