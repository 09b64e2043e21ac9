import * as nodeFs from 'node:fs';
import { defaultHome, HomeLayout } from '../core/state/paths.js';
import { cachedListing, type ListingFs } from '../core/state/listing-cache.js';

/**
 * `snapctl list --json` answered from the listing the last full `list` kept (core/state/listing-cache.ts),
 * before the CLI bundle is loaded: bin/snapctl.js requires this small file of its own first. True when it
 * printed the listing; false, having printed nothing, when the full command must run (another form, a
 * terminal, which gets indented JSON, a setting of the environment that changes what the command does, or a
 * cache that cannot vouch for the listing).
 */
export function answerFromCache(argv: readonly string[], io: { env: NodeJS.ProcessEnv; stdoutIsTerminal: boolean; write: (bytes: Buffer) => void }, fs: ListingFs = nodeFs): boolean {
  if (argv.length !== 2 || argv[0] !== 'list' || argv[1] !== '--json' || io.stdoutIsTerminal) return false;
  // Tracing, injected faults and the like are for the full path.
  if (Object.keys(io.env).some((name) => name.startsWith('SNAPCTL_') && !QUIET_SETTINGS.has(name))) return false;
  const listing = cachedListing(new HomeLayout(defaultHome(io.env)), fs);
  if (listing === null) return false;
  io.write(listing);
  return true;
}

/** The environment's settings that change nothing `list --json` prints or says. */
const QUIET_SETTINGS = new Set(['SNAPCTL_HOME', 'SNAPCTL_NO_APP']);

/** The launcher's entry: the arguments after `snapctl`. */
export function run(argv: readonly string[]): boolean {
  return answerFromCache(argv, { env: process.env, stdoutIsTerminal: process.stdout.isTTY === true, write: (bytes) => { process.stdout.write(bytes); } });
}
