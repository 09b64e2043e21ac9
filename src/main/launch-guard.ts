/**
 * Command-line switches a packaged app refuses to start with. Electron's fuses close ELECTRON_RUN_AS_NODE,
 * NODE_OPTIONS and --inspect, but no fuse covers Chromium's own switches: Electron starts its DevTools server
 * for --remote-debugging-port (or -pipe) whatever the fuses say (ElectronBrowserMainParts::
 * PreMainMessageLoopRun, electron/fuses#2), and the *-cmd-prefix / launcher switches run a program of the
 * caller's choosing as the app's child. Either would let any local program run code under the app's macOS
 * privacy grants (Full Disk Access). The main script runs before that server starts (PostEarlyInitialization
 * waits for it), so refusing here, before `ready`, keeps it closed.
 */
const REFUSED = new Set([
  'remote-debugging-port', 'remote-debugging-pipe', 'remote-debugging-address', 'remote-allow-origins',
  'inspect', 'inspect-brk', 'inspect-port', 'inspect-brk-node', 'inspect-publish-uid', 'debug', 'debug-brk', 'debug-port',
  'renderer-cmd-prefix', 'gpu-launcher', 'utility-cmd-prefix', 'zygote-cmd-prefix', 'ppapi-plugin-launcher', 'browser-subprocess-path',
  'js-flags', 'disable-web-security', 'disable-site-isolation-trials', 'allow-file-access-from-files', 'wait-for-debugger-children',
]);

/**
 * The refused switches in `argv` (process.argv), by name. Chromium reads a switch as `--name`, `--name=value`
 * or `-name` (POSIX), and stops at a lone `--`.
 */
export function refusedSwitches(argv: readonly string[]): string[] {
  const found: string[] = [];
  for (const arg of argv.slice(1)) {
    if (arg === '--') break;
    const m = /^--?([^=]+)/.exec(arg);
    const name = m?.[1]?.toLowerCase();
    if (name && REFUSED.has(name)) found.push(name);
  }
  return found;
}

export interface LaunchFacts {
  argv: readonly string[];
  /** app.isPackaged: a development run (`npm start`, Playwright on the repository) may be debugged. */
  packaged: boolean;
  /** A test build (scripts/package.mjs --debuggable) says so in the archive's package.json. */
  debuggable: boolean;
}

/** Why the app must not start, or null. One line for stderr: there is no window yet to show it in. */
export function launchRefusal(facts: LaunchFacts): string | null {
  if (!facts.packaged || facts.debuggable) return null;
  const found = refusedSwitches(facts.argv);
  if (found.length === 0) return null;
  return `snapctl: refusing to start with ${found.map((f) => `--${f}`).join(', ')}: these would let another program debug or run code in the app; start it without them`;
}

/** DevTools in the popover: a development run asking for them (SNAPCTL_DEVTOOLS=1), never a user's package. */
export function devToolsAllowed(facts: Omit<LaunchFacts, 'argv'>, env: NodeJS.ProcessEnv): boolean {
  return (!facts.packaged || facts.debuggable) && env['SNAPCTL_DEVTOOLS'] === '1';
}

/**
 * The AppImage's launcher adds --no-sandbox where unprivileged user namespaces are off (Ubuntu 24.04 restricts
 * them by default), since its mount cannot hold Chromium's setuid helper: the renderer then runs without
 * Chromium's sandbox. Said once, as a problem the popover shows, with what to do.
 */
export function sandboxProblem(hasNoSandbox: boolean, platform: NodeJS.Platform, env: NodeJS.ProcessEnv): string | null {
  if (!hasNoSandbox || platform !== 'linux' || !env['APPIMAGE']) return null;
  return "the popover runs without Chromium's sandbox: this system does not let an AppImage have one (unprivileged user namespaces are off); install the .deb package instead";
}
