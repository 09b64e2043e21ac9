import type { DiffView, FileDiffView, FileHistoryView } from '../../shared/api.js';
import { SnapctlError, describeError, type ErrorKind } from '../base/errors.js';
import { searchMatcher } from '../history/glob.js';
import type { FindResult } from '../service/history.js';
import type { ServiceContext } from '../service/context.js';
import { fileDiff, previewRollback, type JournalAnswer } from '../service/preview.js';

/**
 * The queries that may take long on a large folder: a search of every path the snapshots hold, a file's
 * history, a preview's diff, one file's text diff. They only read (a history query may bring the folder's path
 * index up to date, under the folder's lock), so they can run on a service of their own in a worker thread.
 */
export interface QueryCalls {
  find: { args: { target: string; query: string; limit: number }; result: FindResult & { total: number } };
  history: { args: { target: string; path: string }; result: FileHistoryView };
  diff: { args: { id: string; paths: string[] | null; keepGit: boolean; /** The main thread's change journal, asked for the worker (see JournalAnswer). */ journal?: JournalAnswer | null; undoing?: string }; result: DiffView };
  fileDiff: { args: { id: string; path: string }; result: FileDiffView };
}
export type QueryMethod = keyof QueryCalls;
export type QueryCall = { [M in QueryMethod]: { method: M; args: QueryCalls[M]['args'] } }[QueryMethod];

export async function answerQuery(service: ServiceContext, call: QueryCall): Promise<QueryCalls[QueryMethod]['result']> {
  switch (call.method) {
    case 'find': return service.history.find(call.args.target, call.args.query, await searchMatcher(call.args.query), { limit: call.args.limit });
    case 'history': return service.history.history(call.args.target, call.args.path);
    case 'diff': return previewRollback(service, call.args.id, call.args.paths, { keepGit: call.args.keepGit, ...(call.args.journal !== undefined ? { journal: call.args.journal } : {}), ...(call.args.undoing !== undefined ? { undoing: call.args.undoing } : {}) });
    case 'fileDiff': return fileDiff(service, call.args.id, call.args.path);
  }
}

/** An answer as it crosses between threads: errors keep their kind and hint. */
export type QueryReply =
  | { id: number; ok: true; value: unknown }
  | { id: number; ok: false; kind: ErrorKind; message: string; hint: string | null };

export function replyOf(id: number, err: unknown): QueryReply {
  if (err instanceof SnapctlError) return { id, ok: false, kind: err.kind, message: err.message, hint: err.hint ?? null };
  return { id, ok: false, kind: 'failed', message: describeError(err), hint: null };
}

export function errorOf(reply: Extract<QueryReply, { ok: false }>): SnapctlError {
  return new SnapctlError(reply.kind, reply.message, reply.hint ?? undefined);
}
