/**
 * Every failure a user can meet is a SnapctlError: a one-line message that says what went wrong and,
 * where there is one, what to do. `usage` errors are the caller's (exit 2), the rest are failures (exit 1);
 * `nothing-to-do` says the request is already met (a second undo) and changed nothing.
 */
export type ErrorKind = 'usage' | 'not-found' | 'busy' | 'failed' | 'unsupported' | 'corrupt' | 'nothing-to-do';

export class SnapctlError extends Error {
  readonly kind: ErrorKind;
  readonly hint: string | undefined;

  constructor(kind: ErrorKind, message: string, hint?: string) {
    super(message);
    this.name = 'SnapctlError';
    this.kind = kind;
    this.hint = hint;
  }

  /** The single line shown to a user. */
  get line(): string {
    return this.hint ? `${this.message} (${this.hint})` : this.message;
  }
}

export function usageError(message: string, hint?: string): SnapctlError {
  return new SnapctlError('usage', message, hint);
}

export function isErrnoException(err: unknown): err is NodeJS.ErrnoException {
  return err instanceof Error && typeof (err as NodeJS.ErrnoException).code === 'string';
}

export function errnoCode(err: unknown): string | undefined {
  return isErrnoException(err) ? err.code : undefined;
}

/** For `.catch`: a path that does not exist gives null; any other error is rethrown. */
export function nullIfMissing(err: unknown): null {
  if (errnoCode(err) === 'ENOENT') return null;
  throw err;
}

/** What to do about the system errors a user can meet, keyed by errno code. */
const ERRNO_HINTS: Record<string, string> = {
  ENOSPC: 'the disk is full: free some space, or move the snapctl store elsewhere with SNAPCTL_HOME; nothing was lost',
  EDQUOT: 'your disk quota is used up: free some space; nothing was lost',
  EROFS: 'the filesystem is read-only: remount it read-write and try again',
  EACCES: 'permission denied: check the owner and mode of that path',
  EPERM: 'the operation is not permitted: check the owner of that path, or run with the rights it needs',
  EMFILE: 'too many open files: raise the limit (ulimit -n) and try again',
};

/** A message for any thrown value, without a stack trace; system errors say what to do. */
export function describeError(err: unknown): string {
  if (err instanceof SnapctlError) return err.line;
  const code = errnoCode(err);
  const hint = code ? ERRNO_HINTS[code] : undefined;
  if (err instanceof Error) return hint ? `${err.message} (${hint})` : err.message;
  return String(err);
}
