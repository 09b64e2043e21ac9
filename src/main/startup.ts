/**
 * The order the tray app starts in. The tray icon comes first: recovery (an interrupted rollback finished,
 * which on APFS may ask for a password) and the catch-up of missed runs (a full snapshot after a night off)
 * can take long, and the user must see the app, and be able to quit it, meanwhile. The catch-up runs after the
 * app is ready, in the background.
 */
export interface StartupSteps<Runtime> {
  /** Shows the tray icon with a "starting" tooltip and a menu that can already quit. */
  showTray: () => void;
  /** Recovery and settings: what must finish before the popover can answer. */
  startRuntime: () => Promise<Runtime>;
  /** The tray and the popover wired to the runtime. */
  ready: (runtime: Runtime) => void;
  /** Missed scheduled runs, taken once. */
  catchUp: (runtime: Runtime) => Promise<unknown>;
  onCatchUpError: (err: unknown) => void;
}

export async function startInOrder<Runtime>(steps: StartupSteps<Runtime>): Promise<Runtime> {
  steps.showTray();
  const runtime = await steps.startRuntime();
  steps.ready(runtime);
  void steps.catchUp(runtime).catch(steps.onCatchUpError);
  return runtime;
}
