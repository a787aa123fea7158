/**
 * Runs `fn` on every item with at most `n` in flight (a pool, not a promise per item up front:
 * 100k items). An item `fn` finishes at once (returns no promise) is not awaited: no promise
 * per item when nothing waits.
 */
export async function pool<T>(items: T[], n: number, fn: (x: T, i: number) => Promise<void> | void): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      const p = fn(items[i], i);
      if (p) await p;
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, worker));
}
