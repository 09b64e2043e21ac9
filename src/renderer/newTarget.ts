import type { SettingsView } from '../shared/api.js';
import { DEFAULT_RETENTION, DEFAULT_SCHEDULE } from '../shared/defaults.js';

/** A folder the user just added: hourly, clone, default retention, `.git` rolled back with the rest. The core validates it on save. */
export function newTarget(path: string, paused: boolean): SettingsView['targets'][number] {
  return { path, schedule: DEFAULT_SCHEDULE, provider: 'clone', retention: { ...DEFAULT_RETENTION }, paused, keepGit: false, excludes: [], maxStoreBytes: null };
}
