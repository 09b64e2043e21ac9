import path from 'node:path';
import envPaths from 'env-paths';

/** Where snapctl keeps its state: `$SNAPCTL_HOME`, else the OS's per-user app data folder. */
export function defaultHome(env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env['SNAPCTL_HOME'];
  if (fromEnv && fromEnv.trim() !== '') return path.resolve(fromEnv);
  return envPaths('snapctl', { suffix: '' }).data;
}

/** The layout of a state folder, in one place so that nothing else builds these paths by hand. */
export class HomeLayout {
  constructor(readonly root: string) {}
  get storeFile(): string { return path.join(this.root, 'store.json'); }
  /** The generation of the last index written, kept apart from it: an older index put back is found (store.ts). */
  get storeGenerationFile(): string { return path.join(this.root, 'store.generation'); }
  /** Space kept aside so that a delete can be recorded on a full disk (space-reserve.ts). */
  get reserveFile(): string { return path.join(this.root, 'reserve'); }
  get locksDir(): string { return path.join(this.root, 'locks'); }
  get journalDir(): string { return path.join(this.root, 'journal'); }
  get settingsFile(): string { return path.join(this.root, 'settings.json'); }
  get cloneDir(): string { return path.join(this.root, 'clone'); }
  /** The last result of sending metrics, for `snapctl status` (see metrics-health-file.ts). */
  get metricsHealthFile(): string { return path.join(this.root, 'metrics-health.json'); }
}

/** True when `child` is `parent` or lies inside it (both absolute, already resolved). */
export function isWithin(parent: string, child: string): boolean {
  const rel = path.relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}
