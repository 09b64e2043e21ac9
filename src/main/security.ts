import type { Event, WebContents, WebPreferences } from 'electron';
import { isTrustedSender } from '../api/ipc.js';

/**
 * The popover's renderer: isolated, sandboxed, no Node; the preload bridge is its only way out. DevTools only
 * when the caller allows them (launch-guard.ts: never in a user's package).
 */
export function popoverWebPreferences(preload: string, devTools = false): WebPreferences {
  return {
    preload,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    experimentalFeatures: false,
    navigateOnDragDrop: false,
    webviewTag: false,
    spellcheck: false,
    devTools,
  };
}

type HardenableContents = Pick<WebContents, 'on' | 'setWindowOpenHandler'> & { session: Pick<WebContents['session'], 'setPermissionRequestHandler' | 'setPermissionCheckHandler'> };

/**
 * Every web contents the app creates may show only the popover: navigation away, new windows, webviews and
 * permission prompts (camera, notifications from the page, ...) are all refused.
 */
export function hardenWebContents(contents: HardenableContents, appUrl: string): void {
  contents.on('will-navigate', (event: Event, url: string) => {
    if (!isTrustedSender({ url, parent: null }, appUrl)) event.preventDefault();
  });
  contents.on('will-redirect', (event: Event) => event.preventDefault());
  contents.on('will-attach-webview', (event: Event) => event.preventDefault());
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
  contents.session.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
  contents.session.setPermissionCheckHandler(() => false);
}
