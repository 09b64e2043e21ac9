import { createRequire } from 'node:module';

/** Clones `source` to a new file `dest` (which must not exist) sharing its blocks; throws when it cannot. */
export type Reflink = (source: string, dest: string) => void;
/** The same in the thread pool. */
export type ReflinkAsync = (source: string, dest: string) => Promise<void>;

interface Binding {
  reflinkFileSync: (source: string, dest: string) => number | void;
  reflinkFile: (source: string, dest: string) => Promise<number | void>;
}

let loaded: Binding | null | undefined;

/**
 * pnpm's reflink binding (@reflink/reflink, a prebuilt N-API module), loaded on first use. Node's copyFile
 * with COPYFILE_FICLONE makes the same clone, but libuv also truncates and chmods the new file, two more
 * metadata updates per file that the first-snapshot-on-btrfs goal cannot afford (bench/README.md). Null
 * where the binding has no build for this platform: copyFile does the work then.
 */
function binding(): Binding | null {
  if (loaded === undefined) {
    try {
      loaded = createRequire(import.meta.url)('@reflink/reflink') as Binding;
    } catch {
      loaded = null;
    }
  }
  return loaded;
}

export function nativeReflink(): Reflink | null {
  const b = binding();
  return b ? (source, dest) => { b.reflinkFileSync(source, dest); } : null;
}

export function nativeReflinkAsync(): ReflinkAsync | null {
  const b = binding();
  return b ? async (source, dest) => { await b.reflinkFile(source, dest); } : null;
}
