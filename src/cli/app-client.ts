import type { Socket } from 'node:net';
import { SnapctlError } from '../core/base/errors.js';
import { installLayout } from '../core/base/install.js';
import { appSocketPlace, socketPathState } from '../core/state/app-socket.js';
import { APP_SOCKET_PROTOCOL, type AppAnswer, type AppError, type AppHelloAnswer } from '../shared/app-socket.js';
import type { CreateProgress, Trigger } from '../shared/model.js';

/** How long the CLI waits for the app to accept and greet it before doing the work itself. */
const CONNECT_MS = 1_000;

/** The app did not take the request (it never reached its core): the CLI does the work itself. */
export class AppRefused extends Error {}

/** The app went away after taking the request: whether the work was done is not known. */
export class AppGone extends Error {}

type Event = { trigger: Trigger; progress: CreateProgress };

interface Pending { resolve: (value: unknown) => void; reject: (err: unknown) => void; onEvent?: (e: Event) => void; notices: (n: string[]) => void }

/**
 * Why this command must do its work itself whatever app runs: `SNAPCTL_NO_APP` says so, or the command was
 * given a `SNAPCTL_*` setting of its own (a trace, a test's fault), which the app, started with its own
 * environment, would not apply. Null when the app may be asked.
 */
export function ownWork(env: NodeJS.ProcessEnv): string | null {
  const no = env['SNAPCTL_NO_APP'];
  if (no !== undefined && no !== '' && no !== '0') return 'SNAPCTL_NO_APP is set';
  const own = Object.keys(env).find((k) => k.startsWith('SNAPCTL_') && k !== 'SNAPCTL_HOME' && k !== 'SNAPCTL_NO_APP' && env[k] !== undefined && env[k] !== '');
  return own ? `${own} is set for this command` : null;
}

/** One connection to the running app for the state folder, greeted (same state folder, same version). */
export class AppClient {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private buffer = '';
  private closed = false;

  private constructor(private readonly socket: Socket, readonly hello: AppHelloAnswer) {}

  /**
   * The app answering for `home`, or why none does (no socket, nothing answering, a socket that is not this
   * user's, another state folder or version): never throws.
   */
  static async connect(env: NodeJS.ProcessEnv, home: string): Promise<AppClient | string> {
    const own = ownWork(env);
    if (own) return own;
    try {
      const place = await appSocketPlace(env, home);
      const state = await socketPathState(place.socket);
      if (state.kind === 'missing') return 'no app is running for this state folder';
      if (state.kind === 'refused') return state.why;
      const socket = await connected(place.socket);
      if (typeof socket === 'string') return socket;
      const pending = new Promise<AppClient | string>((resolve) => {
        const timer = setTimeout(() => { socket.destroy(); resolve('the app did not answer'); }, CONNECT_MS);
        const hello = { id: 0, method: 'hello', home: place.home, version: installLayout().version, protocol: APP_SOCKET_PROTOCOL };
        let buffer = '';
        const onData = (chunk: string): void => {
          buffer += chunk;
          const nl = buffer.indexOf('\n');
          if (nl < 0) return;
          clearTimeout(timer);
          socket.off('data', onData);
          let answer: AppAnswer;
          try {
            answer = JSON.parse(buffer.slice(0, nl)) as AppAnswer;
          } catch {
            socket.destroy();
            resolve('the app answered something else than its greeting');
            return;
          }
          if (!('ok' in answer) || !answer.ok) { socket.destroy(); resolve(`the app refused: ${'ok' in answer && !answer.ok ? answer.error.message : 'no greeting'}`); return; }
          const client = new AppClient(socket, answer.value as AppHelloAnswer);
          client.take(buffer.slice(nl + 1));
          resolve(client);
        };
        socket.setEncoding('utf8');
        socket.on('data', onData);
        socket.once('close', () => { clearTimeout(timer); resolve('the app closed the connection'); });
        socket.write(`${JSON.stringify(hello)}\n`);
      });
      return await pending;
    } catch (err) {
      return err instanceof Error ? err.message : 'the app could not be reached';
    }
  }

