import { open } from 'node:fs/promises';

interface AsarNode { files?: Record<string, AsarNode>; unpacked?: boolean; size?: number; offset?: string; link?: string }
export interface AsarEntry { unpacked: boolean; dir: boolean; size: number; offset: number | null }

/**
 * An asar archive read without Electron: a Chromium pickle (four 32-bit little-endian words: 4, the header
 * pickle's size, its payload's size, the JSON's length) and the JSON tree after it; file data follows the
 * header pickle, at each entry's offset.
 */
export class AsarArchive {
  private constructor(private readonly file: string, private readonly dataStart: number, readonly entries: Map<string, AsarEntry>) {}

  static async open(file: string): Promise<AsarArchive> {
    const handle = await open(file, 'r');
    try {
      const head = Buffer.alloc(16);
      await handle.read(head, 0, 16, 0);
      const headerPickleSize = head.readUInt32LE(4);
      const length = head.readUInt32LE(12);
      const json = Buffer.alloc(length);
      await handle.read(json, 0, length, 16);
      const root = JSON.parse(json.toString('utf8')) as AsarNode;
      const entries = new Map<string, AsarEntry>();
      const visit = (node: AsarNode, prefix: string): void => {
        for (const [name, child] of Object.entries(node.files ?? {})) {
          const rel = prefix ? `${prefix}/${name}` : name;
          entries.set(rel, { unpacked: child.unpacked === true, dir: child.files !== undefined, size: child.size ?? 0, offset: child.offset === undefined ? null : Number(child.offset) });
          if (child.files) visit(child, rel);
        }
      };
      visit(root, '');
      return new AsarArchive(file, 8 + headerPickleSize, entries);
    } finally {
      await handle.close();
    }
  }

  /** A packed file's bytes (not an unpacked one's: those are beside the archive). */
  async read(rel: string): Promise<Buffer> {
    const entry = this.entries.get(rel);
    if (!entry || entry.dir || entry.offset === null) throw new Error(`${rel} is not a packed file in ${this.file}`);
    const handle = await open(this.file, 'r');
    try {
      const out = Buffer.alloc(entry.size);
      await handle.read(out, 0, entry.size, this.dataStart + entry.offset);
      return out;
    } finally {
      await handle.close();
    }
  }
}

/** The entries of an asar archive, from its header. */
export async function asarEntries(archive: string): Promise<Map<string, AsarEntry>> {
  return (await AsarArchive.open(archive)).entries;
}
