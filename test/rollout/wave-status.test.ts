/**
 * Where each wave stands (the HTML report's state column), from the typed plan alone: the `later`
 * decisions say when a soak ends (`opens`) and at which wave a rollout halted (`halted_wave`).
 */
import { buildPlan, waveRows, waveStatuses } from '../../src/plan/index.js';
import { planWaves } from '../../src/rollout/index.js';
import type { OsDecision } from '../../src/modules/mender/os-plan.js';
import { planEntry } from '../../src/modules/mender/os-module.js';

const H = 3_600_000;
const base = (n: number) => ({ host: `h${n}`, device: `d${n}`, from: 'os-1', to: 'os-2' });
const members = [1, 2, 3, 4].map((n) => ({ host: `h${n}`, device: `d${n}` }));
/** Waves of one device each: d1, d2, d3 and d4. */
const policy = {
  waves: [{ count: 1 }, { count: 2 }, { count: 3 }, { share: 100 }],
  first: [],
  max_failed: { count: 0 },
  soak_ms: 2 * H,
  soak: '2h',
  on_halt: 'keep' as const,
};

/** The module's decisions → its plan entries → the typed plan, as a run report holds it. */
const planOf = (decisions: OsDecision[]) => buildPlan(decisions.map(planEntry)).devices;

/** Decisions for d1..d4 where the devices named in `installed` run os-2 and `failed` failed. */
function decide(o: { installed: string[]; failed: string[]; finished: number; now: number }) {
  const records = new Map(
    [...o.installed, ...o.failed].map((d) => [
      d,
      {
        deployment: 'x',
        artifact: 'os-2',
        status: o.installed.includes(d) ? 'success' : 'failure',
        finished: o.finished,
      },
    ]),
  );
  const decisions: OsDecision[] = [1, 2, 3, 4].map((n): OsDecision => {
    const d = `d${n}`;
    if (o.installed.includes(d)) return { ...base(n), action: 'none', why: 'runs os-2' };
    if (o.failed.includes(d)) return { ...base(n), action: 'held', deployment: 'x', why: 'failed' };
    return { ...base(n), action: 'deploy', abort: [], why: 'deploy os-2' };
  });
  return planWaves({ decisions, members, policy, records, inFlight: new Map(), now: o.now }).decisions;
}

describe('where each wave stands', () => {
  it('a finished wave soaks until the next opens; the decisions of the next wave say when', () => {
    const probe = decide({ installed: [], failed: [], finished: 0, now: 0 });
    const [w1, w2] = [1, 2].map((w) => probe.find((d) => d.wave === w)!.device);
    const soaking = decide({ installed: [w1], failed: [], finished: H, now: 2 * H });
    const opens = new Date(3 * H).toISOString();
    const later = soaking.flatMap((d) => (d.action === 'later' ? [[d.wave, d.opens]] : []));
    expect(later.sort()).toEqual([
      [2, opens],
      [3, undefined],
      [4, undefined],
    ]);
    const rows = waveRows(planOf(soaking));
    expect(rows.map((r) => r.opens)).toEqual([undefined, opens, undefined, undefined]);
    expect(waveStatuses(rows)).toEqual([
      { state: 'soaking', until: opens },
      { state: 'waiting' },
      { state: 'waiting' },
      { state: 'waiting' },
    ]);
    // Past the soak, wave 2 is scheduled: in progress, nothing soaks any more.
    const open = decide({ installed: [w1], failed: [], finished: H, now: 3 * H });
    expect(open.find((d) => d.device === w2)!.action).toBe('deploy');
    expect(waveStatuses(waveRows(planOf(open))).map((s) => s.state)).toEqual([
      'done',
      'in_progress',
      'waiting',
      'waiting',
    ]);
  });

  it('a halt marks the wave that halted; waves before it are done, waves after it do not start', () => {
    const probe = decide({ installed: [], failed: [], finished: 0, now: 0 });
    const [w1, w2] = [1, 2].map((w) => probe.find((d) => d.wave === w)!.device);
    const halted = decide({ installed: [w1], failed: [w2], finished: H, now: 4 * H });
    const later = halted.flatMap((d) => (d.action === 'later' ? [[d.wave, d.haltedWave]] : []));
    expect(later.sort()).toEqual([
      [3, 2],
      [4, 2],
    ]);
    const rows = waveRows(planOf(halted));
    expect(rows.map((r) => r.halted)).toEqual([undefined, true, undefined, undefined]);
    expect(waveStatuses(rows)).toEqual([
      { state: 'done' },
      { state: 'halted' },
      { state: 'stopped' },
      { state: 'stopped' },
    ]);
  });
});
