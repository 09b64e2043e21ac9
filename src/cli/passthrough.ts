import { spawn } from 'node:child_process';
import { SnapctlError } from '../core/base/errors.js';

export interface PassThroughResult { exitCode: number; describe: string }

/**
 * Runs a command as if it were typed: no shell (an argument array, looked up on PATH), the terminal's
 * stdin/stdout/stderr, Ctrl-C reaching it rather than us. Returns the exit code a shell would report
 * (128 + signal number when it was killed).
 */
export function runPassingThrough(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<PassThroughResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env, stdio: 'inherit' });
    const forward = (signal: NodeJS.Signals): void => { child.kill(signal); };
    const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
    for (const s of signals) process.on(s, forward);
    const done = (): void => { for (const s of signals) process.off(s, forward); };
    child.on('error', (err: NodeJS.ErrnoException) => {
      done();
      reject(err.code === 'ENOENT' ? new SnapctlError('usage', `${cmd}: command not found`, 'check the command after --') : err);
    });
    child.on('close', (code, signal) => {
      done();
      if (signal) {
        const number = ({ SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGKILL: 9, SIGTERM: 15 } as Record<string, number>)[signal] ?? 1;
        resolve({ exitCode: 128 + number, describe: `killed by ${signal}` });
      } else {
        resolve({ exitCode: code ?? 1, describe: `exit ${code ?? 1}` });
      }
    });
  });
}
