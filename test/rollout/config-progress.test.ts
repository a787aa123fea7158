/**
 * A configuration change in waves, as pure functions: a device's progress against the
 * configuration the commit wants, the one progression of a device whose OS and configuration both
 * change, and how the plan shows a configuration waiting for its wave.
 */
import { planConfig } from '../../src/modules/mender/config-plan.js';
import { renderMarkdown, renderText, waveRows, haltOf, type DevicePlan, type Plan } from '../../src/plan/index.js';
import { desiredFromPlan } from '../../src/monitor/desired.js';
import { configSide } from '../../src/monitor/waves.js';
import { combine, configProgress, planWaves, waveVerdicts, type DeviceProgress } from '../../src/rollout/index.js';
import type { OsDecision } from '../../src/modules/mender/os-plan.js';

const H = 3_600_000;
const want = { kiosk_url: 'https://k/' };
const state = (configured: Record<string, string>, reported: Record<string, string>, deploying = false) => ({
  configured,
  reported,
  deploying,
});

describe('a device against the configuration the commit wants', () => {
  it('done when reported (finished when reported), active in flight, failed when its deployment failed, else todo', () => {
    const reported = planConfig(want, state(want, want), []);
    expect(configProgress(reported, { reported_ts: '2026-03-01T02:00:00Z' })).toEqual({
      state: 'done',
      finished: Date.parse('2026-03-01T02:00:00Z'),
    });
    expect(configProgress(planConfig(want, state(want, {}, true), []), {})).toEqual({ state: 'active' });
    const redeploy = planConfig(want, state(want, { kiosk_url: 'old' }), []);
    expect(configProgress(redeploy, { failed: true })).toEqual({ state: 'failed' });
    // Reporting another configuration with no failed deployment: drift, deployed again.
    expect(configProgress(redeploy, {})).toEqual({ state: 'todo' });
    // Not configured yet: a failed deployment of an older configuration says nothing about this one.
    expect(configProgress(planConfig(want, state({ kiosk_url: 'old' }, {}), []), { failed: true })).toEqual({
      state: 'todo',
    });
    expect(configProgress({ action: 'fail' }, {})).toEqual({ state: 'skip' });
  });

  it('one progression per device: the worse side, done at the later finish', () => {
    const done = (finished?: number): DeviceProgress =>
      finished === undefined ? { state: 'done' } : { state: 'done', finished };
    expect(combine(done(1), { state: 'failed' })).toEqual({ state: 'failed' });
    expect(combine({ state: 'active' }, { state: 'todo' })).toEqual({ state: 'active' });
    expect(combine(done(5), { state: 'todo' })).toEqual({ state: 'todo' });
    expect(combine(done(5), done(9))).toEqual(done(9));
    expect(combine(done(), done(9))).toEqual(done(9));
    expect(combine({ state: 'skip' }, done(3))).toEqual(done(3));
    expect(combine(done(3), undefined)).toEqual(done(3));
  });

  it('an image installed fine and a configuration that failed halt the OS rollout of the commit', () => {
    const policy = {
      waves: [{ count: 1 }, { share: 100 }],
      first: [],
      max_failed: { count: 0 },
      soak_ms: 2 * H,
      soak: '2h',
      on_halt: 'keep' as const,
    };
    const members = [1, 2].map((n) => ({ host: `h${n}`, device: `d${n}` }));
    const [[first], [second]] = [[members[0].device], [members[1].device]];
    const wave1 = waveVerdicts(members, policy, new Map(), 0).verdicts;
    const [d1, d2] = wave1.get(first)?.wave === 1 ? [first, second] : [second, first];
    const decisions: OsDecision[] = [
      { host: 'h', device: d1, from: 'os-2', to: 'os-2', action: 'none', why: 'installed' },
      { host: 'h', device: d2, from: 'os-1', to: 'os-2', action: 'deploy', abort: [], why: 'w' },
    ];
    const records = new Map([[d1, { deployment: 'x', artifact: 'os-2', status: 'success', finished: H }]]);
    const inputs = { decisions, members, policy, records, inFlight: new Map(), now: 10 * H };
    expect(planWaves(inputs).decisions.map((d) => d.action)).toEqual(['none', 'deploy']);
    const halted = planWaves({ ...inputs, config: new Map([[d1, { state: 'failed' }]]) });
    expect(halted.decisions.map((d) => d.action)).toEqual(['none', 'later']);
    expect(halted.state.halted?.why).toBe('halted at wave 1: 1 of 1 failed (at most 0)');
    expect(halted.verdicts.get(d2)).toEqual({ wave: 2, why: halted.state.halted?.why, halted: true, halted_wave: 1 });
  });
});

