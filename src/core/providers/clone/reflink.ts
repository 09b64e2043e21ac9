import { createRequire } from 'node:module';

/** Clones `source` to a new file `dest` (which must not exist) sharing its blocks; throws when it cannot. */
export type Reflink = (source: string, dest: string) => void;

let loaded: Reflink | null | undefined;

/**
 * pnpm's reflink binding (@reflink/reflink, a prebuilt N-API module), loaded on first use. Node's copyFile
 * with COPYFILE_FICLONE makes the same clone, but libuv also truncates and chmods the new file, two more
 * metadata updates per file that the first-snapshot-on-btrfs goal cannot afford (bench/README.md). Null
 * where the binding has no build for this platform: copyFile does the work then.
 */
export function nativeReflink(): Reflink | null {
  if (loaded === undefined) {
    try {
      const binding = createRequire(import.meta.url)('@reflink/reflink') as { reflinkFileSync: (source: string, dest: string) => number | void };
      loaded = (source, dest) => { binding.reflinkFileSync(source, dest); };
    } catch {
      loaded = null;
    }
  }
  return loaded;
}
