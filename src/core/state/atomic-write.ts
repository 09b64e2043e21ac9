/**
 * Atomic file writes (write-file-atomic: temp file, fsync, rename). Loaded on first write, not at start-up:
 * read-only commands such as `snapctl list` never pay for it.
 */
export async function writeFileAtomic(file: string, data: string, options: { fsync?: boolean; mode?: number } = {}): Promise<void> {
  const { default: write } = await import('write-file-atomic');
  await write(file, data, { fsync: options.fsync ?? true, ...(options.mode === undefined ? {} : { mode: options.mode }) });
}
