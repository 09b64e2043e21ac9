import { open } from 'node:fs/promises';

interface AsarNode { files?: Record<string, AsarNode>; unpacked?: boolean; size?: number; link?: string }

/**
 * The entries of an asar archive, read from its header: a Chromium pickle (four 32-bit little-endian words,
 * the last the length of the JSON that follows) describing the tree. Only the header is read.
 */
export async function asarEntries(archive: string): Promise<Map<string, { unpacked: boolean; dir: boolean }>> {
  const handle = await open(archive, 'r');
  try {
    const head = Buffer.alloc(16);
    await handle.read(head, 0, 16, 0);
    const length = head.readUInt32LE(12);
    const json = Buffer.alloc(length);
    await handle.read(json, 0, length, 16);
    const root = JSON.parse(json.toString('utf8')) as AsarNode;
    const out = new Map<string, { unpacked: boolean; dir: boolean }>();
    const visit = (node: AsarNode, prefix: string): void => {
      for (const [name, child] of Object.entries(node.files ?? {})) {
        const rel = prefix ? `${prefix}/${name}` : name;
        out.set(rel, { unpacked: child.unpacked === true, dir: child.files !== undefined });
        if (child.files) visit(child, rel);
      }
    };
    visit(root, '');
    return out;
  } finally {
    await handle.close();
  }
}
