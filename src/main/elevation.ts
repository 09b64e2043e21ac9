import type { AdminPrompt } from '../core/providers/admin-prompt.js';

/** The popover window's few calls this needs (menubar's BrowserWindow). */
export interface PinnableWindow {
  isAlwaysOnTop(): boolean;
  setAlwaysOnTop(flag: boolean): void;
  isVisible(): boolean;
  show(): void;
}

/**
 * Keeps the popover up while macOS asks for the administrator password, and shows it with the result after.
 * menubar hides its window when it loses the focus, which the password prompt takes, unless the window is
 * always on top (it then only emits 'focus-lost'): the rollback's result would be drawn in a hidden window.
 * Prompts may nest (mount, then unmount in a finally): the window is pinned until the last one ends.
 */
export function keepPopoverUp(window: () => PinnableWindow | undefined): AdminPrompt {
  let depth = 0;
  let wasOnTop = false;
  return {
    around: async <T>(step: () => Promise<T>): Promise<T> => {
      const w = window();
      if (depth++ === 0 && w) { wasOnTop = w.isAlwaysOnTop(); w.setAlwaysOnTop(true); }
      try {
        return await step();
      } finally {
        if (--depth === 0 && w) {
          w.setAlwaysOnTop(wasOnTop);
          if (!w.isVisible()) w.show();
        }
      }
    },
  };
}
