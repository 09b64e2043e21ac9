import { oneLine } from '../../shared/model.js';

/** A path for the screen: bytes that are not UTF-8 (lone surrogates, see core/tree/names.ts) as `\xff`, one line. */
export function shownPath(p: string): string {
  return oneLine(p.replace(/[\udc80-\udcff]/gu, (c) => `\\x${(0x80 + c.charCodeAt(0) - 0xdc80).toString(16)}`));
}
