import { realpath } from 'node:fs/promises';
import path from 'node:path';
import { usageError } from '../base/errors.js';
import { isWithin } from './paths.js';

/**
 * The state folder and a watched folder never hold one another, however either is reached (a state folder
 * named through a symlink into the project, one that does not exist yet): a rollback would delete the store.
 */
export async function assertApartFromState(real: string, stateHome: string): Promise<void> {
  const homeReal = await realpathOfNearest(path.resolve(stateHome));
  if (isWithin(homeReal, real)) throw usageError(`${real} is inside snapctl's own data folder ${homeReal}`, 'choose a folder outside it');
  if (isWithin(real, homeReal)) {
    throw usageError(`${real} holds snapctl's own data folder ${homeReal}`, 'set SNAPCTL_HOME to a folder outside it, or choose a folder that does not contain it');
  }
}

/** The real path of `p`, or of its nearest existing ancestor with the rest appended: where it will be made. */
async function realpathOfNearest(p: string): Promise<string> {
  const real = await realpath(p).catch(() => null);
  if (real !== null) return real;
  const parent = path.dirname(p);
  return parent === p ? p : path.join(await realpathOfNearest(parent), path.basename(p));
}
