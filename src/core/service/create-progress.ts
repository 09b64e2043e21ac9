import type { CreateProgress } from '../../shared/model.js';

/** How often a snapshot's progress is passed on at most: enough for a bar to move, few enough to cost nothing. */
export const PROGRESS_EVERY_MS = 100;

/**
 * A snapshot's progress passed on at most every `everyMs` (capture tells it at every file), and always when the
 * phase changes or the last file is held, so whoever shows it never stops short of the end.
 */
export function throttledProgress(send: (p: CreateProgress) => void, everyMs = PROGRESS_EVERY_MS, now: () => number = Date.now): (p: CreateProgress) => void {
  let last = -Infinity;
  let phase: CreateProgress['phase'] | null = null;
  return (p) => {
    const t = now();
    const end = p.totalFiles !== null && p.files >= p.totalFiles;
    if (p.phase === phase && !end && t - last < everyMs) return;
    last = t;
    phase = p.phase;
    send({ ...p });
  };
}
