import path from 'node:path';
import type { Command } from 'commander';
import { usageError } from '../../core/base/errors.js';
import { globMatcher } from '../../core/history/glob.js';
import type { CommandContext } from '../context.js';
import { folderHere } from '../file-arg.js';
import { localTime, plural, shown, shownLines, shownPath } from '../format.js';

interface FindOptions { path?: string; json?: boolean }

export function registerFind(program: Command, ctx: CommandContext): void {
  program.command('find')
    .description("paths matching a glob across all of a folder's snapshots, deleted ones included")
    .argument('<pattern>', "a glob: '*.ts' (a bare name matches in any folder), 'src/**/config.*' (from the top)")
    .option('-p, --path <dir>', 'the watched folder (default: the one holding the current folder)')
    .option('--json', 'print JSON')
    .action(async (pattern: string, o: FindOptions) => {
      if (pattern.trim() === '' || pattern.includes('\0')) throw usageError('an empty pattern matches nothing', "give a glob such as '*.ts'");
      // A folder no snapshot was taken of is said as that (a query never needs what a create checks of it).
      const target = o.path !== undefined ? await ctx.knownTarget(o.path).catch(() => path.resolve(ctx.io.cwd, o.path ?? '.')) : await folderHere(ctx);
      const found = await ctx.core().history.find(target, pattern, await globMatcher(pattern), { spans: true });
      for (const s of found.skipped) ctx.io.stderr(shown`snapctl: snapshot ${s.id} was skipped: ${s.reason}\n`);
      if (o.json) { ctx.json(found); return; }
      if (found.matches.length === 0) { ctx.io.stdout(shown`nothing matches ${pattern} in the snapshots of ${target}\n`); return; }
      const lines = found.matches.map((m) => {
        const oldest = m.spans?.[m.spans.length - 1]?.oldest;
        const span = oldest && oldest.createdAt !== m.newest ? `${localTime(oldest.createdAt)} .. ${localTime(m.newest)}` : localTime(m.newest);
        return `${m.deleted ? 'deleted ' : '        '}${shownPath(m.path)}${m.type === 'dir' ? '/' : m.type === 'symlink' ? ' (link)' : ''}  ${plural(m.versions, 'version')} in ${plural(m.count, 'snapshot')}, ${span}`;
      });
      ctx.io.stdout(shownLines(lines));
    });
}
