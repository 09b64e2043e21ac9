/**
 * The rules an exclude pattern (gitignore syntax, one per line) must follow, shared by the core's checks and
 * the popover's settings, which say what is wrong as the person types.
 */
/** The longest pattern accepted: a gitignore line, not a document. */
export const MAX_PATTERN_LENGTH = 500;
export const MAX_PATTERNS = 200;

/** What is wrong with one exclude pattern as typed, or null: gitignore syntax, one line. */
export function excludePatternProblem(pattern: string): string | null {
  if (pattern.trim() === '') return 'an exclude pattern cannot be empty';
  if (pattern.length > MAX_PATTERN_LENGTH) return `an exclude pattern is at most ${MAX_PATTERN_LENGTH} characters`;
  // eslint-disable-next-line no-control-regex -- control characters are what the check is about
  if (/[\u0000-\u001f\u007f]/.test(pattern)) return 'an exclude pattern is one line, without control characters';
  if (pattern.startsWith('#')) return 'a pattern starting with # is a comment in gitignore syntax; write \\# for a name starting with #';
  if (pattern.trim() === '!') return '! alone excludes nothing; write !PATTERN to keep what an earlier pattern left out';
  if (pattern.split('/').includes('..')) return 'an exclude pattern names paths inside the folder, without .. segments';
  return null;
}
