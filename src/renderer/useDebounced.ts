import { useEffect, useRef, useState } from 'react';
import type { ApiCall, ApiMethod, ApiRequest, ApiResult } from '../shared/api.js';

/**
 * Asks the API about `input` once typing pauses; the answer is null while asking (or when `params` is
 * null) and always belongs to the latest input: a slow answer to an older one is dropped.
 */
export function useDebouncedCall<M extends ApiMethod>(call: ApiCall, method: M, params: ApiRequest<M> | null, delayMs = 300): ApiResult<M> | null {
  const key = params === null ? null : JSON.stringify(params);
  const latest = useRef(params);
  latest.current = params;
  const [answer, setAnswer] = useState<{ key: string; result: ApiResult<M> } | null>(null);
  useEffect(() => {
    const asked = latest.current;
    if (key === null || asked === null) return;
    let live = true;
    const timer = setTimeout(() => {
      void call(method, asked).then((result) => { if (live) setAnswer({ key, result }); });
    }, delayMs);
    return () => { live = false; clearTimeout(timer); };
  }, [call, method, key, delayMs]);
  return answer !== null && answer.key === key ? answer.result : null;
}
