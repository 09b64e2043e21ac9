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
