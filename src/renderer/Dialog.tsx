import { useEffect, useRef, type ReactNode } from 'react';

const FOCUSABLE = 'button:not([disabled]), input:not([disabled]):not([tabindex="-1"]), select:not([disabled]), textarea, summary, a[href], [tabindex="0"]';

/** A modal that takes focus, keeps Tab inside, closes on Escape and gives focus back to where it was. */
export function Dialog({ title, onClose, children, className, role = 'dialog' }: { title: string; onClose: () => void; children: ReactNode; className?: string; role?: 'dialog' | 'alertdialog' }): React.JSX.Element {
  const box = useRef<HTMLDivElement>(null);
  const close = useRef(onClose);
  close.current = onClose;
  useEffect(() => {
    const previous = document.activeElement as HTMLElement | null;
    box.current?.querySelector<HTMLElement>('[data-autofocus]:not([disabled]), button:not([disabled])')?.focus();
    // Escape with focus outside the dialog (on nothing, once the button that had it was disabled or went away)
    // still closes it: the topmost dialog only.
    const onDocumentKey = (e: KeyboardEvent): void => {
      if (e.key !== 'Escape' || e.defaultPrevented) return;
      const open = document.querySelectorAll('[aria-modal="true"]');
      if (open[open.length - 1] !== box.current) return;
      e.preventDefault();
      close.current();
    };
    document.addEventListener('keydown', onDocumentKey);
    return () => {
      document.removeEventListener('keydown', onDocumentKey);
      if (previous?.isConnected) previous.focus();
    };
  }, []);
  const onKeyDown = (e: React.KeyboardEvent): void => {
    if (e.key === 'Escape') { e.stopPropagation(); e.preventDefault(); onClose(); return; }
    if (e.key !== 'Tab' || !box.current) return;
    const focusable = [...box.current.querySelectorAll<HTMLElement>(FOCUSABLE)].filter((el) => el.offsetParent !== null || el === document.activeElement);
    const first = focusable[0];
    const last = focusable[focusable.length - 1];
    if (!first || !last) return;
    if (e.shiftKey && (document.activeElement === first || !box.current.contains(document.activeElement))) { e.preventDefault(); last.focus(); }
    else if (!e.shiftKey && (document.activeElement === last || !box.current.contains(document.activeElement))) { e.preventDefault(); first.focus(); }
  };
  return (
    <div className="backdrop" onMouseDown={(e) => { if (e.target === e.currentTarget) onClose(); }}>
      <div className={`dialog ${className ?? ''}`} role={role} aria-modal="true" aria-labelledby="dialog-title" ref={box} onKeyDown={onKeyDown}>
        <h2 id="dialog-title">{title}</h2>
        {children}
      </div>
    </div>
  );
}
