import { installLayout } from '../core/base/install.js';
import { SnapctlRuntime } from '../core/runtime/runtime.js';
import { resolveTarget } from '../core/service/targets.js';
import { startServer } from '../api/http-server.js';
import { startAppSocket } from '../api/socket-server.js';
import { say, type CliIo } from './context.js';
import { shown } from './format.js';
import { providerChoice } from '../core/service/queries.js';

/** The built popover; exported for the tests that serve it without going through the CLI. */
export const POPOVER_DIR = installLayout().popoverDir;

export interface ServeOptions {
  home: string;
  path: string | null;
  port: number;
  json: boolean;
  io: CliIo;
  until: () => Promise<string>;
}

/**
 * Headless mode: the same runtime as the tray app (scheduler, retention, metrics) with the popover served on
 * loopback behind a token. Runs until `until` resolves, then stops the scheduler and closes the server.
 */
export async function serveHeadless(options: ServeOptions): Promise<void> {
  const { io } = options;
  const runtime = await SnapctlRuntime.start({
    home: options.home,
    env: io.env,
    onProblem: (message) => io.stderr(`snapctl: ${say(message)}\n`),
    onScheduledRun: (r) => { if (r.ok && r.record) io.stderr(shown`snapctl: scheduled snapshot ${r.record.id} of ${r.target}\n`); },
  });
  try {
    if (options.path !== null) {
      const target = await resolveTarget(options.path, options.home);
      const settings = runtime.currentSettings();
      if (!settings.targets.some((t) => t.path === target)) {
        const { chosen } = await providerChoice(runtime.service, target);
        await runtime.updateSettings({ ...settings, targets: [...settings.targets, { path: target, provider: chosen }] });
      }
    }
    const server = await startServer({ context: { runtime, host: 'headless' }, staticDir: POPOVER_DIR, port: options.port });
    // The CLI, the git hooks and `snapctl run` on this state folder ask this process rather than walk themselves.
    const appSocket = await startAppSocket({ context: { runtime, host: 'headless' }, env: io.env, onProblem: (m) => io.stderr(`snapctl: ${say(m)}\n`) });
    try {
      if (options.json) io.stdout(JSON.stringify({ url: server.url, loginUrl: server.loginUrl, token: server.token, port: server.port }) + '\n');
      else {
        io.stdout(`snapctl is serving its popover on ${server.url} (loopback only)\n`);
        io.stdout(`open: ${server.loginUrl}\n`);
        io.stdout(`scripts: send 'Authorization: Bearer ${server.token}' to ${server.url}api/call\n`);
        io.stdout('stop with Ctrl-C\n');
      }
      const signal = await options.until();
      io.stderr(`snapctl: ${signal}: stopping\n`);
    } finally {
      await appSocket?.close();
      await server.close();
    }
  } finally {
    await runtime.stop();
  }
}
