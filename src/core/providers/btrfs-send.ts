import { fromBytes } from '../tree/names.js';
import { ChangeNames, type ChangeHints } from './change-hints.js';

/**
 * Reads a btrfs send stream (`btrfs send --no-data -p PARENT SNAP`) for the paths it names, as the kernel
 * writes it (fs/btrfs/send.h): the header `btrfs-stream\0` and a little-endian u32 version, then commands, each
 * a u32 length, a u16 command, a u32 CRC32C of the command with that field zero, and its attributes as
 * u16 type, u16 length, bytes. Paths are bytes, relative to the subvolume, never escaped, so names with
 * newlines, backslashes or bytes that are not UTF-8 come through whole (names.ts keeps their bytes).
 *
 * What it cannot vouch for throws SendStreamUnreadable: a command it does not know, a command without its
 * path, a CRC that does not match, a stream cut short, a second subvolume.
 */
export class SendStreamUnreadable extends Error {}

const MAGIC = Buffer.from('btrfs-stream\0', 'latin1');
const HEADER = MAGIC.length + 4;
const CMD_HEADER = 10;

const C = { SUBVOL: 1, SNAPSHOT: 2, RENAME: 9, LINK: 10, END: 21 } as const;
/** Commands that change what is at their PATH (make, unlink, rmdir, xattrs, data, truncate, mode, owner, times, and v2/v3's fallocate, fileattr, encoded write, verity). */
const AT_PATH = new Set([3, 4, 5, 6, 7, 8, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 22, 23, 24, 25, 26]);
const A = { PATH: 15, PATH_TO: 16, PATH_LINK: 17, DATA: 19 } as const;

export class SendStreamReader {
  private pending: Buffer = Buffer.alloc(0);
  private version = 0;
  private started = false;
  private ended = false;
  readonly names = new ChangeNames();
  /** Commands read, for the trace. */
  commands = 0;

  feed(chunk: Buffer): void {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    let at = 0;
    if (this.version === 0) {
      if (this.pending.length < HEADER) return;
      if (!this.pending.subarray(0, MAGIC.length).equals(MAGIC)) throw new SendStreamUnreadable('the output of btrfs send is not a send stream');
      this.version = this.pending.readUInt32LE(MAGIC.length);
      if (this.version < 1 || this.version > 3) throw new SendStreamUnreadable(`send stream version ${this.version} is not one snapctl reads`);
      at = HEADER;
    }
    while (this.pending.length - at >= CMD_HEADER) {
      const length = this.pending.readUInt32LE(at);
      if (this.pending.length - at < CMD_HEADER + length) break;
      this.command(this.pending.subarray(at, at + CMD_HEADER + length));
      at += CMD_HEADER + length;
    }
    this.pending = this.pending.subarray(at);
  }

  /** The paths named, once the stream is whole. */
  finish(): ChangeHints {
    if (this.version === 0 || this.pending.length > 0 || !this.ended) throw new SendStreamUnreadable('the send stream ended part way');
    return this.names.hints();
  }

  private command(cmd: Buffer): void {
    const type = cmd.readUInt16LE(4);
    const crc = cmd.readUInt32LE(6);
    if (crc32c(cmd, 6) !== crc) throw new SendStreamUnreadable(`command ${type} of the send stream fails its CRC`);
    if (this.ended) throw new SendStreamUnreadable('the send stream goes on after its end');
    this.commands++;
    const attrs = this.attributes(cmd);
    if (type === C.SNAPSHOT && !this.started) { this.started = true; return; }
    if (!this.started) throw new SendStreamUnreadable(type === C.SUBVOL ? 'btrfs sent the whole subvolume, not a difference' : `the send stream starts with command ${type}`);
    if (type === C.END) { this.ended = true; return; }
    const at = attrs.get(A.PATH);
    if (at === undefined) throw new SendStreamUnreadable(`command ${type} of the send stream has no path`);
    if (type === C.RENAME) {
      const to = attrs.get(A.PATH_TO);
      if (to === undefined) throw new SendStreamUnreadable('a rename in the send stream has no new path');
      this.names.rename(fromBytes(at), fromBytes(to));
    } else if (type === C.LINK) {
      const existing = attrs.get(A.PATH_LINK);
      if (existing === undefined) throw new SendStreamUnreadable('a link in the send stream names no file');
      this.names.touch(fromBytes(at));
      this.names.touch(fromBytes(existing));
    } else if (AT_PATH.has(type)) {
      // A symlink's PATH_LINK is its target's text, not a path of the subvolume: only PATH is taken.
      this.names.touch(fromBytes(at));
    } else {
      throw new SendStreamUnreadable(`the send stream holds command ${type}, which snapctl does not know`);
    }
  }

  private attributes(cmd: Buffer): Map<number, Buffer> {
    const out = new Map<number, Buffer>();
    let at = CMD_HEADER;
    while (at < cmd.length) {
      if (cmd.length - at < 2) throw new SendStreamUnreadable('an attribute of the send stream is cut short');
      const type = cmd.readUInt16LE(at);
      // From version 2 the data attribute carries no length: it runs to the end of the command.
      if (type === A.DATA && this.version >= 2) { out.set(type, cmd.subarray(at + 2)); break; }
      if (cmd.length - at < 4) throw new SendStreamUnreadable('an attribute of the send stream is cut short');
      const length = cmd.readUInt16LE(at + 2);
      if (cmd.length - at - 4 < length) throw new SendStreamUnreadable('an attribute of the send stream is cut short');
      out.set(type, cmd.subarray(at + 4, at + 4 + length));
      at += 4 + length;
    }
    return out;
  }
}

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** The stream's CRC32C (seed 0, no final inversion, as the kernel's crc32c(0, ...)), with the four bytes at `skip` read as zero. */
export function crc32c(bytes: Buffer, skip = -1): number {
  let c = 0;
  for (let i = 0; i < bytes.length; i++) {
    const b = i >= skip && i < skip + 4 && skip >= 0 ? 0 : (bytes[i] as number);
    c = (CRC_TABLE[(c ^ b) & 0xff] as number) ^ (c >>> 8);
  }
  return c >>> 0;
}
