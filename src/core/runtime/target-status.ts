import type { TargetStatus } from '../../shared/api.js';
import type { Settings, TargetSettings } from '../state/settings.js';
import type { ServiceContext } from '../service/context.js';
import { listSnapshots } from '../service/queries.js';
import { folderState, unfinishedTargets } from '../service/status.js';

export interface StatusSources {
  /** The next scheduled snapshot of a folder (the running scheduler's), null when none. */
  nextRun: (target: TargetSettings) => Date | null;
  /** Problems only the running app knows (a scheduled snapshot that failed), gone once resolved. */
  problemsOf?: (target: string) => string[];
  /** Folders snapctl has snapshots or an unfinished rollback of but that are not in the settings. */
  unlisted?: boolean;
  /** The running app's word on a folder's changes (tracked or walked, and why; unchanged since): absent in a fresh process. */
  changesOf?: (target: string) => Promise<Pick<TargetStatus, 'changes' | 'unchangedSince'>>;
}

/**
 * Every folder's status: its settings, and what the store and the journal say of it now (its newest
 * snapshot, an unfinished rollback, the undo offer, problems). Derived on each call, so a problem goes as
 * soon as its cause does, however it was resolved.
 */
export async function targetStatuses(service: ServiceContext, settings: Settings, sources: StatusSources): Promise<TargetStatus[]> {
  const out: TargetStatus[] = [];
  // Only this process's snapshots: the tray app's and serve's, asked for or scheduled.
  const taking = service.inProgress();
  const takingOf = (target: string): TargetStatus['taking'] => taking.find((s) => s.target === target) ?? null;
  for (const t of settings.targets) {
    const state = await folderState(service, t.path);
    out.push({
      path: t.path, schedule: t.schedule, provider: t.provider, paused: t.paused,
      nextRun: settings.schedulePaused || t.paused ? null : sources.nextRun(t)?.toISOString() ?? null,
      ...state, problems: [...state.problems, ...(sources.problemsOf?.(t.path) ?? [])], keepGit: t.keepGit, taking: takingOf(t.path),
      ...(await sources.changesOf?.(t.path).catch(() => ({})) ?? {}),
    });
  }
  if (!sources.unlisted) return out;
  const listed = new Set(settings.targets.map((t) => t.path));
  const others = new Map<string, TargetStatus['provider']>();
  for (const s of await listSnapshots(service)) if (!listed.has(s.target) && !others.has(s.target)) others.set(s.target, s.provider);
  for (const target of await unfinishedTargets(service)) if (!listed.has(target) && !others.has(target)) others.set(target, 'clone');
  for (const [target, provider] of [...others].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    const state = await folderState(service, target);
    out.push({ path: target, schedule: '', provider, paused: false, nextRun: null, ...state, keepGit: false, taking: takingOf(target) });
  }
  return out;
}
