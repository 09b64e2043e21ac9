import { readFile } from 'node:fs/promises';
import { mkdirPrivate } from '../base/private-fs.js';
import path from 'node:path';
import { createTask, type ScheduledTask } from 'node-cron';
import { writeFileAtomic } from '../state/atomic-write.js';
import { z } from 'zod';
import { describeError, errnoCode, usageError } from '../base/errors.js';
import type { SnapshotRecord } from '../../shared/model.js';
import { validateSchedule } from '../state/schedule-expression.js';
import { LowSpace } from '../service/free-space.js';
import type { TargetSettings } from '../state/settings.js';

export { validateSchedule };

/** What the scheduler needs from the rest of the core: take one scheduled snapshot and prune after it. */
export interface ScheduledRunner {
  /** null: nothing taken, the change journal vouching that nothing changed since the newest snapshot. */
  snapshot(target: TargetSettings): Promise<SnapshotRecord | null>;
  prune(target: TargetSettings): Promise<unknown>;
}

export interface ScheduleRunReport {
  target: string;
  reason: 'scheduled' | 'catch-up' | 'manual';
  ok: boolean;
  record?: SnapshotRecord;
  error?: string;
  /** Not taken because the store's filesystem would have gone below its floor (after pruning): `error` says why. */
  skipped?: boolean;
  /** Not taken because nothing changed since the newest snapshot (the change journal vouched for it). */
  unchanged?: boolean;
}

export interface SchedulerOptions {
  runner: ScheduledRunner;
  /** Where the last run of each folder is remembered across restarts, for catch-up. */
  stateFile: string;
  onRun?: (report: ScheduleRunReport) => void;
  now?: () => Date;
  timezone?: string;
}

const stateSchema = z.record(z.string(), z.string());
/** Looking further back than this for a missed slot is pointless: one catch-up run covers any gap. */
const MAX_CATCH_UP_SCAN_MINUTES = 366 * 24 * 60;

/**
 * One cron task per watched folder (node-cron). Runs on the same folder never overlap; a run missed while
 * the machine slept or the app was closed is taken once on start or resume, not once per missed slot.
 */
export class Scheduler {
  private readonly tasks = new Map<string, { task: ScheduledTask; target: TargetSettings }>();
  private readonly running = new Map<string, Promise<ScheduleRunReport>>();
  private paused = false;
  private readonly now: () => Date;

  constructor(private readonly options: SchedulerOptions) {
    this.now = options.now ?? (() => new Date());
  }

  /**
   * Replaces the schedules. Every expression is validated first: if any is invalid, nothing changes and the
   * previous schedules keep running.
   */
  apply(targets: readonly TargetSettings[], paused = false): void {
    for (const t of targets) {
      const problem = validateSchedule(t.schedule);
      if (problem) throw usageError(`invalid schedule for ${t.path}: ${problem}`);
    }
    const wanted = new Map(targets.map((t) => [t.path, t]));
    for (const [p, entry] of this.tasks) {
      const next = wanted.get(p);
      if (!next || next.schedule !== entry.target.schedule || next.paused) {
        void entry.task.destroy();
        this.tasks.delete(p);
      } else {
        entry.target = next;
      }
    }
    for (const t of targets) {
      if (t.paused || this.tasks.has(t.path)) continue;
      const task = createTask(t.schedule, () => this.run(t.path, 'scheduled'), {
        name: `snapshot ${t.path}`,
        noOverlap: true,
        ...(this.options.timezone ? { timezone: this.options.timezone } : {}),
      });
      this.tasks.set(t.path, { task, target: t });
      if (!this.paused) void task.start();
    }
    this.setPaused(paused);
  }

  setPaused(paused: boolean): void {
    this.paused = paused;
    for (const { task } of this.tasks.values()) void (paused ? task.stop() : task.start());
  }

  /** The next run of each scheduled folder, for the UI. */
  nextRuns(): { target: string; next: Date | null }[] {
    return [...this.tasks.values()].map(({ task, target }) => ({ target: target.path, next: this.paused ? null : task.getNextRun() }));
  }

  /** Takes a snapshot now for every folder whose last scheduled slot passed without a run. */
  async catchUp(): Promise<ScheduleRunReport[]> {
    if (this.paused) return [];
    const state = await this.readState();
    const now = this.now();
    const due: string[] = [];
    for (const [p, { task }] of this.tasks) {
      const last = state[p];
      if (last === undefined) {
        // First time we see this folder: start counting from now rather than snapshot at once.
        await this.recordRun(p, now);
        continue;
      }
      if (missedSince(task, new Date(last), now)) due.push(p);
    }
    return Promise.all(due.map((p) => this.run(p, 'catch-up')));
  }

  /** Runs one folder's scheduled snapshot now, unless one is already running for it. */
  run(targetPath: string, reason: ScheduleRunReport['reason']): Promise<ScheduleRunReport> {
    const inFlight = this.running.get(targetPath);
    if (inFlight) return inFlight;
    const entry = this.tasks.get(targetPath);
    if (!entry) return Promise.resolve({ target: targetPath, reason, ok: false, error: 'no schedule for this folder' });
    const started = this.now();
    const job = (async (): Promise<ScheduleRunReport> => {
      try {
        const record = await this.options.runner.snapshot(entry.target);
        await this.recordRun(targetPath, started);
        try {
          await this.options.runner.prune(entry.target);
        } catch (err) {
          return { target: targetPath, reason, ok: true, ...(record ? { record } : {}), error: `snapshot taken, but pruning failed: ${describeError(err)}` };
        }
        return { target: targetPath, reason, ok: true, ...(record ? { record } : { unchanged: true }) };
      } catch (err) {
        return { target: targetPath, reason, ok: false, error: describeError(err), ...(err instanceof LowSpace ? { skipped: true } : {}) };
      }
    })().then((report) => {
      this.running.delete(targetPath);
      this.options.onRun?.(report);
      return report;
    });
    this.running.set(targetPath, job);
    return job;
  }

  async stop(): Promise<void> {
    for (const { task } of this.tasks.values()) await task.destroy();
    this.tasks.clear();
    await Promise.allSettled(this.running.values());
  }

  private async readState(): Promise<Record<string, string>> {
    try {
      const parsed = stateSchema.safeParse(JSON.parse(await readFile(this.options.stateFile, 'utf8')));
      return parsed.success ? parsed.data : {};
    } catch (err) {
      if (errnoCode(err) === 'ENOENT' || err instanceof SyntaxError) return {};
      throw err;
    }
  }

  private async recordRun(targetPath: string, at: Date): Promise<void> {
    const state = await this.readState();
    state[targetPath] = at.toISOString();
    await mkdirPrivate(path.dirname(this.options.stateFile), { mayBeLink: true });
    await writeFileAtomic(this.options.stateFile, JSON.stringify(state, null, 1));
  }
}

/** True when a slot of the task's schedule lies in (since, now]. Scans back minute by minute from now. */
export function missedSince(task: Pick<ScheduledTask, 'match'>, since: Date, now: Date): boolean {
  const minute = 60_000;
  let t = Math.floor(now.getTime() / minute) * minute;
  const floor = Math.max(since.getTime(), now.getTime() - MAX_CATCH_UP_SCAN_MINUTES * minute);
  for (; t > floor; t -= minute) if (task.match(new Date(t))) return true;
  return false;
}
