import { renderJson, renderMarkdown, renderText, waveRows, type DevicePlan, type Plan } from '../../src/plan/index.js';
import { planWaves, progressOf } from '../../src/rollout/index.js';
import type { OsDecision } from '../../src/modules/mender/os-plan.js';

const cfg = { action: 'none' } as const;
const dev = (n: number, wave: number, os: DevicePlan['os']): DevicePlan => ({
  host: `h${n}`,
  device_id: `d${n}`,
  wave,
  os,
  config: cfg,
});
const WHY = 'wave 2 starts after wave 1 has been healthy for 2h; 37 min to go';
const plan: Plan = {
  schema: 'fleetplay.plan/1',
  devices: [
    dev(1, 1, { action: 'none', to: 'os-2' }),
    dev(2, 1, { action: 'held', retry: 'x', to: 'os-2' }),
    dev(3, 2, { action: 'later', wave: 2, to: 'os-2', why: WHY }),
    dev(4, 2, { action: 'later', wave: 2, to: 'os-2', why: WHY }),
    { ...dev(5, 3, { action: 'none' }), other_stage: true, wave: undefined },
  ],
};

describe('the plan shows the waves', () => {
  it('counts each wave by what the run decided, and says why the next waits', () => {
    expect(waveRows(plan.devices)).toEqual([
      { wave: 1, devices: 2, installed: 1, scheduled: 0, in_flight: 0, failed: 1, later: 0 },
      { wave: 2, devices: 2, installed: 0, scheduled: 0, in_flight: 0, failed: 0, later: 2, why: WHY },
    ]);
    expect(renderText(plan, { color: false })).toContain(
      [
        '  wave 1: 2 devices — 1 installed, 0 scheduled now, 0 in flight, 1 failed, 0 later',
        '  wave 2: 2 devices — 0 installed, 0 scheduled now, 0 in flight, 0 failed, 2 later',
        `  later: ${WHY}`,
      ].join('\n'),
    );
    expect(renderText(plan, { color: false })).toMatch(/^PLAN: 5 devices: .*0 waiting, 2 in a later wave, /m);
    expect(renderMarkdown(plan)).toContain(
      [
        '| Wave | Devices | Installed | Scheduled now | In flight | Failed | Later |',
        '| --- | --- | --- | --- | --- | --- | --- |',
        '| 1 | 2 | 1 | 0 | 0 | 1 | 0 |',
        '| 2 | 2 | 0 | 0 | 0 | 0 | 2 |',
        '',
        `Later: ${WHY}`,
      ].join('\n'),
    );
    const json = JSON.parse(renderJson(plan)) as { waves: unknown[]; counts: { later: number } };
    expect(json.waves).toEqual(waveRows(plan.devices));
    expect(json.counts.later).toBe(2);
  });

  it('shows no waves for a stage without a policy', () => {
    const flat: Plan = { ...plan, devices: plan.devices.map(({ wave: _w, ...d }) => d) };
    expect(waveRows(flat.devices)).toEqual([]);
    expect(renderText(flat, { color: false })).not.toMatch(/^ +(wave \d|later:)/m);
    expect(renderMarkdown(flat)).not.toContain('| Wave |');
  });
});

describe('waves over mender_os_update decisions', () => {
  const H = 3_600_000;
  const base = (n: number) => ({ host: `h${n}`, device: `d${n}`, from: 'os-1', to: 'os-2' });
  const policy = {
    waves: [{ count: 1 }, { share: 100 }],
    first: ['h1'],
    max_failed: { count: 0 },
    soak_ms: 2 * H,
    soak: '2h',
    on_halt: 'keep' as const,
  };
  const members = [1, 2, 3].map((n) => ({ host: `h${n}`, device: `d${n}` }));

  it('deploys wave 1 only, then the rest once wave 1 soaked', () => {
    const all: OsDecision[] = [1, 2, 3].map((n) => ({ ...base(n), action: 'deploy', abort: [], why: 'w' }));
    const first = planWaves({ decisions: all, members, policy, records: new Map(), inFlight: new Map(), now: 0 });
    expect(first.decisions.map((d) => [d.device, d.action, d.wave])).toEqual([
      ['d1', 'deploy', 1],
      ['d2', 'later', 2],
      ['d3', 'later', 2],
    ]);
    const done: OsDecision[] = [{ ...base(1), action: 'none', why: 'ok' }, ...all.slice(1)];
    const records = new Map([['d1', { deployment: 'x', artifact: 'os-2', status: 'success', finished: H }]]);
    const soaking = planWaves({ decisions: done, members, policy, records, inFlight: new Map(), now: 2 * H });
    expect(soaking.decisions.map((d) => d.action)).toEqual(['none', 'later', 'later']);
    const open = planWaves({ decisions: done, members, policy, records, inFlight: new Map(), now: 3 * H });
    expect(open.decisions.map((d) => d.action)).toEqual(['none', 'deploy', 'deploy']);
  });

  it('reads a failure inside a deployment still running from the deployment, not the planner', () => {
    const wait: OsDecision = { ...base(1), action: 'wait', deployment: 'x', abort: [], why: 'w' };
    expect(progressOf(wait, { deployment: 'x', artifact: 'os-2', status: 'failure', finished: 5 })).toEqual({
      state: 'failed',
      finished: 5,
    });
    expect(progressOf(wait, { deployment: 'x', artifact: 'os-2', status: 'downloading' })).toEqual({
      state: 'active',
    });
    // A deployment of another image says nothing about this one.
    expect(progressOf(wait, { deployment: 'y', artifact: 'os-1', status: 'failure' })).toEqual({ state: 'active' });
  });
});
