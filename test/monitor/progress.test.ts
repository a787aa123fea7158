/** The progress label and bar: what has settled (converged, failed, drift) against what may still move. */
import { progressBar, settledLine } from '../../src/monitor/render.js';
import type { Counts } from '../../src/monitor/model.js';

const counts = (c: Partial<Counts>): Counts => ({
  converged: 0,
  pending: 0,
  in_progress: 0,
  drift: 0,
  offline: 0,
  failed: 0,
  not_subscribed: 0,
  ...c,
});

describe('settled progress', () => {
  test('drift has settled (nothing scheduled reaches it); pending, in progress and offline have not', () => {
    const c = counts({ converged: 4, failed: 1, drift: 1, pending: 2, in_progress: 1, offline: 1, not_subscribed: 3 });
    expect(settledLine(c)).toBe(
      '6/10 settled (4 converged, 1 failed, 1 drift), 2 pending, 1 in progress, 1 offline, 3 not subscribed',
    );
    // 10 cells: 4 converged, 2 failed or drifted, 1 in progress, 1 offline, 2 pending.
    expect(progressBar(c, { width: 10 })).toBe(`[####!!>?..] 60% ${settledLine(c)}`);
  });

  test('nothing settled yet, everything settled, no device at all', () => {
    expect(settledLine(counts({ pending: 3 }))).toBe('0/3 settled, 3 pending');
    expect(progressBar(counts({ failed: 2 }), { width: 4 })).toBe('[!!!!] 100% 2/2 settled (2 failed)');
    expect(progressBar(counts({ not_subscribed: 2 }), { width: 4 })).toBe('[    ] no devices');
  });

  test('colour: converged green, failed red, in progress yellow; offline and pending uncoloured', () => {
    const bar = progressBar(counts({ converged: 1, failed: 1, in_progress: 1, offline: 1 }), { width: 4, color: true });
    expect(bar).toBe(
      '[\x1b[32m#\x1b[0m\x1b[31m!\x1b[0m\x1b[33m>\x1b[0m?] 50% 2/4 settled (1 converged, 1 failed), 1 in progress, 1 offline',
    );
  });
});