  /**
   * One API call through the app. Resolves with its value and the notices the app's core left; throws the
   * core's error as the core threw it, AppRefused when the app did not take it, AppGone when it went away.
   */
  call(method: string, params: unknown, options: { onEvent?: (e: Event) => void; notices: (n: string[]) => void }): Promise<unknown> {
    if (this.closed) return Promise.reject(new AppRefused('the app closed the connection'));
    const id = this.nextId++;
    this.socket.ref();
    return new Promise<unknown>((resolve, reject) => {
      this.pending.set(id, { resolve, reject, ...(options.onEvent ? { onEvent: options.onEvent } : {}), notices: options.notices });
      this.socket.write(`${JSON.stringify({ id, method, params, progress: options.onEvent !== undefined })}\n`);
    }).finally(() => {
      // The connection never keeps the command's process alive between calls.
      if (this.pending.size === 0) this.socket.unref();
    });
  }

  get isClosed(): boolean {
    return this.closed;
  }

  close(): void {
    this.closed = true;
    this.socket.destroy();
  }

  private take(chunk: string): void {
    this.buffer += chunk;
    this.watch();
    for (let nl = this.buffer.indexOf('\n'); nl >= 0; nl = this.buffer.indexOf('\n')) {
      const line = this.buffer.slice(0, nl);
      this.buffer = this.buffer.slice(nl + 1);
      let answer: AppAnswer;
      try {
        answer = JSON.parse(line) as AppAnswer;
      } catch {
        this.socket.destroy(); // what it says can no longer be matched to a request: each pending one is told
        return;
      }
      this.answer(answer);
    }
  }

  private watching = false;
  private watch(): void {
    if (this.watching) return;
    this.watching = true;
    this.socket.on('data', (chunk: string) => this.take(chunk));
    this.socket.on('error', () => undefined);
    this.socket.on('close', () => {
      this.closed = true;
      for (const p of this.pending.values()) p.reject(new AppGone('the snapctl app closed the connection before it answered'));
      this.pending.clear();
    });
    this.socket.unref();
  }

  private answer(answer: AppAnswer): void {
    if (answer.id === null) return;
    const p = this.pending.get(answer.id);
    if (!p) return;
    if ('event' in answer) { p.onEvent?.(answer.event); return; }
    this.pending.delete(answer.id);
    p.notices(answer.notices);
    if (answer.ok) p.resolve(answer.value);
    else p.reject(answer.refused ? new AppRefused(answer.error.message) : thrown(answer.error));
  }
}

async function connected(socket: string): Promise<Socket | string> {
  // Loaded only once a socket stands there: a command with no app running loads no network code.
  const { createConnection } = await import('node:net');
  return new Promise((resolve) => {
    const c = createConnection(socket);
    const timer = setTimeout(() => { c.destroy(); resolve('the app did not accept the connection'); }, CONNECT_MS);
    c.once('connect', () => { clearTimeout(timer); c.removeAllListeners('error'); c.on('error', () => undefined); resolve(c); });
    c.once('error', (err: NodeJS.ErrnoException) => { clearTimeout(timer); resolve(err.code === 'ECONNREFUSED' ? 'no app is running for this state folder (a socket a stopped app left)' : `the app's socket cannot be reached (${err.code ?? err.message})`); });
  });
}

/** The error the core threw in the app, thrown again here as the same kind, words and errno code. */
export function thrown(e: AppError): Error {
  if (e.snapctl) return new SnapctlError(isKind(e.kind) ? e.kind : 'failed', e.message, e.hint);
  const err: NodeJS.ErrnoException = new Error(e.message);
  if (e.code !== undefined) err.code = e.code;
  return err;
}

function isKind(kind: string): kind is SnapctlError['kind'] {
  return ['usage', 'not-found', 'busy', 'failed', 'unsupported', 'corrupt', 'nothing-to-do'].includes(kind);
}
