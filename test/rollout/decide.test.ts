import { decideRollout, laterWhy, timeLeft, type DeviceProgress } from '../../src/rollout/index.js';

const H = 3_600_000;
const policy = { max_failed: { count: 1 }, soak_ms: 2 * H, soak: '2h' };
const waves = [['a'], ['b', 'c'], ['d', 'e', 'f']];
const facts = (o: Record<string, DeviceProgress>) => new Map(Object.entries(o));
const done = (finished: number): DeviceProgress => ({ state: 'done', finished });

describe('rollout decision', () => {
  it('opens wave 1 of a new image only', () => {
    const s = decideRollout(waves, facts({}), policy, 0);
    expect(s.open).toBe(1);
    expect(laterWhy(s, 1)).toBeUndefined();
    expect(laterWhy(s, 2)).toBe(
      'wave 2 starts after wave 1 has finished and been healthy for 2h (1 of 1 devices not finished)',
    );
    expect(laterWhy(s, 3)).toBe(`in wave 3; ${laterWhy(s, 2)}`);
  });

  it('waits for the soak after the last finish, then opens the next wave', () => {
    const f = facts({ a: done(10 * H) });
    const soaking = decideRollout(waves, f, policy, 10 * H + 83 * 60_000);
    expect(soaking).toMatchObject({ open: 1, next_at: 12 * H });
    expect(laterWhy(soaking, 2)).toBe('wave 2 starts after wave 1 has been healthy for 2h; 37 min to go');
    expect(decideRollout(waves, f, policy, 12 * H).open).toBe(2);
  });

  it('counts a wave with a device in flight as unfinished', () => {
    const s = decideRollout(waves, facts({ a: done(0), b: { state: 'active' }, c: done(0) }), policy, 100 * H);
    expect(s.open).toBe(2);
    expect(s.waves[1]).toMatchObject({ wave: 2, devices: 2, done: 1, active: 1, todo: 0 });
  });

  it('opens every wave once all soaked, and skipped devices do not hold a wave', () => {
    const f = facts({ a: done(0), b: done(H), c: { state: 'skip' }, d: done(H), e: done(H), f: done(H) });
    const s = decideRollout(waves, f, policy, 3 * H);
    expect(s).toEqual({ open: 3, waves: s.waves });
    expect(s.waves[1].devices).toBe(1);
  });

  it('devices already running the image (no finish time) need no soak', () => {
    const f = facts({ a: { state: 'done' }, b: { state: 'done' }, c: { state: 'done' } });
    expect(decideRollout(waves, f, policy, 0).open).toBe(3);
  });

  it('halts when a wave has more failures than max_failed, and schedules nothing', () => {
    const failed = { state: 'failed', finished: H } as const;
    const tolerated = decideRollout(waves, facts({ a: done(0), b: failed, c: done(0) }), policy, 10 * H);
    expect(tolerated.halted).toBeUndefined();
    const s = decideRollout(waves, facts({ a: done(0), b: failed, c: failed }), policy, 10 * H);
    expect(s).toMatchObject({ open: 0, halted: { wave: 2, why: 'halted at wave 2: 2 of 2 failed (at most 1)' } });
    expect(laterWhy(s, 1)).toBe(s.halted!.why);
  });

  it('takes a share of the wave for max_failed', () => {
    const big = [Array.from({ length: 40 }, (_, i) => `d${i}`), ['x']];
    const f = facts(Object.fromEntries(['d0', 'd1', 'd2'].map((d) => [d, { state: 'failed' } as const])));
    const s = decideRollout(big, f, { ...policy, max_failed: { share: 2 } }, 0);
    expect(s.halted?.why).toBe('halted at wave 1: 3 of 40 failed (at most 2%)');
    // 5% of 40 is 2: three failures still halt, two do not.
    expect(decideRollout(big, f, { ...policy, max_failed: { share: 7.5 } }, 0).halted).toBeUndefined();
  });

  it('says how long is left in minutes and hours', () => {
    expect([timeLeft(30_000), timeLeft(37 * 60_000), timeLeft(125 * 60_000), timeLeft(2 * H)]).toEqual([
      'less than a minute',
      '37 min',
      '2 h 5 min',
      '2 h',
    ]);
  });
});
