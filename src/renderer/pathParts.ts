/**
 * A path split so that a narrow popover cuts its middle, never its name: `head` may lose its end to an
 * ellipsis, `tail` (the last name, with the slash before it) stays ("/home/u/pro…/name.ts").
 */
export function pathParts(p: string): { head: string; tail: string } {
  const trimmed = p.length > 1 ? p.replace(/\/+$/, '') : p;
  const slash = trimmed.lastIndexOf('/');
  if (slash < 0) return { head: '', tail: trimmed };
  if (slash === 0 && trimmed.length === 1) return { head: '', tail: '/' };
  return { head: trimmed.slice(0, slash), tail: trimmed.slice(slash) };
}

/**
 * A folder as a choice in a list (a <select>, which can only cut the end): its name first, then where it is,
 * so two folders of the same name are told apart and a cut hides only the place.
 */
export function folderChoice(p: string): string {
  const { head, tail } = pathParts(p);
  const name = tail.replace(/^\//, '') || '/';
  return head === '' ? name : `${name} — ${head}`;
}
