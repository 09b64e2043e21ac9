import { realpath, stat, statfs } from 'node:fs/promises';
import path from 'node:path';
import { errnoCode, usageError } from '../base/errors.js';
import { assertApartFromState } from '../state/apart-from-state.js';
import { isWithin } from '../state/paths.js';
import { isSafeRelativePath } from '../tree/manifest.js';
import { shownName } from '../tree/names.js';

/**
 * Turns a folder a user named into the absolute, symlink-free path snapshots are recorded under, refusing
 * folders snapctl must not snapshot: its own state folder (or one holding it) and the filesystem root.
 */
export async function resolveTarget(input: string, stateHome: string): Promise<string> {
  if (typeof input !== 'string' || input.trim() === '' || input.includes('\0')) throw usageError('a folder path is required', 'pass --path DIR');
  let real: string;
  try {
    real = await realpath(path.resolve(input));
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') throw usageError(`no such folder: ${input}`, 'if it moved, update the folder in Settings or pass its new path');
    throw err;
  }
  const st = await stat(real);
  if (!st.isDirectory()) throw usageError(`not a folder: ${input}`, 'snapctl snapshots folders');
  if (path.parse(real).root === real) throw usageError(`refusing to snapshot the filesystem root ${real}`, 'choose a project folder');
  const virtual = await virtualFilesystem(real);
  if (virtual) {
    throw usageError(`refusing to snapshot ${real}: it is on the ${virtual} virtual filesystem, whose files the kernel makes up as they are read (some cannot be read at all), so nothing there can be kept or restored`, 'choose a folder on a disk');
  }
  await assertApartFromState(real, stateHome);
  return real;
}

/**
 * Linux's virtual filesystems by their statfs magic numbers (linux/magic.h): reading their files fails part way
 * (EINVAL, EACCES) or changes with every read, and a rollback could only write into the kernel's settings.
 */
const VIRTUAL_FILESYSTEMS = new Map<number, string>([
  [0x9fa0, 'proc'], [0x62656572, 'sysfs'], [0x1cd1, 'devpts'], [0x27e0eb, 'cgroup'], [0x63677270, 'cgroup2'],
  [0x64626720, 'debugfs'], [0x74726163, 'tracefs'], [0x73636673, 'securityfs'], [0xcafe4a11, 'bpf'],
  [0x6165676c, 'pstore'], [0x62656570, 'configfs'], [0xde5e81e4, 'efivarfs'], [0x65735543, 'fusectl'],
  [0x42494e4d, 'binfmt_misc'], [0x19800202, 'mqueue'],
]);

/** The name of the virtual filesystem `real` is on, or null (elsewhere than Linux, or when statfs cannot say). */
async function virtualFilesystem(real: string): Promise<string | null> {
  if (process.platform !== 'linux') return null;
  const fs = await statfs(real).catch(() => null);
  return fs ? VIRTUAL_FILESYSTEMS.get(fs.type >>> 0) ?? null : null;
}

/**
 * Turns paths a user gave for a partial rollback or diff into paths relative to the target, refusing any
 * that point outside it. `base` is where relative input is resolved from (the CLI's working directory).
 * Returns null when a path names the whole target.
 */
export function scopeWithin(target: string, inputs: readonly string[], base: string): string[] | null {
  if (inputs.length === 0) return null;
  const scope: string[] = [];
  // Relative paths are relative to the current folder when it is inside the folder (as a shell completes
  // them), else to the folder itself: never to some unrelated current folder.
  const from = isWithin(target, path.resolve(base)) ? base : target;
  for (const input of inputs) {
    if (typeof input !== 'string' || input === '' || input.includes('\0')) throw usageError('an empty or invalid path was given');
    const abs = path.resolve(from, input);
    if (!isWithin(target, abs)) throw usageError(`${shownName(input)} is outside the snapshot's folder ${shownName(target)}`, `give paths inside it: relative to it (or to the current folder inside it), or absolute paths inside it`);
    const rel = path.relative(target, abs).split(path.sep).join('/');
    if (rel === '') return null;
    if (!isSafeRelativePath(rel)) throw usageError(`invalid path: ${input}`);
    scope.push(rel);
  }
  return scope;
}

export { assertApartFromState };
