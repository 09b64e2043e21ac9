import type { Command } from 'commander';
import { describeGitImpact } from '../../core/service/git-impact.js';
import { scopeWithin } from '../../core/service/targets.js';
import type { CommandContext } from '../context.js';
import { rawArg } from '../raw-arg.js';
import { diffText, meetsText, unfinishedText } from '../format.js';
import { previewVia } from '../via-app.js';
import { getSnapshot } from '../../core/service/queries.js';

interface DiffOptions { only?: string[]; path?: string; keepGit?: boolean; json?: boolean }

export function registerDiff(program: Command, ctx: CommandContext): void {
  program.command('diff')
    .description('show what changed in the folder since a snapshot: what a rollback to it would do, to git too')
    .argument('<id>', "snapshot id (a unique beginning is enough), or 'latest'")
    .option('--only <paths...>', 'only these paths inside the folder: relative to the current folder when you are inside the folder, else to the folder; or absolute paths inside it')
    .option('-p, --path <dir>', "the folder whose snapshot 'latest' means (default: the folder you are in)")
    .option('--keep-git', "preview a rollback that leaves every .git alone (default: the folder's keepGit setting)")
    .option('--json', 'print {added, removed, modified, unfinished, git, keepGit} as JSON')
    .action(async (input: string, o: DiffOptions) => {
      const id = await ctx.idOf(input, o.path);
      const record = await getSnapshot(ctx.core(), id);
      const keepGit = o.keepGit ?? (await ctx.settings()).targets.find((t) => t.path === record.target)?.keepGit ?? false;
      const diff = await previewVia(ctx, id, scopeWithin(record.target, (o.only ?? []).map((p) => rawArg(p)), ctx.io.cwd), { keepGit });
      if (o.json) { ctx.json(diff); return; }
      if (diff.unfinished) ctx.io.stdout(`note: ${unfinishedText(diff.unfinished)}`);
      for (const g of diff.git) ctx.io.stdout(`${describeGitImpact(g)}\n`);
      ctx.io.stdout(meetsText(diff));
      ctx.io.stdout(diffText(diff));
    });
}
