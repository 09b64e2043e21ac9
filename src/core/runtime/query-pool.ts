import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { SnapctlError, describeError } from '../base/errors.js';
import type { Settings } from '../state/settings.js';
import { answerQuery, errorOf, type QueryCall, type QueryCalls, type QueryMethod, type QueryReply } from './queries.js';
import type { AdminPrompt } from '../providers/admin-prompt.js';
import type { AroundEntered, AroundMessage, QueryRequest, QueryWorkerData } from './query-worker.js';
import type { ServiceContext } from '../service/context.js';

export interface QueryPoolOptions {
  home: string;
  env: NodeJS.ProcessEnv;
  /** The password prompt a query may need (mounting an APFS snapshot): its `around` runs in this thread. */
  adminPrompt: boolean | AdminPrompt;
  /** The settings a query sees (a preview's excludes): read when the query is asked. */
  settings: () => Settings;
  /** Answers in this thread when no worker can be started (its code missing, as in a build without it). */
  local: ServiceContext;
  /** At most this many queries run at once, each in a worker of its own (default 2). */
  size?: number;
  /** A worker idle this long ends, giving back what it holds (a large folder's path index). */
  idleMs?: number;
  /** The worker's code (default: query-worker beside this file, as tsc or the CLI bundle lays it out). */
  workerFile?: URL | null;
}

interface Job { id: number; call: QueryCall; settings: Settings; resolve: (value: unknown) => void; reject: (err: unknown) => void }
interface Slot { worker: Worker; ready: boolean; job: Job | null; error: unknown; idle: NodeJS.Timeout | undefined; prompts: Map<number, () => void> }

/** The worker's file: beside this one, `.cjs` in the CLI bundle (its import.meta.url is the bundle's own). */
export function defaultWorkerFile(): URL {
  const here = import.meta.url;
  return new URL(here.endsWith('.cjs') ? './query-worker.cjs' : './query-worker.js', here);
}

function stopping(): SnapctlError {
  return new SnapctlError('failed', 'snapctl is stopping: the query was not finished', 'ask again once snapctl runs again');
}

/**
 * Runs the long queries (see queries.ts) in worker threads, so the thread that serves requests, runs the
 * scheduler and hears SIGTERM is never held up by one: a cheap request is answered while a search runs, and
 * `stop` ends every query at once (a worker is terminated wherever it is; the queries only read, and what a
 * history query writes goes in by atomic rename).
 */
export class QueryPool {
  private readonly slots = new Set<Slot>();
  private readonly queue: Job[] = [];
  private readonly file: URL | null;
  private nextId = 1;
  private stopped = false;
  /** Workers could not start here: every query is answered in this thread instead. */
  private local = false;

  constructor(private readonly options: QueryPoolOptions) {
    const file = options.workerFile === undefined ? defaultWorkerFile() : options.workerFile;
    this.file = file && existsSync(fileURLToPath(file)) ? file : null;
    this.local = this.file === null;
  }

  run<M extends QueryMethod>(call: { method: M; args: QueryCalls[M]['args'] }): Promise<QueryCalls[M]['result']> {
    if (this.stopped) return Promise.reject(stopping());
    return new Promise((resolve, reject) => {
      this.queue.push({ id: this.nextId++, call: call as QueryCall, settings: this.options.settings(), resolve: resolve as (value: unknown) => void, reject });
      this.pump();
    });
  }

  /** Ends every query and worker: those running or waiting fail with "snapctl is stopping". */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const job of this.queue.splice(0)) job.reject(stopping());
    const ending: Promise<number>[] = [];
    for (const slot of this.slots) {
      clearTimeout(slot.idle);
      for (const end of slot.prompts.values()) end();
      slot.job?.reject(stopping());
      slot.job = null;
      ending.push(slot.worker.terminate());
    }
    this.slots.clear();
    await Promise.allSettled(ending);
  }

  /** How many workers are running: for the tests. */
  get workers(): number {
    return this.slots.size;
  }

  private pump(): void {
    while (this.queue.length > 0 && !this.stopped) {
      if (this.local) {
        const job = this.queue.shift() as Job;
        answerQuery(this.options.local, job.call).then(job.resolve, job.reject);
        continue;
      }
      const slot = [...this.slots].find((s) => s.job === null) ?? (this.slots.size < (this.options.size ?? 2) ? this.spawn() : null);
      if (!slot) return;
      const job = this.queue.shift() as Job;
      clearTimeout(slot.idle);
      slot.job = job;
      slot.worker.ref();
      const request: QueryRequest = { id: job.id, call: job.call, settings: job.settings };
      slot.worker.postMessage(request);
    }
  }

  private spawn(): Slot | null {
    let worker: Worker;
    try {
      const prompt = this.options.adminPrompt;
      const adminPrompt: QueryWorkerData['adminPrompt'] = prompt === false ? false
        : prompt === true ? { around: false } : { ...(prompt.timeoutMs !== undefined ? { timeoutMs: prompt.timeoutMs } : {}), around: prompt.around !== undefined };
      const workerData: QueryWorkerData = { home: this.options.home, env: this.options.env, adminPrompt };
      worker = new Worker(this.file as URL, { workerData });
    } catch {
      this.local = true;
      return null;
    }
    const slot: Slot = { worker, ready: false, job: null, error: null, idle: undefined, prompts: new Map() };
    this.slots.add(slot);
    worker.on('message', (m: QueryReply | AroundMessage | { ready: true }) => {
      if ('ready' in m) { slot.ready = true; return; }
      if ('around' in m) { this.around(slot, m); return; }
      const job = slot.job;
      if (!job || m.id !== job.id) return;
      slot.job = null;
      // Idle, it keeps nothing alive, and ends after a while.
      worker.unref();
      slot.idle = setTimeout(() => { if (slot.job === null) void worker.terminate(); }, this.options.idleMs ?? 60_000);
      slot.idle.unref();
      if (m.ok) job.resolve(m.value); else job.reject(errorOf(m));
      this.pump();
    });
    worker.on('error', (err) => { slot.error = err; });
    worker.on('exit', (code) => {
      clearTimeout(slot.idle);
      for (const end of slot.prompts.values()) end();
      slot.prompts.clear();
      this.slots.delete(slot);
      const job = slot.job;
      slot.job = null;
      if (this.stopped) return;
      if (!slot.ready) {
        // The worker could not even start (its code missing or broken here): this thread answers instead.
        this.local = true;
        if (job) this.queue.unshift(job);
      } else if (job) {
        job.reject(new SnapctlError('failed', `the query stopped part way: ${describeError(slot.error ?? `its worker ended with code ${code}`)}`, 'ask again; if it stops again, please report it'));
      }
      this.pump();
    });
    return slot;
  }

  /** A worker's password prompt: the `around` of this thread runs while it lasts. */
  private around(slot: Slot, m: AroundMessage): void {
    const prompt = this.options.adminPrompt;
    if (m.around === 'end') { slot.prompts.get(m.id)?.(); slot.prompts.delete(m.id); return; }
    const inside = (): Promise<void> => new Promise<void>((resolve) => {
      slot.prompts.set(m.id, resolve);
      slot.worker.postMessage({ inside: m.id } satisfies AroundEntered);
    });
    const run = typeof prompt === 'object' && prompt.around ? prompt.around(inside) : inside();
    run.catch(() => undefined);
  }
}
