import { InvalidArgumentError, type Command } from 'commander';
import type { CommandContext } from '../context.js';

interface ServeOptions { path?: string; port: number; json?: boolean }

function parsePort(value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65_535) throw new InvalidArgumentError('a port is a number from 0 to 65535');
  return port;
}

export function registerServe(program: Command, ctx: CommandContext): void {
  program.command('serve')
    .description('run the scheduler and serve the popover on 127.0.0.1 for hosts without a desktop (Ctrl-C stops it)')
    .option('-p, --path <dir>', 'watch this folder (added to the settings if it is not there yet)')
    .option('--port <n>', 'port on 127.0.0.1 (default: a free one)', parsePort, 0)
    .option('--json', 'print the URLs and token as one JSON line, for scripts')
    .action(async (o: ServeOptions) => {
      // The runtime and the HTTP server are the heaviest part of the CLI; no other command loads them.
      const { serveHeadless } = await import('../serve.js');
      await serveHeadless({ home: ctx.core().layout.root, path: o.path ?? null, port: o.port, json: o.json ?? false, io: ctx.io, until: ctx.io.stopSignal });
    });
}
