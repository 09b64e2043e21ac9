import { useEffect, useRef } from 'react';

/**
 * Escape anywhere in the page calls `onEscape` (Settings goes Back), wherever focus is, even on nothing: a key
 * handled already (a dialog, a field that uses Escape itself) or pressed while a modal dialog is open is left
 * to them.
 */
export function useEscape(onEscape: () => void, enabled = true): void {
  const latest = useRef(onEscape);
  latest.current = onEscape;
  useEffect(() => {
    if (!enabled) return undefined;
    const onKey = (e: KeyboardEvent): void => {
      if (e.key !== 'Escape' || e.defaultPrevented || document.querySelector('[aria-modal="true"]')) return;
      e.preventDefault();
      latest.current();
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, [enabled]);
}
