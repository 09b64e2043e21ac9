/**
 * Runs `fn` over `items` with at most `limit` calls in flight (I/O-bound work sized to libuv's pool). After
 * the first failure no new call starts, and the promise settles only once the calls in flight have: a
 * snapshot that runs out of space removes what it wrote, and a copy still running would write after that.
 * It then rejects with that first failure.
 */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let failure: { err: unknown } | null = null;
  const worker = async (): Promise<void> => {
    while (failure === null && next < items.length) {
      const index = next++;
      try {
        results[index] = await fn(items[index] as T, index);
      } catch (err) {
        failure ??= { err };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure !== null) throw (failure as { err: unknown }).err;
  return results;
}

export const IO_PARALLELISM = 16;
