import type { Command } from 'commander';
import { usageError } from '../../core/base/errors.js';
import { snapshotLabel } from '../../core/service/labels.js';
import { scopeWithin } from '../../core/service/targets.js';
import type { CommandContext } from '../context.js';
import { rawArg } from '../raw-arg.js';
import { countsText, plural, rollbackPreview, shown, shownPath } from '../format.js';
import { getSnapshot } from '../../core/service/queries.js';
import { keepGitSetting, previewVia, rollbackVia } from '../via-app.js';

interface RollbackOptions { only?: string[]; path?: string; keepGit?: boolean; yes?: boolean; json?: boolean }

export function registerRollback(program: Command, ctx: CommandContext): void {
  const { io } = ctx;
  program.command('rollback')
    .description('restore a folder (or some paths in it) to a snapshot; the current state is kept first, so it can be undone')
    .argument('<id>', "snapshot id (a unique beginning is enough), or 'latest'")
    .option('--only <paths...>', 'restore only these paths inside the folder: relative to the current folder when you are inside the folder, else to the folder; or absolute paths inside it')
    .option('-p, --path <dir>', "the folder whose snapshot 'latest' means (default: the folder you are in)")
    .option('--keep-git', 'leave every .git folder alone: commits are not undone (default: the folder\'s keepGit setting)')
    .option('-y, --yes', 'do not ask for confirmation')
    .option('--json', 'print the result as JSON (it names the safety snapshot)')
    .action(async (input: string, o: RollbackOptions) => {
      const id = await ctx.idOf(input, o.path);
      const record = await getSnapshot(ctx.core(), id);
      const paths = scopeWithin(record.target, (o.only ?? []).map((p) => rawArg(p)), io.cwd);
      // What the preview shows is what is done; with --yes and no --keep-git, the app knows the setting.
      let asked = o.keepGit;
      if (!o.yes) {
        const keepGit = asked ??= await keepGitSetting(ctx, record.target);
        if (!io.isInteractive) throw usageError('rollback changes files and needs confirmation', 'pass --yes to roll back without a prompt');
        io.stdout(rollbackPreview(await previewVia(ctx, id, paths, { keepGit })));
        if (!(await io.confirm(shown`roll back ${record.target} to ${snapshotLabel(record)} (${record.id})?`))) { io.stdout('nothing changed\n'); return; }
      }
      const result = await rollbackVia(ctx, id, { paths, keepGit: asked, target: record.target });
      const keepGit = result.keepGit ?? asked ?? false;
      if (o.json) ctx.json(result);
      else if (result.nothingToChange || !result.safety) io.stdout(shown`nothing to change: the folder already matches ${snapshotLabel(record)} (no safety snapshot was taken)\n`);
      else io.stdout(shown`rolled back ${record.target} to ${snapshotLabel(record)} (${record.id}): ${countsText(result.restored)}${keepGit ? '; .git left alone' : ''}; undo with 'snapctl undo --path ${record.target}' (safety snapshot ${result.safety.id})\n`);
      if (result.restored.kept.length > 0) {
        const one = result.restored.kept.length === 1;
        io.stderr(`snapctl: ${plural(result.restored.kept.length, 'path')} left as ${one ? 'it was' : 'they were'}: the safety snapshot could not hold ${one ? 'it' : 'them'}, so undo could not bring ${one ? 'it' : 'them'} back:\n`);
        for (const p of result.restored.kept.slice(0, 20)) io.stderr(`  ${shownPath(p)}\n`);
      }
      const stayed = result.restored.keptFolders ?? [];
      if (stayed.length > 0) {
        io.stderr(`snapctl: ${plural(stayed.length, 'folder')} stayed, emptied of the rest: ${stayed.length === 1 ? 'it holds' : 'they hold'} paths a rollback leaves alone (excluded, a cache, a mounted filesystem):\n`);
        for (const p of stayed.slice(0, 20)) io.stderr(`  ${shownPath(p)}\n`);
      }
    });
}
