import { constants as fsc, fstatSync, readSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import type { Hash } from 'node:crypto';
import { nodeCrypto } from '../base/lazy-crypto.js';
import { blocksOf, dataRegions, dataRegionsSync, mayHaveHoles } from './holes.js';
import type { FsPath } from './names.js';

/**
 * How a manifest names a file's content, told apart by the hash's own text:
 *
 * - `sha256`: 64 hex digits, the SHA-256 of the bytes. Every file but the ones below.
 * - `blocks`: `blocks1:` and 64 hex digits, for a file of SPARSE_MIN bytes or more with fewer blocks than its
 *   length needs (holes). The content is cut into blocks of HASH_BLOCK bytes (the last may be shorter); the
 *   hash is the SHA-256 of BLOCKS_MAGIC, then for each block that is not all zeros its number (8 bytes,
 *   big-endian) and the SHA-256 of its bytes, then the length (8 bytes, big-endian). It depends on the bytes
 *   alone, not on where the holes are, and the blocks inside a hole are known to be zeros without reading or
 *   hashing them: a 10 GB file with nothing allocated hashes in microseconds, where SHA-256 would read and
 *   hash 10 GB of zeros (about 8 s of CPU on the test machine). Files with holes are rare and large (disk
 *   images, databases' preallocated files); every other file keeps the plain SHA-256, so stores written
 *   before this share their objects as before.
 */
export type HashKind = 'sha256' | 'blocks';

export const HASH_BLOCK = 1024 * 1024;
const SPARSE_MIN = 16 * HASH_BLOCK;
const BLOCKS_PREFIX = 'blocks1:';
const BLOCKS_MAGIC = 'snapctl content blocks v1\n';
/** What a read takes at most: memory stays bounded whatever the file's size. */
const CHUNK = 1024 * 1024;

export function hashKindOf(hash: string): HashKind {
  return hash.startsWith(BLOCKS_PREFIX) ? 'blocks' : 'sha256';
}

/** The kind a file with these stats is hashed in when it is stored. */
export function hashKindFor(st: { size: number | bigint; blocks: number | bigint }): HashKind {
  return BigInt(st.size) >= BigInt(SPARSE_MIN) && mayHaveHoles(st) ? 'blocks' : 'sha256';
}

/** A hash's 64 hex digits: the name of an object stored under its content. */
export function hexOf(hash: string): string {
  return hash.startsWith(BLOCKS_PREFIX) ? hash.slice(BLOCKS_PREFIX.length) : hash;
}

/** A content hash in the making, fed in order: `chunk` for sha256, `block` for blocks (zeros may be skipped). */
class ContentHasher {
  private readonly outer: Hash;
  private readonly index = Buffer.alloc(8);

  constructor(readonly kind: HashKind) {
    this.outer = nodeCrypto().createHash('sha256');
    if (kind === 'blocks') this.outer.update(BLOCKS_MAGIC);
  }

  /** sha256: the next bytes of the content. */
  chunk(bytes: Buffer): void {
    this.outer.update(bytes);
  }

  /** blocks: block number `n` (HASH_BLOCK bytes, or fewer at the end). A block of zeros adds nothing. */
  block(n: number, bytes: Buffer): void {
    if (isZero(bytes)) return;
    this.index.writeBigUInt64BE(BigInt(n));
    this.outer.update(this.index);
    this.outer.update(nodeCrypto().createHash('sha256').update(bytes).digest());
  }

  digest(size: number): string {
    if (this.kind === 'sha256') return this.outer.digest('hex');
    this.index.writeBigUInt64BE(BigInt(size));
    this.outer.update(this.index);
    return BLOCKS_PREFIX + this.outer.digest('hex');
  }
}

const ZEROS = Buffer.alloc(CHUNK);

export function isZero(bytes: Buffer): boolean {
  for (let at = 0; at < bytes.length; at += CHUNK) {
    const part = bytes.subarray(at, Math.min(bytes.length, at + CHUNK));
    if (!part.equals(ZEROS.subarray(0, part.length))) return false;
  }
  return true;
}

/**
 * How far a sha256 read goes: the file's length when it began. A file that says it is empty is read up to
 * EMPTY_PROBE all the same: a virtual filesystem's files (procfs, sysfs) say 0 whatever they hold, and a
 * read is how one that refuses to be read shows it (EINVAL).
 */
export function readLimit(size: number): number {
  return size > 0 ? size : EMPTY_PROBE;
}

const EMPTY_PROBE = 64 * 1024;

/** The hash of bytes held in memory (a file read whole). */
export function hashBytes(bytes: Buffer, kind: HashKind): string {
  // One call, no Hash object: a first snapshot hashes every small file this way (bench/README.md).
  if (kind === 'sha256') return nodeCrypto().hash('sha256', bytes, 'hex');
  const hasher = new ContentHasher(kind);
  for (let n = 0; n * HASH_BLOCK < bytes.length; n++) hasher.block(n, bytes.subarray(n * HASH_BLOCK, (n + 1) * HASH_BLOCK));
  return hasher.digest(bytes.length);
}

/** What reading a file once gave: its hash and how many bytes it held. */
export interface ContentRead {
  hash: string;
  size: number;
  /** The bytes actually read: a file with holes is read only where it holds data. */
  bytesRead: number;
}

/** Receives the content's bytes in order, except runs of zeros, which a copy leaves as holes. */
export type ContentSink = (bytes: Buffer, position: number) => Promise<void>;

/**
 * Reads the open file `handle` once, from the start, hashing in `kind` (by default the kind its stats call
 * for) and passing every piece that is not all zeros to `sink` at its position (a copy). It reads the length
 * the file had when reading began, and no further: a file appended to faster than it is read (a dev server's
 * log) would otherwise be chased to no end; one cut short meanwhile ends where it ends (sha256; blocks counts
 * what is missing as zeros). With blocks only the blocks around the file's data are read. Either way the
 * hash returned is the hash of what was passed to the sink, with zeros wherever it passed nothing, up to
 * `size`: a copy cut to `size` holds exactly the bytes hashed.
 */
export async function readContent(handle: FileHandle, kind?: HashKind, sink?: ContentSink): Promise<ContentRead> {
  const st = await handle.stat();
  const as = kind ?? hashKindFor(st);
  const hasher = new ContentHasher(as);
  if (as === 'sha256') {
    const limit = readLimit(st.size);
    // Sized for the file (20,000 small files must not take a megabyte each).
    const buffer = Buffer.allocUnsafe(Math.min(CHUNK, limit));
    let position = 0;
    while (position < limit) {
      const { bytesRead } = await handle.read(buffer, 0, Math.min(buffer.length, limit - position), position);
      if (bytesRead === 0) break;
      const piece = buffer.subarray(0, bytesRead);
      hasher.chunk(piece);
      if (sink && !isZero(piece)) await sink(piece, position);
      position += bytesRead;
    }
    return { hash: hasher.digest(position), size: position, bytesRead: position };
  }
  const size = st.size;
  const buffer = Buffer.allocUnsafe(Math.min(HASH_BLOCK, size));
  let bytesRead = 0;
  for (const n of blocksOf(await dataRegions(handle.fd, size), HASH_BLOCK)) {
    const length = Math.min(HASH_BLOCK, size - n * HASH_BLOCK);
    const block = buffer.subarray(0, length);
    let got = 0;
    while (got < length) {
      const r = await handle.read(block, got, length - got, n * HASH_BLOCK + got);
      if (r.bytesRead === 0) break;
      got += r.bytesRead;
    }
    // Cut short while read: what the copy holds there is zeros, and so is what is hashed.
    block.fill(0, got);
    bytesRead += got;
    hasher.block(n, block);
    if (sink && !isZero(block)) await sink(block, n * HASH_BLOCK);
  }
  return { hash: hasher.digest(size), size, bytesRead };
}

/** readContent with direct calls, hashing only (the direct copies of capture; see copyChanged). */
export function readContentSync(fd: number, kind?: HashKind): ContentRead {
  const st = fstatSync(fd);
  const as = kind ?? hashKindFor(st);
  const hasher = new ContentHasher(as);
  if (as === 'sha256') {
    const limit = readLimit(st.size);
    const buffer = Buffer.allocUnsafe(Math.min(CHUNK, limit));
    let position = 0;
    while (position < limit) {
      const n = readSync(fd, buffer, 0, Math.min(buffer.length, limit - position), position);
      if (n === 0) break;
      hasher.chunk(buffer.subarray(0, n));
      position += n;
    }
    return { hash: hasher.digest(position), size: position, bytesRead: position };
  }
  const size = st.size;
  const buffer = Buffer.allocUnsafe(Math.min(HASH_BLOCK, size));
  let bytesRead = 0;
  for (const n of blocksOf(dataRegionsSync(fd, size), HASH_BLOCK)) {
    const length = Math.min(HASH_BLOCK, size - n * HASH_BLOCK);
    const block = buffer.subarray(0, length);
    let got = 0;
    while (got < length) {
      const r = readSync(fd, block, got, length - got, n * HASH_BLOCK + got);
      if (r === 0) break;
      got += r;
    }
    block.fill(0, got);
    bytesRead += got;
    hasher.block(n, block);
  }
  return { hash: hasher.digest(size), size, bytesRead };
}

/**
 * The hash of a file's content: in `kind` when it is to be compared with a recorded hash (the kind that
 * hash is in), else in the kind its stats call for. Opened with `flags` (O_NOFOLLOW, say) and O_NONBLOCK, so
 * a FIFO swapped in is never waited on.
 */
export async function hashFile(file: FsPath | string, options: { flags?: number; kind?: HashKind } = {}): Promise<string> {
  const handle = await open(file, (options.flags ?? fsc.O_RDONLY) | fsc.O_NONBLOCK);
  try {
    return (await readContent(handle, options.kind)).hash;
  } finally {
    await handle.close();
  }
}
