import { SnapctlError } from './errors.js';

/** Quotes a value for a POSIX shell script: single quotes, with embedded ones closed, escaped and reopened. */
export function shellQuote(value: string): string {
  if (value.includes('\0')) throw new SnapctlError('usage', 'a value with a NUL byte cannot go into a shell script');
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** A string literal for AppleScript: backslashes and double quotes escaped. */
export function appleScriptString(text: string): string {
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}
