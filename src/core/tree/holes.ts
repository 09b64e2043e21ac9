import { ftruncateSync, readSync, writeSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';

/**
 * Copies `input` to the new file `output` from the start, leaving every chunk of zeros unwritten: a hole, as
 * the file it came from had it (a 1 GiB sparse disk image stays small). Each chunk read is passed to
 * `onChunk` (to hash it on the way). Returns the bytes copied; the output is cut to that length.
 */
export async function copyKeepingHoles(input: FileHandle, output: FileHandle, chunkSize: number, onChunk?: (chunk: Buffer) => void): Promise<number> {
  const buffer = Buffer.allocUnsafe(chunkSize);
  const zeros = Buffer.alloc(chunkSize);
  let position = 0;
  for (;;) {
    const { bytesRead } = await input.read(buffer, 0, chunkSize, position);
    if (bytesRead === 0) break;
    const chunk = buffer.subarray(0, bytesRead);
    onChunk?.(chunk);
    if (!chunk.equals(zeros.subarray(0, bytesRead))) await output.write(chunk, 0, bytesRead, position);
    position += bytesRead;
  }
  await output.truncate(position);
  return position;
}

/**
 * The same with open file descriptors and direct calls, for the restore, which works inside a folder held as
 * the working directory and so may not yield to other code (see PathGuard.inside in restore.ts).
 */
export function copyKeepingHolesSync(input: number, output: number, chunkSize: number): number {
  const buffer = Buffer.allocUnsafe(chunkSize);
  const zeros = Buffer.alloc(chunkSize);
  let position = 0;
  for (;;) {
    const bytesRead = readSync(input, buffer, 0, chunkSize, position);
    if (bytesRead === 0) break;
    if (!buffer.subarray(0, bytesRead).equals(zeros.subarray(0, bytesRead))) writeSync(output, buffer, 0, bytesRead, position);
    position += bytesRead;
  }
  ftruncateSync(output, position);
  return position;
}
