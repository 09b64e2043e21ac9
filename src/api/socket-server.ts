import { AsyncLocalStorage } from 'node:async_hooks';
import { chmod, lstat, unlink } from 'node:fs/promises';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { SnapctlError, describeError, errnoCode } from '../core/base/errors.js';
import { installLayout } from '../core/base/install.js';
import { peerUid } from '../core/base/peer-credentials.js';
import { mkdirPrivate } from '../core/base/private-fs.js';
import { appSocketPlace, socketPathState, type AppSocketPlace } from '../core/state/app-socket.js';
import { withLock } from '../core/state/locks.js';
import { APP_SOCKET_MAX_LINE, APP_SOCKET_PROTOCOL, type AppAnswer, type AppError, type AppHelloAnswer } from '../shared/app-socket.js';
import { checkRequest, type DispatchContext } from './dispatch.js';

export interface AppSocketOptions {
  context: DispatchContext;
  env: NodeJS.ProcessEnv;
  /** Why the socket is not served (another app answers for the state folder, a link in its place): said once. */
  onProblem?: (message: string) => void;
  /** Tests shorten these. */
  limits?: Partial<AppSocketLimits>;
}

export interface AppSocketLimits {
  /** The longest request line; a longer one is refused and its connection closed. */
  maxLine: number;
  /** Requests one connection may have running at once. */
  maxInFlight: number;
  /** A connection with nothing running closes after this long without a request. */
  idleMs: number;
  /** How long a starting app waits for another one that is looking at the same socket. */
  lockWaitMs: number;
}

/**
 * What the CLI asks of the app; any other method is refused as unknown. Settings and the popover's other calls
 * stay with the popover, whose shell applies what only it can after them (the login item).
 */
const SOCKET_METHODS: ReadonlySet<string> = new Set(['create', 'diff', 'rollback', 'undo', 'progress', 'status']);

const LIMITS: AppSocketLimits = { maxLine: APP_SOCKET_MAX_LINE, maxInFlight: 8, idleMs: 30_000, lockWaitMs: 10_000 };

export interface AppSocket {
  readonly path: string;
  /** Calls run for the CLI so far (not counting hellos): the tests' proof that a command went through the app. */
  readonly served: number;
  close(): Promise<void>;
}

/** The request a running call belongs to, so the snapshot progress it causes goes to its caller alone. */
interface Running { id: number; socket: Socket; progress: boolean }

/**
 * Serves the API to this user's CLI on the state folder's local socket (see core/state/app-socket.ts), so
 * `snapctl create`, `rollback`, `undo`, `diff`, `run` and the git hooks use the running app's service (its path
 * index, its change journal) instead of walking from a fresh process. Nothing else can reach it: the socket is
 * 0600 in a 0700 folder of this user's, checked; every request is validated like HTTP's, size-capped, and a
 * malformed one closes only its own connection. Null when it cannot be served (another live app answers for
 * this state folder, or something other than this user's socket stands at its path): the app runs on without.
 */
