/**
 * Atomic file writes (write-file-atomic: temp file, fsync, rename). Loaded on first write, not at start-up:
 * read-only commands such as `snapctl list` never pay for it.
 */
import { PRIVATE_FILE_MODE } from '../base/private-fs.js';

export async function writeFileAtomic(file: string, data: string, options: { fsync?: boolean; mode?: number } = {}): Promise<void> {
  const { default: write } = await import('write-file-atomic');
  // Private by default, whatever the umask: write-file-atomic sets an explicit mode with chmod.
  await write(file, data, { fsync: options.fsync ?? true, mode: options.mode ?? PRIVATE_FILE_MODE });
}
