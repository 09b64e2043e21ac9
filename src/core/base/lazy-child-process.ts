import { createRequire } from 'node:module';

type ChildProcess = typeof import('node:child_process');
let loaded: ChildProcess | undefined;

/**
 * node:child_process, loaded on first use: the tree engine asks `mount` or `lsattr` only when it needs them,
 * and `snapctl list` must start within 2x node (bench goal) without loading it.
 */
export function childProcess(): ChildProcess {
  loaded ??= createRequire(import.meta.url)('node:child_process') as ChildProcess;
  return loaded;
}
