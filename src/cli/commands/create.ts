import { Option, type Command } from 'commander';
import { PROVIDER_NAMES, TRIGGERS, type CreateProgress, type ProviderName, type Trigger } from '../../shared/model.js';
import { SnapctlError, usageError } from '../../core/base/errors.js';
import type { CommandContext } from '../context.js';
import { folderHere } from '../file-arg.js';
import { humanBytes, plural, progressText, shown, shownPath } from '../format.js';
import { createVia } from '../via-app.js';

interface CreateOptions { path?: string; tag?: string; trigger: Trigger; provider: ProviderName | 'auto'; note?: string; json?: boolean; exclude: string[] }

export function registerCreate(program: Command, ctx: CommandContext): void {
  const { io } = ctx;
  program.command('create')
    .description('take a snapshot of a folder')
    .option('-p, --path <dir>', 'the folder to snapshot (default: the folder with snapshots or in Settings that holds the current one)')
    .option('-t, --tag <text>', 'a label to find it by (stored as plain text)')
    .addOption(new Option('--trigger <trigger>', 'what asked for it').choices(TRIGGERS).default('manual'))
    .addOption(new Option('--provider <name>', 'snapshot technology (auto: the filesystem\'s own snapshots where the folder has them, else clone)').choices(['auto', ...PROVIDER_NAMES]).default('auto'))
    .option('--note <text>', 'a longer note, e.g. the command that follows')
    .option('-x, --exclude <pattern>', 'leave out paths matching this gitignore pattern, on top of the folder\'s excludes (repeatable)', (p: string, all: string[]) => [...all, p], [])
    .option('--json', 'print the record as JSON')
    .action(async (o: CreateOptions) => {
      // Without --path, only a folder snapctl already knows: a first snapshot of anything else is asked for by name.
      // Only "not inside one" is reworded: a store or settings that cannot be read says so as it is.
      const target = o.path ?? await folderHere(ctx).catch((err: unknown) => {
        if (err instanceof SnapctlError && err.kind === 'usage') throw usageError('no folder named, and the current folder is not inside one snapctl has snapshots of or watches', 'pass --path DIR to snapshot a folder, e.g. --path .');
        throw err;
      });
      // On a terminal, how far it has got, rewritten in place (a first snapshot of node_modules takes a while).
      let progressShown = false;
      const onProgress = io.stderrIsTerminal && !o.json ? (p: CreateProgress): void => {
        io.stderr(`\r\x1b[2Ksnapctl: ${progressText(p)}`);
        progressShown = true;
      } : undefined;
      const record = await createVia(ctx, { path: target, tag: o.tag ?? null, trigger: o.trigger, provider: o.provider, note: o.note ?? null, exclude: o.exclude }, onProgress)
        .finally(() => { if (progressShown) io.stderr('\r\x1b[2K'); });
      // Paths not kept as they were are named, so a skipped file is never a surprise at rollback time.
      for (const p of record.problems.slice(0, 20)) io.stderr(shown`snapctl: not kept as it was: ${shownPath(p.path)}: ${p.reason}\n`);
      if (record.problems.length > 20) io.stderr(`snapctl: … and ${record.problems.length - 20} more paths not kept as they were (see --json)\n`);
      if (o.json) ctx.json(record);
      else io.stdout((record.provider === 'clone'
        ? shown`created ${record.id}: ${plural(record.files, 'file')}, ${humanBytes(record.size)} (${humanBytes(record.addedBytes)} new) of ${record.target}\n`
        : shown`created ${record.id}: ${record.provider} snapshot of ${record.target}\n`) + excludedText(record));
    });
}

/** What the snapshot left out, so an exclude that matched more than meant is seen at once. */
function excludedText(record: { provider: string; excluded?: { patterns: string[]; cacheDirs: string[] } }): string {
  const e = record.excluded;
  if (!e) return '';
  const parts: string[] = [];
  if (e.patterns.length > 0) parts.push(`${record.provider === 'clone' ? 'left out' : 'its rollbacks leave alone'} paths matching ${e.patterns.map((p) => JSON.stringify(p)).join(', ')}`);
  if (e.cacheDirs.length > 0) parts.push(`left out the contents of ${plural(e.cacheDirs.length, 'cache folder')} (CACHEDIR.TAG): ${e.cacheDirs.slice(0, 3).map((d) => shownPath(d, 80)).join(', ')}${e.cacheDirs.length > 3 ? ', …' : ''}`);
  return parts.map((p) => `  ${p}\n`).join('');
}
