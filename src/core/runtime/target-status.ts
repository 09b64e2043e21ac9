import type { TargetStatus } from '../../shared/api.js';
import type { SnapshotService } from '../service/service.js';
import type { Settings, TargetSettings } from '../state/settings.js';

export interface StatusSources {
  /** The next scheduled snapshot of a folder (the running scheduler's), null when none. */
  nextRun: (target: TargetSettings) => Date | null;
  /** Problems only the running app knows (a scheduled snapshot that failed), gone once resolved. */
  problemsOf?: (target: string) => string[];
  /** Folders snapctl has snapshots or an unfinished rollback of but that are not in the settings. */
  unlisted?: boolean;
}

/**
 * Every folder's status: its settings, and what the store and the journal say of it now (its newest
 * snapshot, an unfinished rollback, the undo offer, problems). Derived on each call, so a problem goes as
 * soon as its cause does, however it was resolved.
 */
export async function targetStatuses(service: SnapshotService, settings: Settings, sources: StatusSources): Promise<TargetStatus[]> {
  const out: TargetStatus[] = [];
  // Only this process's snapshots: the tray app's and serve's, asked for or scheduled.
  const taking = service.inProgress();
  const takingOf = (target: string): TargetStatus['taking'] => taking.find((s) => s.target === target) ?? null;
  for (const t of settings.targets) {
    const state = await service.folderState(t.path);
    out.push({
      path: t.path, schedule: t.schedule, provider: t.provider, paused: t.paused,
      nextRun: settings.schedulePaused || t.paused ? null : sources.nextRun(t)?.toISOString() ?? null,
      ...state, problems: [...state.problems, ...(sources.problemsOf?.(t.path) ?? [])], keepGit: t.keepGit, taking: takingOf(t.path),
    });
  }
  if (!sources.unlisted) return out;
  const listed = new Set(settings.targets.map((t) => t.path));
  const others = new Map<string, TargetStatus['provider']>();
  for (const s of await service.list()) if (!listed.has(s.target) && !others.has(s.target)) others.set(s.target, s.provider);
  for (const target of await service.unfinishedTargets()) if (!listed.has(target) && !others.has(target)) others.set(target, 'clone');
  for (const [target, provider] of [...others].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    const state = await service.folderState(target);
    out.push({ path: target, schedule: '', provider, paused: false, nextRun: null, ...state, keepGit: false, taking: takingOf(target) });
  }
  return out;
}
