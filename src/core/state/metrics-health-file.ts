import { readFile } from 'node:fs/promises';
import { firstProblem, isCount, isIsoUtc, isString, recordShape } from '../base/checks.js';
import { writeFileAtomic } from './atomic-write.js';
import type { HomeLayout } from './paths.js';

/**
 * The last result of sending metrics, from whichever snapctl sent last (a command, a hook, the tray app,
 * `snapctl serve`). `snapctl status` loads no metrics client, so the senders leave this small file for it.
 * Several processes write it: each merges its result into what is there (a lost race costs one count, never
 * the file: the write is atomic), and a file that does not check out is ignored as absent.
 */
export interface MetricsHealthRecord {
  version: 1;
  updatedAt: string;
  transport: 'udp' | 'uds' | null;
  destination: string | null;
  lastSentAt: string | null;
  lastError: string | null;
  lastErrorAt: string | null;
  sendErrors: number;
}

/** One sender's news since it last wrote: its sends, its newest error, how many failed. */
export interface MetricsResult {
  transport: 'udp' | 'uds' | null;
  destination: string | null;
  lastSentAt: string | null;
  lastError: string | null;
  lastErrorAt: string | null;
  newErrors: number;
}

const isIsoOrNull = (v: unknown): boolean => v === null || isIsoUtc(v);
const isTextOrNull = (v: unknown): boolean => v === null || (isString(v) && v.length <= 1_000);

const SHAPE = recordShape<keyof MetricsHealthRecord>([
  ['version', (v) => v === 1, '1'],
  ['updatedAt', isIsoUtc, 'an ISO time'],
  ['transport', (v) => v === null || v === 'udp' || v === 'uds', "'udp', 'uds' or null"],
  ['destination', isTextOrNull, 'text or null'],
  ['lastSentAt', isIsoOrNull, 'an ISO time or null'],
  ['lastError', isTextOrNull, 'text or null'],
  ['lastErrorAt', isIsoOrNull, 'an ISO time or null'],
  ['sendErrors', isCount, 'a count'],
]);

function isRecord(v: unknown): v is MetricsHealthRecord {
  return firstProblem(v, SHAPE) === null;
}

export async function readMetricsHealth(layout: HomeLayout): Promise<MetricsHealthRecord | null> {
  const text = await readFile(layout.metricsHealthFile, 'utf8').catch(() => null);
  if (text === null || text.length > 16_384) return null;
  let parsed: unknown;
  try { parsed = JSON.parse(text); } catch { return null; }
  return isRecord(parsed) ? parsed : null;
}

const later = (a: string | null, b: string | null): string | null => (a === null ? b : b === null ? a : a > b ? a : b);

/** Merges one sender's result into the file; never throws (a state folder that cannot be written loses only this). */
export async function recordMetricsResult(layout: HomeLayout, result: MetricsResult, now: Date = new Date()): Promise<void> {
  try {
    const old = await readMetricsHealth(layout);
    const errorIsNewer = result.lastErrorAt !== null && (old?.lastErrorAt == null || result.lastErrorAt >= old.lastErrorAt);
    const next: MetricsHealthRecord = {
      version: 1,
      updatedAt: now.toISOString(),
      transport: result.transport,
      destination: result.destination,
      lastSentAt: later(old?.lastSentAt ?? null, result.lastSentAt),
      lastError: errorIsNewer ? result.lastError : old?.lastError ?? null,
      lastErrorAt: errorIsNewer ? result.lastErrorAt : old?.lastErrorAt ?? null,
      sendErrors: Math.min(Number.MAX_SAFE_INTEGER, (old?.sendErrors ?? 0) + result.newErrors),
    };
    // A status hint, rewritten by every sender: atomic (never half written) but not worth an fsync.
    await writeFileAtomic(layout.metricsHealthFile, `${JSON.stringify(next)}\n`, { fsync: false });
  } catch {
    // metrics never fail a command
  }
}
