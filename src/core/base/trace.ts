/** Marks the end of one phase of an operation. */
export type Trace = (phase: string) => void;

/**
 * SNAPCTL_TRACE=1 prints how long each phase of a snapshot or rollback took, to stderr (as GIT_TRACE does):
 * where the time goes on a user's machine, without a profiler. Off, it costs nothing.
 */
export function phaseTrace(operation: string, env: NodeJS.ProcessEnv, write: (line: string) => void = (line) => { process.stderr.write(line); }): Trace {
  if (!env['SNAPCTL_TRACE']) return () => undefined;
  let last = performance.now();
  return (phase) => {
    const now = performance.now();
    write(`snapctl trace: ${operation}: ${phase} ${(now - last).toFixed(1)} ms\n`);
    last = now;
  };
}
