import { readdir } from 'node:fs/promises';
import { nullIfMissing } from './errors.js';

/** The names in a folder, none when it does not exist (yet); any other error is thrown. */
export async function listDir(dir: string): Promise<string[]> {
  return (await readdir(dir).catch(nullIfMissing)) ?? [];
}

/** Parsed JSON, or null for text that is not JSON (a file cut short by a crash): the caller checks its shape. */
export function jsonOrNull(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
