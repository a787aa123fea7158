import type { DeferredWrite } from '../modules/registry.js';

/** Host → the writes of a bulk call that include it. */
export function hostWrites(writes: DeferredWrite[]): Map<string, DeferredWrite[]> {
  const out = new Map<string, DeferredWrite[]>();
  for (const w of writes)
    for (const h of w.hosts) {
      const l = out.get(h);
      if (l) l.push(w);
      else out.set(h, [w]);
    }
  return out;
}
