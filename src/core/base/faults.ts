import { readFileSync } from 'node:fs';

/**
 * Fault injection for the crash tests: with SNAPCTL_FAULT_KILL_AT=N the process SIGKILLs itself just before
 * its N-th mutating step of a restore, which is how the tests prove a rollback killed at any step recovers.
 * Unset (always, outside tests) this costs one comparison per step.
 */
const killAt = Number.parseInt(process.env['SNAPCTL_FAULT_KILL_AT'] ?? '', 10);
let steps = 0;

export function faultPoint(): void {
  if (!Number.isFinite(killAt)) return;
  steps++;
  if (steps >= killAt) process.kill(process.pid, 'SIGKILL');
}

const failWhile = process.env['SNAPCTL_FAULT_EIO_WHILE'];

/**
 * With SNAPCTL_FAULT_EIO_WHILE=FILE, a restore's write of a path FILE names (one per line, relative to the
 * folder) fails with EIO for as long as FILE exists: a disk error no preview can see coming, which is how
 * the popover's tests make a rollback stop part way (an immutable file is refused up front now). Unset, one
 * comparison per write.
 */
export function faultWrite(rel: string): void {
  if (failWhile === undefined) return;
  let names: string[];
  try {
    names = readFileSync(failWhile, 'utf8').split('\n');
  } catch {
    return;
  }
  if (names.includes(rel)) throw Object.assign(new Error(`EIO: i/o error, write '${rel}'`), { code: 'EIO', errno: -5, syscall: 'write', path: rel });
}

const killManifestAt = Number.parseInt(process.env['SNAPCTL_FAULT_KILL_MANIFEST_AT'] ?? '', 10);
let manifestSteps = 0;

/**
 * With SNAPCTL_FAULT_KILL_MANIFEST_AT=N the process SIGKILLs itself at its N-th step of writing or removing
 * a clone manifest (before and after each write, before each removal): the crash tests of manifests kept as
 * deltas. Unset, one comparison per step.
 */
export function manifestFaultPoint(): void {
  if (!Number.isFinite(killManifestAt)) return;
  manifestSteps++;
  if (manifestSteps >= killManifestAt) process.kill(process.pid, 'SIGKILL');
}