describe('the plan shows a configuration waiting for its wave', () => {
  const WHY = 'wave 2 starts after wave 1 has been healthy for 2h; 37 min to go';
  const dev = (n: number, wave: number, config: DevicePlan['config']): DevicePlan => ({
    host: `h${n}`,
    device_id: `d${n}`,
    wave,
    os: { action: 'none', to: 'os-1' },
    config,
  });
  const keys = { added: ['kiosk_url'], changed: [], removed: [] };
  const plan: Plan = {
    schema: 'fleetplay.plan/1',
    devices: [
      dev(1, 1, { action: 'set', ...keys, values: { kiosk_url: 'https://k/' } }),
      dev(2, 1, { action: 'wait' }),
      dev(3, 2, { action: 'later', wave: 2, ...keys, values: { kiosk_url: 'https://k/' }, why: WHY }),
      dev(4, 2, { action: 'later', wave: 2, ...keys, why: WHY }),
    ],
  };

  it('counts each wave by the worse of OS and configuration, and says why the next waits', () => {
    expect(waveRows(plan.devices)).toEqual([
      { wave: 1, devices: 2, installed: 0, scheduled: 1, in_flight: 1, failed: 0, later: 0 },
      { wave: 2, devices: 2, installed: 0, scheduled: 0, in_flight: 0, failed: 0, later: 2, why: WHY },
    ]);
    const text = renderText(plan, { color: false });
    expect(text).toMatch(/^PLAN: 4 devices: 0 to update OS, 1 to set configuration, 1 waiting, 2 in a later wave, /m);
    expect(text).toContain(`  later: ${WHY}`);
    expect(renderMarkdown(plan)).toContain('| 2 | 2 | 0 | 0 | 0 | 0 | 2 |');
    // Held back by a halt after its own deployment failed: one of the wave's failures.
    const failed = plan.devices.map((d) =>
      d.config.action === 'later' ? { ...d, config: { ...d.config, failed: true as const } } : d,
    );
    expect(waveRows(failed)[1]).toMatchObject({ devices: 2, failed: 2, later: 0 });
  });

  it('the monitor waits for the wave instead of checking the new keys; a halted configuration is the plan’s halt', () => {
    const desired = desiredFromPlan(plan.devices);
    expect(desired.devices.find((d) => d.host === 'h3')).toEqual({
      host: 'h3',
      device: 'd3',
      later: WHY,
      artifact: 'os-1',
      wave: 2,
      configLater: true,
      laterConfig: { kiosk_url: 'https://k/' },
    });
    const halt = 'halted at wave 1: 1 of 1 failed (at most 0)';
    const halted = plan.devices.map((d) => ({
      ...d,
      config: { action: 'later' as const, wave: d.wave ?? 1, ...keys, halted: true as const, why: halt },
    }));
    expect(haltOf(halted)).toBe(halt);
    // The monitor's own look counts the configuration as the run does.
    const h3 = desired.devices.find((d) => d.host === 'h3')!;
    const seen = (status: string, reported: Record<string, string>) => ({
      configured: { kiosk_url: 'https://k/' },
      reported,
      deployment: { id: 'c', status, created: '', artifact: 'configuration', hasLog: false },
    });
    expect(configSide(h3, seen('failure', {}))).toEqual({ state: 'failed' });
    expect(configSide(h3, seen('downloading', {}))).toEqual({ state: 'active' });
    expect(configSide(h3, seen('success', { kiosk_url: 'https://k/' }))).toEqual({ state: 'done' });
    expect(configSide(h3, seen('success', { kiosk_url: 'old' }))).toEqual({ state: 'todo' });
    expect(desiredFromPlan(halted).halted).toBe(halt);
  });
});
