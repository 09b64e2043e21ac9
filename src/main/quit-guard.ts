import type { Event } from 'electron';

export interface QuitGuardDeps {
  /** Asks whether to quit once the running operations end (true) or keep running (false). */
  ask: (running: string[]) => Promise<boolean>;
  /** Stops the runtime: scheduler, metrics, watchers. */
  stop: () => Promise<void>;
  /** Quits for real (app.quit): the guard lets that one through. */
  quit: () => void;
}

/**
 * Quitting waits for what must not be cut short. Electron does not wait for promises in `before-quit`
 * listeners: an async handler there would see the app exit under a rollback (leaving it half done, an APFS
 * snapshot mounted). So the first quit is prevented; if a rollback, undo or restore runs, the user is asked
 * (quit when it ends, or keep running); then the runtime is stopped and the app quits for real.
 */
export class QuitGuard {
  private readonly running = new Map<number, string>();
  private readonly settled = new Set<Promise<unknown>>();
  private nextId = 0;
  private leaving = false;
  private deciding = false;

  constructor(private readonly deps: QuitGuardDeps) {}

  /** Runs `work`, known as `label` ("rolling back ~/code/app") to a quit until it ends. */
  track<T>(label: string, work: () => Promise<T>): Promise<T> {
    const id = this.nextId++;
    this.running.set(id, label);
    const p = work().finally(() => { this.running.delete(id); this.settled.delete(p); });
    this.settled.add(p);
    return p;
  }

  busy(): string[] {
    return [...this.running.values()];
  }

  /** The app's `before-quit` listener. */
  onBeforeQuit(event: Pick<Event, 'preventDefault'>): void {
    if (this.leaving) return;
    event.preventDefault();
    if (this.deciding) return;
    this.deciding = true;
    void this.leave().finally(() => { this.deciding = false; });
  }

  private async leave(): Promise<void> {
    if (this.running.size > 0) {
      if (!(await this.deps.ask(this.busy()))) return;
      while (this.settled.size > 0) await Promise.allSettled([...this.settled]);
    }
    await this.deps.stop().catch(() => undefined);
    this.leaving = true;
    this.deps.quit();
  }
}

/** API methods that change a folder from a snapshot: quitting waits for them. */
export const GUARDED_METHODS: ReadonlySet<string> = new Set(['rollback', 'undo', 'retry', 'restoreFile']);
