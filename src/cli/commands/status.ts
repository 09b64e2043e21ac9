import type { Command } from 'commander';
import { installLayout } from '../../core/base/install.js';
import { snapshotLabel } from '../../core/service/labels.js';
import { targetStatuses } from '../../core/runtime/target-status.js';
import { relativeTime } from '../../shared/format.js';
import type { TargetStatus } from '../../shared/api.js';
import { say, type CommandContext } from '../context.js';
import { localTime, shown, shownLines, unfinishedText } from '../format.js';
import { metricsStatus } from '../metrics-status.js';
import { appStatus } from '../via-app.js';

interface StatusOptions { path?: string; json?: boolean }

function folderText(t: TargetStatus): string {
  const lines = [t.path];
  const n = t.newest;
  lines.push(n ? `  newest snapshot: ${n.id}${n.tag ? ` ${say(snapshotLabel(n))}` : ''}, ${localTime(n.createdAt)} (${relativeTime(n.createdAt)})` : `  no snapshot yet: 'snapctl create --path ${t.path}' takes one`);
  if (t.schedule !== '') lines.push(`  schedule: ${t.schedule}${t.paused ? ' (paused)' : ''}${t.keepGit ? '; rollbacks leave .git alone' : ''}`);
  if (t.unfinished) {
    const u = t.unfinished;
    lines.push(`  UNFINISHED ROLLBACK to ${u.snapshotLabel} (started ${localTime(u.startedAt)}): ${say(unfinishedText(u))}`);
    lines.push(`    finish it:  snapctl recover --path ${t.path}`);
    lines.push(`    go back:    snapctl undo --path ${t.path}`);
  }
  if (t.undo) lines.push(`  ${t.undo.label}: 'snapctl undo --path ${t.path}' puts the folder back as it was before`);
  if (t.undoLost) lines.push(`  ${say(t.undoLost)}`);
  if (t.changes) lines.push(t.changes.tracked ? `  changes: tracked by the app (${t.changes.count === null ? 'some' : t.changes.count} since the newest snapshot): snapshots look only at what changed` : `  changes: walked: ${say(t.changes.why ?? 'the app cannot say what changed')}`);
  if (t.unchangedSince) lines.push(`  the last scheduled snapshot found nothing changed since ${localTime(t.unchangedSince)} and took none`);
  for (const p of t.problems) lines.push(`  problem: ${say(p)}`);
  return shownLines(lines);
}

export function registerStatus(program: Command, ctx: CommandContext): void {
  program.command('status')
    .description('each folder: its newest snapshot and age, an unfinished rollback (never finished by status: it says what to run), the undo offer, problems, and whether metrics are being sent; exits 1 while a folder has an unfinished rollback')
    .option('-p, --path <dir>', 'only this folder')
    .option('--json', "print {version, home, targets, settingsProblems, metrics, app} as JSON (targets: the API's TargetStatus list; settingsProblems: parts of the settings file left out as invalid; metrics: its MetricsHealth; app: {answering, pid} or {answering: false, why})")
    .action(async (o: StatusOptions) => {
      const only = o.path !== undefined ? await ctx.knownTarget(o.path) : undefined;
      const settings = await ctx.settings();
      const { nextRuns } = await import('../../core/state/schedule-expression.js');
      const nextRun = (t: { schedule: string }): Date | null => {
        try { return nextRuns(t.schedule, 1)[0] ?? null; } catch { return null; }
      };
      let targets = await targetStatuses(ctx.core(), settings, { nextRun, unlisted: true });
      if (only !== undefined) {
        targets = targets.filter((t) => t.path === only);
        if (targets.length === 0) targets = await targetStatuses(ctx.core(), { ...settings, targets: [] }, { nextRun, unlisted: true }).then((all) => all.filter((t) => t.path === only));
      }
      if (targets.some((t) => t.unfinished !== null)) ctx.setExitCode(1);
      // Read from the health file the senders leave: status loads no metrics client.
      const metrics = await metricsStatus(ctx.core().layout, ctx.io.env);
      const settingsProblems = await ctx.settingsProblems();
      const app = await appStatus(ctx);
      // The app's word on each folder's changes; without an app, every snapshot of a folder walks it.
      const fromApp = new Map(app.answering ? app.folders.map((f) => [f.path, f]) : []);
      targets = targets.map((t) => {
        const known = fromApp.get(t.path);
        if (known) return { ...t, ...(known.changes ? { changes: known.changes } : {}), ...(known.unchangedSince ? { unchangedSince: known.unchangedSince } : {}) };
        return t.schedule === '' ? t : { ...t, changes: { tracked: false, why: 'no app is running for this state folder: each snapshot looks at every file', count: null } };
      });
      if (o.json) { ctx.json({ version: installLayout().version, home: ctx.core().layout.root, targets, settingsProblems, metrics: metrics.health, app }); return; }
      const appText = app.answering
        ? `app: answering for this state folder (process ${app.pid}): create, rollback, undo, diff, run and the git hooks go through it\n`
        : `app: not answering (${say(app.why)}): commands do their work in their own process\n`;
      const metricsText = `\nmetrics: ${metrics.lines.map(say).join('\n  ')}\n${appText}` + settingsProblems.map((p) => `\nproblem: ${say(p)}\n`).join('');
      if (targets.length === 0) { ctx.io.stdout((only ? shown`snapctl knows nothing of ${only} yet: 'snapctl create --path ${only}' takes a first snapshot\n` : "no folders yet: 'snapctl create --path DIR' takes a first snapshot\n") + metricsText); return; }
      ctx.io.stdout(targets.map(folderText).join('\n') + metricsText);
    });
}