export async function startAppSocket(options: AppSocketOptions): Promise<AppSocket | null> {
  const limits = { ...LIMITS, ...options.limits };
  const service = options.context.runtime.service;
  let place: AppSocketPlace;
  try {
    // Made now if need be, so the socket is named for its real path from the start (see stateFolderKey).
    await mkdirPrivate(service.layout.root, { mayBeLink: true });
    place = await appSocketPlace(options.env, service.layout.root);
  } catch (err) {
    options.onProblem?.(`the snapctl command cannot reach this app (${describeError(err)}); it does its work itself`);
    return null;
  }
  const version = installLayout().version;
  const running = new AsyncLocalStorage<Running>();
  const connections = new Set<Socket>();
  let served = 0;

  const unobserve = service.onEvent((e) => {
    if (e.type !== 'snapshot-progress') return;
    const r = running.getStore();
    if (r?.progress) send(r.socket, { id: r.id, event: { trigger: e.trigger, progress: e.progress } });
  });

  const server = createServer({ allowHalfOpen: false }, (socket) => {
    // Same user only: the folder and the socket's mode keep others out; the peer's own id is checked too
    // where the system tells it, so a folder or socket opened up by mistake still lets no one else in.
    const fd = (socket as unknown as { _handle?: { fd?: unknown } })._handle?.fd;
    const peer = typeof fd === 'number' && fd >= 0 ? peerUid(fd) : null;
    if (peer !== null && peer !== process.getuid?.()) { socket.destroy(); return; }
    connections.add(socket);
    socket.on('close', () => connections.delete(socket));
    socket.on('error', () => undefined);
    serveConnection(socket);
  });
  server.maxConnections = 64;

  function serveConnection(socket: Socket): void {
    let buffer = '';
    let greeted = false;
    let inFlight = 0;
    socket.setEncoding('utf8');
    socket.setTimeout(limits.idleMs, () => { if (inFlight === 0) socket.destroy(); });
    const refuse = (id: number | null, message: string, close: boolean): void => {
      send(socket, { id, ok: false, refused: true, error: { kind: 'usage', message, snapctl: true }, notices: [] });
      if (close) socket.end();
    };
    const onLine = (line: string): boolean => {
      const request = parseRequest(line);
      if (request === null) { refuse(null, 'a request is one line of JSON: {"id": a number, "method": text, "params": an object}', true); return false; }
      const { id, method } = request;
      if (!greeted) {
        if (method !== 'hello') { refuse(id, 'the first request must be hello', true); return false; }
        const why = request.home !== place.home ? 'this app serves another state folder'
          : request.version !== version || request.protocol !== APP_SOCKET_PROTOCOL ? `this app runs snapctl ${version}` : null;
        if (why) { refuse(id, why, true); return false; }
        greeted = true;
        const hello: AppHelloAnswer = { home: place.home, version, protocol: APP_SOCKET_PROTOCOL, pid: process.pid };
        send(socket, { id, ok: true, value: hello, notices: [] });
        return true;
      }
      if (inFlight >= limits.maxInFlight) { refuse(id, `at most ${limits.maxInFlight} requests at once on one connection`, false); return true; }
      const checked = typeof method === 'string' && SOCKET_METHODS.has(method) ? checkRequest(method, request.params)
        : { ok: false as const, error: `unknown method ${typeof method === 'string' ? JSON.stringify(method.slice(0, 40)) : `of type ${method === null ? 'null' : typeof method}`} (this socket answers ${[...SOCKET_METHODS].join(', ')})` };
      if (!checked.ok) { refuse(id, checked.error, false); return true; }
      inFlight += 1;
      served += 1;
      // What the app mended before this call is its own; what the call mends goes back with its answer.
      service.takeNotices();
      void running.run({ id, socket, progress: request.progress === true }, () => checked.run(options.context)).then(
        (value) => send(socket, { id, ok: true, value, notices: service.takeNotices() }),
        (err: unknown) => send(socket, { id, ok: false, error: appError(err), notices: service.takeNotices() }),
      ).finally(() => { inFlight -= 1; });
      return true;
    };
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      for (let nl = buffer.indexOf('\n'); nl >= 0; nl = buffer.indexOf('\n')) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        if (line.length > limits.maxLine) { refuse(null, `a request is at most ${limits.maxLine} bytes`, true); buffer = ''; return; }
        if (!onLine(line)) { buffer = ''; return; }
      }
      if (buffer.length > limits.maxLine) { refuse(null, `a request is at most ${limits.maxLine} bytes`, true); buffer = ''; }
    });
  }

  const listening = await withLock(place.lock, { waitMs: limits.lockWaitMs, what: 'the app socket' }, () => listenOnce(server, place.socket)).catch((err: unknown) => describeError(err));
  if (typeof listening === 'string') {
    unobserve();
    options.onProblem?.(`the snapctl command cannot reach this app: ${listening}; it does its work itself`);
    return null;
  }
  const ino = listening;
  return {
    path: place.socket,
    get served() { return served; },
    async close() {
      unobserve();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const c of connections) c.destroy();
      await closed;
      // Only the socket this app made: a later app's, bound after a stale check, stays.
      const st = await lstat(place.socket, { bigint: true }).catch(() => null);
      if (st?.isSocket() && st.ino === ino) await unlink(place.socket).catch(() => undefined);
    },
  };
}

/**
 * Binds the socket, replacing one a killed app left (nothing answers it: ECONNREFUSED), never one a live app
 * serves, nor anything else at its path (a link, a file, another user's socket). Runs under the socket's lock.
 * Returns the socket's inode (so close removes its own only), or why it was not served.
 */
async function listenOnce(server: Server, socket: string): Promise<bigint | string> {
  const state = await socketPathState(socket);
  if (state.kind === 'refused') return `${state.why}; remove it`;
  if (state.kind === 'socket') {
    if (await answers(socket)) return 'another snapctl app answers for this state folder';
    await unlink(socket);
  }
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socket, () => { server.off('error', reject); resolve(); });
  });
  // bind made it with the umask's mode; its folder (0700) already keeps others out, this says so on the socket too.
  await chmod(socket, 0o600);
  return (await lstat(socket, { bigint: true })).ino;
}

/** Whether something accepts connections on the socket: a refused connection is a socket nobody serves. */
function answers(socket: string): Promise<boolean> {
  return new Promise((resolve) => {
    const c = createConnection(socket);
    const done = (live: boolean): void => { c.destroy(); resolve(live); };
    c.once('connect', () => done(true));
    c.once('error', (err) => done(errnoCode(err) !== 'ECONNREFUSED' && errnoCode(err) !== 'ENOENT'));
    c.setTimeout(2_000, () => done(true));
  });
}

interface ParsedRequest { id: number; method: unknown; params: unknown; progress: unknown; home: unknown; version: unknown; protocol: unknown }

function parseRequest(line: string): ParsedRequest | null {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return null;
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return null;
  const r = value as Record<string, unknown>;
  if (typeof r['id'] !== 'number' || !Number.isSafeInteger(r['id'])) return null;
  return { id: r['id'], method: r['method'], params: r['params'], progress: r['progress'], home: r['home'], version: r['version'], protocol: r['protocol'] };
}

function send(socket: Socket, answer: AppAnswer): void {
  if (socket.destroyed || !socket.writable) return;
  socket.write(`${JSON.stringify(answer)}\n`);
}

/** The error as the core threw it, so the CLI throws the same one (see AppError). */
function appError(err: unknown): AppError {
  if (err instanceof SnapctlError) return { kind: err.kind, message: err.message, ...(err.hint !== undefined ? { hint: err.hint } : {}), snapctl: true };
  const code = errnoCode(err);
  return { kind: 'failed', message: err instanceof Error ? err.message : describeError(err), ...(code !== undefined ? { code } : {}), snapctl: false };
}
