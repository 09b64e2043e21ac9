import { open } from 'node:fs/promises';
import type { Target } from './targets.js';

/**
 * What a native binary was built for, read from its header: ELF (Linux) or Mach-O, thin or universal (macOS).
 * A package for arm64 holding an x86-64 binding loads nothing on an arm64 machine; the header says so here,
 * on a machine that cannot load it.
 */
export async function binaryTargets(file: string): Promise<Target[]> {
  const handle = await open(file, 'r');
  try {
    const head = Buffer.alloc(4096);
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    return readHeader(head.subarray(0, bytesRead));
  } finally {
    await handle.close();
  }
}

const ELF_MACHINES: Record<number, Target['arch']> = { 0x3e: 'x64', 0xb7: 'arm64' };
const MACHO_CPUS: Record<number, Target['arch']> = { 0x01000007: 'x64', 0x0100000c: 'arm64' };

export function readHeader(head: Buffer): Target[] {
  if (head.length >= 20 && head.readUInt32BE(0) === 0x7f454c46) {
    const littleEndian = head[5] === 1;
    const machine = littleEndian ? head.readUInt16LE(18) : head.readUInt16BE(18);
    const arch = ELF_MACHINES[machine];
    return arch ? [{ platform: 'linux', arch }] : [];
  }
  if (head.length >= 8 && head.readUInt32LE(0) === 0xfeedfacf) {
    const arch = MACHO_CPUS[head.readUInt32LE(4)];
    return arch ? [{ platform: 'darwin', arch }] : [];
  }
  if (head.length >= 8 && head.readUInt32BE(0) === 0xcafebabe) {
    const count = head.readUInt32BE(4);
    const out: Target[] = [];
    for (let i = 0; i < count && 8 + (i + 1) * 20 <= head.length; i++) {
      const arch = MACHO_CPUS[head.readUInt32BE(8 + i * 20)];
      if (arch) out.push({ platform: 'darwin', arch });
    }
    return out;
  }
  return [];
}
