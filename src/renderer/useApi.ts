import { useCallback, useEffect, useRef, useState } from 'react';
import type { ApiCall, ListView, StatusView } from '../shared/api.js';

export interface Live {
  status: StatusView | null;
  /** The snapshots of `target` only, with its rollbacks; null until the first answer for that folder. */
  list: ListView | null;
  loadError: string | null;
  refresh: () => Promise<void>;
}

/** Status and one folder's snapshots, refreshed now, every few seconds (scheduled snapshots appear) and on demand. */
export function useLive(call: ApiCall, target: string | null, intervalMs = 5000): Live {
  const [status, setStatus] = useState<StatusView | null>(null);
  const [list, setList] = useState<ListView | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const alive = useRef(true);
  const asked = useRef(target);
  asked.current = target;

  const refresh = useCallback(async () => {
    const [s, l] = await Promise.all([call('status', {}), target === null ? Promise.resolve(null) : call('list', { target })]);
    // An answer for a folder no longer chosen must not show under the one that is.
    if (!alive.current || asked.current !== target) return;
    if (s.ok) setStatus(s.value);
    if (l === null) setList({ snapshots: [], rollbacks: [], totals: { storeBytes: null, folderBytes: null, freeBytes: null, floorBytes: null, sharesBlocks: false } });
    else if (l.ok) setList(l.value);
    setLoadError(!s.ok ? s.error : l && !l.ok ? l.error : null);
  }, [call, target]);

  useEffect(() => {
    alive.current = true;
    setList(null); // another folder: its rows, not the last folder's, or none while they come
    void refresh();
    const timer = setInterval(() => void refresh(), intervalMs);
    const onVisible = (): void => { if (document.visibilityState === 'visible') void refresh(); };
    document.addEventListener('visibilitychange', onVisible);
    return () => {
      alive.current = false;
      clearInterval(timer);
      document.removeEventListener('visibilitychange', onVisible);
    };
  }, [refresh, intervalMs]);

  return { status, list, loadError, refresh };
}
