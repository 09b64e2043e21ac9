/**
 * A worker thread of QueryPool: answers one query at a time on a service of its own, so a long search or
 * diff never holds up the thread that serves requests, runs the scheduler and hears SIGTERM.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { AdminPrompt } from '../providers/admin-prompt.js';
import { policyOf, type Settings } from '../state/settings.js';
import { answerQuery, replyOf, type QueryCall, type QueryReply } from './queries.js';
import { DEFAULT_POLICY, ServiceContext } from '../service/context.js';

/**
 * What the worker is started with. A password prompt's `around` (the tray app keeps its popover up while macOS
 * asks) is a function of the main thread: the worker asks the main thread to run it (AroundMessage).
 */
export interface QueryWorkerData { home: string; env: NodeJS.ProcessEnv; adminPrompt: false | { timeoutMs?: number; around: boolean } }
export interface QueryRequest { id: number; call: QueryCall; settings: Settings }
/** Worker to main: a prompt starts (`start`, run `around` and answer `inside`) or has ended (`end`). */
export type AroundMessage = { around: 'start' | 'end'; id: number };
/** Main to worker: `around` has been entered; the prompt may go ahead. */
export interface AroundEntered { inside: number }

const port = parentPort;
if (port) {
  const data = workerData as QueryWorkerData;
  const entered = new Map<number, () => void>();
  let nextAround = 1;
  const around = async <T>(step: () => Promise<T>): Promise<T> => {
    const id = nextAround++;
    await new Promise<void>((resolve) => { entered.set(id, resolve); port.postMessage({ around: 'start', id } satisfies AroundMessage); });
    try {
      return await step();
    } finally {
      port.postMessage({ around: 'end', id } satisfies AroundMessage);
    }
  };
  const prompt: boolean | AdminPrompt = data.adminPrompt === false ? false
    : { ...(data.adminPrompt.timeoutMs !== undefined ? { timeoutMs: data.adminPrompt.timeoutMs } : {}), ...(data.adminPrompt.around ? { around } : {}) };
  // The settings of the call being answered: one at a time, so they are the ones of the current call.
  let settings: Settings | null = null;
  const service = new ServiceContext({
    home: data.home, env: data.env, adminPrompt: prompt,
    policy: async (target) => (settings ? policyOf(settings, target) : DEFAULT_POLICY),
  });
  port.on('message', (message: QueryRequest | AroundEntered) => {
    if ('inside' in message) { entered.get(message.inside)?.(); entered.delete(message.inside); return; }
    settings = message.settings;
    answerQuery(service, message.call).then(
      (value): QueryReply => ({ id: message.id, ok: true, value }),
      (err: unknown) => replyOf(message.id, err),
    ).then((reply) => port.postMessage(reply));
  });
  port.postMessage({ ready: true });
}
