import { appendFileSync, closeSync, openSync, writeSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { FileEntry } from '../../src/core/tree/manifest.js';
import { ManifestStore } from '../../src/core/providers/clone/manifest-store.js';

/** A clone snapshot's file entries, as a restore reads them (hashes left out of the file filled in). */
export async function storedFiles(home: string, id: string): Promise<Map<string, FileEntry>> {
  // Through the store, which reads a manifest kept as a delta whole.
  const manifest = await new ManifestStore(path.join(home, 'clone')).readManifest(id);
  return new Map(manifest.entries.filter((e): e is FileEntry => e.type === 'file').map((e) => [e.path, e]));
}

export function objectFile(home: string, oid: string): string {
  return path.join(home, 'clone', 'objects', oid.slice(0, 2), oid);
}

/** Overwrites the start of a file in place, its size kept: `printf 'EVIL!!!!' | dd of=FILE conv=notrunc`. */
export function editInPlace(file: string, text = 'EVIL!!!!'): void {
  const fd = openSync(file, 'r+');
  try {
    writeSync(fd, text, 0);
  } finally {
    closeSync(fd);
  }
}

/** Bytes a file's blocks take on disk. */
export async function allocatedBytes(file: string): Promise<number> {
  return (await stat(file)).blocks * 512;
}

/**
 * Appends numbered lines (from line `from`; returns the count of lines written in all) to `file` on every turn of this process's event loop until stopped (a dev server's
 * log): a snapshot taken in the same process meanwhile finds it growing between any two of its awaits.
 */
export function keepAppending(file: string, from = 0): { stop: () => Promise<number> } {
  let on = true;
  let lines = from;
  const running = (async () => {
    while (on) {
      appendFileSync(file, `line ${lines++}\n`);
      await new Promise((resolve) => setImmediate(resolve));
    }
  })();
  return { stop: async () => { on = false; await running; return lines; } };
}

/** The lines keepAppending writes, from the first: what any prefix of the log must start with. */
export function appendedLines(count: number): string {
  let text = '';
  for (let i = 0; i < count; i++) text += `line ${i}\n`;
  return text;
}
