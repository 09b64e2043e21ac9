import { createRequire } from 'node:module';
import { fstatSync, ftruncateSync, readSync, writeSync } from 'node:fs';

/** A run of a file's bytes that may hold data: [start, end). Every byte outside the regions reads as zero. */
export type Region = readonly [start: number, end: number];

type Lseek = ((fd: number, offset: number, whence: number) => number) & {
  async: (fd: number, offset: number, whence: number, done: (err: unknown, result: number) => void) => void;
};

/** SEEK_DATA and SEEK_HOLE, which differ between systems (and are absent from Node's fs). */
const WHENCE: Partial<Record<NodeJS.Platform, { data: number; hole: number }>> = {
  linux: { data: 3, hole: 4 }, android: { data: 3, hole: 4 }, freebsd: { data: 3, hole: 4 }, darwin: { data: 4, hole: 3 },
};
/** Where off_t is 64 bits, so `lseek` takes and returns offsets past 2 GiB. */
const WIDE = new Set(['x64', 'arm64', 'ppc64', 'riscv64', 'loong64', 's390x']);

let loaded: { lseek: Lseek; data: number; hole: number } | null | undefined;

/**
 * lseek(2) through koffi (a prebuilt N-API foreign-function binding): Node has no lseek, and SEEK_DATA /
 * SEEK_HOLE are the one portable way to find a file's holes without reading them (cp and rsync use them).
 * Null where koffi has no build for this platform or the system lacks the two: every byte is then read.
 */
function native(): { lseek: Lseek; data: number; hole: number } | null {
  if (loaded === undefined) {
    loaded = null;
    const whence = WHENCE[process.platform];
    if (whence && WIDE.has(process.arch) && process.env['SNAPCTL_NO_SEEK_DATA'] !== '1') {
      try {
        type Koffi = { load: (name: string | null) => { func: (signature: string) => Lseek } };
        const koffi = createRequire(import.meta.url)('koffi') as Koffi;
        loaded = { lseek: koffi.load(null).func('int64_t lseek(int fd, int64_t offset, int whence)'), ...whence };
      } catch {
        loaded = null;
      }
    }
  }
  return loaded;
}

/** Whether a file with these stats is worth asking for its holes: fewer blocks than its length needs. */
export function mayHaveHoles(st: { size: number | bigint; blocks: number | bigint }): boolean {
  return BigInt(st.blocks) * 512n < BigInt(st.size);
}

/**
 * The regions of the open file `fd` (`size` bytes long) that may hold data, in order. A filesystem that
 * cannot tell says the whole file is data (Linux's generic answer), and so does this where lseek is missing.
 * The calls move the file's offset: callers read with explicit positions.
 */
export function dataRegionsSync(fd: number, size: number): Region[] {
  const seek = native();
  if (size === 0) return [];
  if (!seek) return [[0, size]];
  return scan(size, (offset, whence) => seek.lseek(fd, offset, whence), seek);
}

/** The same off the event loop (a ZFS dataset may write out its pending changes before it answers). */
export async function dataRegions(fd: number, size: number): Promise<Region[]> {
  const seek = native();
  if (size === 0) return [];
  if (!seek) return [[0, size]];
  const lseek = (offset: number, whence: number): Promise<number> => new Promise((resolve, reject) => {
    seek.lseek.async(fd, offset, whence, (err, result) => (err ? reject(err instanceof Error ? err : new Error(String(err))) : resolve(result)));
  });
  // As in dataRegionsSync's scan.
  if ((await lseek(0, seek.hole)) < 0) return [[0, size]];
  const regions: Region[] = [];
  for (let at = 0; at < size;) {
    const start = await lseek(at, seek.data);
    if (start < 0 || start >= size) break;
    const end = regionEnd(start, await lseek(start, seek.hole), size);
    regions.push([start, end]);
    at = end;
  }
  return regions;
}

function scan(size: number, lseek: (offset: number, whence: number) => number, whence: { data: number; hole: number }): Region[] {
  // SEEK_HOLE from 0 answers on every filesystem that knows the two (the end of the file is a hole); -1 means
  // this one does not, and every byte may be data. After that, -1 from SEEK_DATA is ENXIO: no data follows.
  if (lseek(0, whence.hole) < 0) return [[0, size]];
  const regions: Region[] = [];
  for (let at = 0; at < size;) {
    const start = lseek(at, whence.data);
    if (start < 0 || start >= size) break;
    const end = regionEnd(start, lseek(start, whence.hole), size);
    regions.push([start, end]);
    at = end;
  }
  return regions;
}

/** Where a region of data ends: at the hole found, within the length the caller knows. */
function regionEnd(start: number, hole: number, size: number): number {
  return hole <= start || hole > size ? size : hole;
}

/**
 * The blocks of `blockSize` bytes (numbered from 0) that overlap a region, in order: every other block of a
 * file with these regions is all zeros.
 */
export function* blocksOf(regions: readonly Region[], blockSize: number): Generator<number> {
  let next = 0;
  for (const [start, end] of regions) {
    const first = Math.max(next, Math.floor(start / blockSize));
    const last = Math.ceil(end / blockSize);
    for (let b = first; b < last; b++) yield b;
    next = Math.max(next, last);
  }
}

/**
 * Copies the open file `input` to the new file `output`, reading only its regions of data and leaving
 * every hole, and every chunk of zeros, unwritten: the copy has holes where the file had them (a 10 GB
 * sparse disk image is read and written only where it holds data). Returns the length copied.
 */
export function copyKeepingHolesSync(input: number, output: number, chunkSize: number): number {
  const size = fstatSync(input).size;
  const buffer = Buffer.allocUnsafe(Math.max(1, Math.min(chunkSize, size)));
  for (const [start, end] of dataRegionsSync(input, size)) {
    for (let position = start; position < end;) {
      const bytesRead = readSync(input, buffer, 0, Math.min(buffer.length, end - position), position);
      if (bytesRead === 0) break;
      for (const [from, to] of dataRuns(buffer.subarray(0, bytesRead))) writeSync(output, buffer, from, to - from, position + from);
      position += bytesRead;
    }
  }
  ftruncateSync(output, size);
  return size;
}

/** The granule of holes a copy leaves: a filesystem block. */
const GRANULE = 4096;
const ZERO_GRANULE = Buffer.alloc(GRANULE);

/**
 * The runs of `bytes` to write, as [start, end) offsets: everything but the granules (GRANULE bytes from the
 * start of `bytes`, which callers read from block-aligned positions) that are all zeros, left as holes.
 */
export function* dataRuns(bytes: Buffer): Generator<[number, number]> {
  let start = -1;
  for (let at = 0; at < bytes.length; at += GRANULE) {
    const end = Math.min(bytes.length, at + GRANULE);
    const zero = bytes.subarray(at, end).equals(ZERO_GRANULE.subarray(0, end - at));
    if (zero && start >= 0) { yield [start, at]; start = -1; }
    if (!zero && start < 0) start = at;
  }
  if (start >= 0) yield [start, bytes.length];
}
