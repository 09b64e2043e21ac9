import type { Command } from 'commander';
import type { FileHistoryView } from '../../shared/api.js';
import type { CommandContext } from '../context.js';
import { fileArg } from '../file-arg.js';
import { humanBytes, localTime, plural, shown, shownLines, shownPath } from '../format.js';

interface HistoryOptions { path?: string; json?: boolean }

export function registerHistory(program: Command, ctx: CommandContext): void {
  program.command('history')
    .description("every version of a file across its folder's snapshots, newest first, and where it was deleted")
    .argument('<file>', 'the file (relative to here or absolute; it may no longer exist)')
    .option('-p, --path <dir>', 'the watched folder (default: the one holding the file)')
    .option('--json', 'print JSON')
    .action(async (file: string, o: HistoryOptions) => {
      const { target, rel } = await fileArg(ctx, file, o.path);
      const view = await ctx.core().history.history(target, rel);
      for (const s of view.skipped) ctx.io.stderr(shown`snapctl: snapshot ${s.id} was skipped: ${s.reason}\n`);
      if (o.json) ctx.json(view);
      else ctx.io.stdout(historyText(view));
    });
}

function historyText(view: FileHistoryView): string {
  const lines = [`${shownPath(view.path)} in ${view.target}: ${plural(view.versions.length, 'version')}${view.deletedNow ? ', not in the folder now' : view.currentVersion === null ? ', changed since the newest snapshot' : ''}${view.excludedIn > 0 ? `; left out of ${plural(view.excludedIn, 'snapshot')} by the folder's excludes` : ''}`];
  const deletions = [...view.deletions];
  for (const [i, v] of view.versions.entries()) {
    const newest = v.snapshots[0];
    // A deletion newer than this version's newest snapshot is told where it happened.
    while (deletions[0] && newest && deletions[0].createdAt > newest.createdAt) {
      const d = deletions.shift();
      if (d) lines.push(`  deleted    by ${localTime(d.createdAt)}  ${d.id}${d.tag ? `  ${d.tag}` : ''}`);
    }
    const what = v.type === 'file' ? humanBytes(v.size ?? 0) : v.type === 'dir' ? 'a folder' : 'a link';
    lines.push(`  version ${view.versions.length - i}  ${what}, modified ${localTime(v.mtime)}, in ${plural(v.snapshots.length, 'snapshot')}${i === view.currentVersion ? ' (the folder holds this one now)' : ''}:`);
    for (const s of v.snapshots.slice(0, 5)) lines.push(`    ${s.id}  ${localTime(s.createdAt)}  ${s.trigger}${s.tag ? `  ${s.tag}` : ''}`);
    if (v.snapshots.length > 5) lines.push(`    … and ${v.snapshots.length - 5} older (--json lists them all)`);
  }
  for (const d of deletions) lines.push(`  deleted    by ${localTime(d.createdAt)}  ${d.id}${d.tag ? `  ${d.tag}` : ''}`);
  return shownLines(lines);
}
