import { lstat, realpath } from 'node:fs/promises';
import path from 'node:path';
import { nullIfMissing } from '../base/errors.js';
import { nodeCrypto } from '../base/lazy-crypto.js';
import { runtimeDir } from './folder-lock.js';

/**
 * Where the running app (tray app or `snapctl serve`) answers the CLI for one state folder: a Unix socket in
 * this user's private runtime folder (the folder locks' one, 0700, checked to be this user's own and no link),
 * named for the state folder's real path, so two state folders never share one and no app for another state
 * folder is ever asked. `lock` is held while a starting app looks at, replaces and binds the socket, so two apps
 * starting together never both take it.
 */
export interface AppSocketPlace {
  socket: string;
  lock: string;
  /** The state folder's real path, which the app and the CLI compare on every connection. */
  home: string;
}

export async function appSocketPlace(env: NodeJS.ProcessEnv, home: string): Promise<AppSocketPlace> {
  const real = await stateFolderKey(home);
  const key = nodeCrypto().createHash('sha256').update(real).digest('hex').slice(0, 20);
  const dir = await runtimeDir(env);
  return { socket: path.join(dir, `app-${key}.sock`), lock: path.join(dir, `app-${key}.lock`), home: real };
}

/** The state folder as both sides name it: its real path (a link to it is the same folder), else as given. */
export async function stateFolderKey(home: string): Promise<string> {
  const resolved = path.resolve(home);
  return realpath(resolved).catch(() => resolved);
}

/**
 * What stands at the socket's path: nothing, a socket of this user's, or something to leave alone (a link, a
 * file, another user's socket), with why. Nothing but a socket this user owns is ever connected to or removed.
 */
export type SocketPathState = { kind: 'missing' } | { kind: 'socket' } | { kind: 'refused'; why: string };

export async function socketPathState(socket: string): Promise<SocketPathState> {
  const st = await lstat(socket).catch(nullIfMissing);
  if (st === null) return { kind: 'missing' };
  if (st.isSymbolicLink()) return { kind: 'refused', why: `${socket} is a symbolic link, not the app's socket` };
  if (!st.isSocket()) return { kind: 'refused', why: `${socket} is not a socket` };
  const uid = process.getuid?.();
  if (uid !== undefined && st.uid !== uid) return { kind: 'refused', why: `${socket} belongs to another user (uid ${st.uid})` };
  return { kind: 'socket' };
}
