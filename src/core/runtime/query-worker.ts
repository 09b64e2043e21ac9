/**
 * A worker thread of QueryPool: answers one query at a time on a service of its own, so a long search or
 * diff never holds up the thread that serves requests, runs the scheduler and hears SIGTERM.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { DEFAULT_POLICY, SnapshotService } from '../service/service.js';
import { policyOf, type Settings } from '../state/settings.js';
import { answerQuery, replyOf, type QueryCall, type QueryReply } from './queries.js';

export interface QueryWorkerData { home: string; env: NodeJS.ProcessEnv; adminPrompt: boolean }
export interface QueryRequest { id: number; call: QueryCall; settings: Settings }

const port = parentPort;
if (port) {
  const data = workerData as QueryWorkerData;
  // The settings of the call being answered: one at a time, so they are the ones of the current call.
  let settings: Settings | null = null;
  const service = new SnapshotService({
    home: data.home, env: data.env, adminPrompt: data.adminPrompt,
    policy: async (target) => (settings ? policyOf(settings, target) : DEFAULT_POLICY),
  });
  port.on('message', (request: QueryRequest) => {
    settings = request.settings;
    answerQuery(service, request.call).then(
      (value): QueryReply => ({ id: request.id, ok: true, value }),
      (err: unknown) => replyOf(request.id, err),
    ).then((reply) => port.postMessage(reply));
  });
  port.postMessage({ ready: true });
}
