/**
 * Every failure a user can meet is a SnapctlError: a one-line message that says what went wrong and,
 * where there is one, what to do. `usage` errors are the caller's (exit 2), the rest are failures (exit 1).
 */
export type ErrorKind = 'usage' | 'not-found' | 'busy' | 'failed' | 'unsupported' | 'corrupt';

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

/** A message for any thrown value, without a stack trace. */
export function describeError(err: unknown): string {
  if (err instanceof SnapctlError) return err.line;
  if (err instanceof Error) return err.message;
  return String(err);
}
