import path from 'node:path';
import envPaths from 'env-paths';
import { assertNotLink } from '../base/private-fs.js';

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
  /** `list --json` as last printed, keyed by what it was computed from (listing-cache.ts). */
  get listingCacheFile(): string { return path.join(this.root, 'listing.cache'); }
  get cloneDir(): string { return path.join(this.root, 'clone'); }
  /** The last result of sending metrics, for `snapctl status` (see metrics-health-file.ts). */
  get metricsHealthFile(): string { return path.join(this.root, 'metrics-health.json'); }

  /**
   * Every folder of the state folder that snapctl writes into, a link in place of any of them refused (see
   * mkdirPrivate): checked before each locked operation, since a write reaches them through their parents
   * (clone/objects through clone) and mkdirPrivate sees only the folder it makes.
   */
  async assertFolders(): Promise<void> {
    for (const sub of STATE_FOLDERS) await assertNotLink(path.join(this.root, sub));
  }
}

/** The state folder's folders, parents before children. */
const STATE_FOLDERS = ['locks', 'journal', 'records', 'pending', 'paths', 'clone', 'clone/objects', 'clone/manifests', 'clone/records', 'clone/pending', 'clone/trash', 'btrfs'];

/** True when `child` is `parent` or lies inside it (both absolute, already resolved). */
export function isWithin(parent: string, child: string): boolean {
  const rel = path.relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}
