import { useCallback, useEffect, useRef, useState } from 'react';
import type { ApiCall, SnapshotRecord, StatusView } from '../shared/api.js';

export interface Live {
  status: StatusView | null;
  snapshots: SnapshotRecord[];
  loadError: string | null;
  refresh: () => Promise<void>;
}

/** Status and snapshots, refreshed now, every few seconds (scheduled snapshots appear) and on demand. */
export function useLive(call: ApiCall, intervalMs = 5000): Live {
  const [status, setStatus] = useState<StatusView | null>(null);
  const [snapshots, setSnapshots] = useState<SnapshotRecord[]>([]);
  const [loadError, setLoadError] = useState<string | null>(null);
  const alive = useRef(true);

  const refresh = useCallback(async () => {
    const [s, l] = await Promise.all([call('status', {}), call('list', {})]);
    if (!alive.current) return;
    if (s.ok) setStatus(s.value);
    if (l.ok) setSnapshots(l.value);
    setLoadError(!s.ok ? s.error : !l.ok ? l.error : null);
  }, [call]);

  useEffect(() => {
    alive.current = true;
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

  return { status, snapshots, loadError, refresh };
}
