/** The pure rules: desired + observed → state, counts → verdict, plan entries → desired. */
import { classifyConfig, classifyDevice, countStates, verdict } from '../../src/monitor/classify.js';
import { desiredFromPlan } from '../../src/monitor/desired.js';
import type { DevicePlan } from '../../src/plan/index.js';
import { MASKED, type DeploymentOfDevice, type ObservedDevice } from '../../src/monitor/model.js';
import { parseDuration, parseMaxFailed } from '../../src/monitor/options.js';

const NOW = Date.parse('2026-03-01T12:00:00Z');
const o = { now: NOW, offlineAfterMs: 3_600_000 };
const dep = (status: string, id = 'd1'): DeploymentOfDevice => ({
  id,
  artifact: 'os-2',
  status,
  created: '2026-03-01T11:00:00Z',
  hasLog: false,
});
const seen = (x: Partial<ObservedDevice> = {}): ObservedDevice => ({
  id: 'a',
  found: true,
  artifact: 'os-1',
  checkIn: '2026-03-01T11:59:00Z',
  os: [],
  ...x,
});
const want = { host: 'a', device: 'a', artifact: 'os-2' };

describe('classifyDevice', () => {
  test.each([
    ['converged', seen({ artifact: 'os-2' })],
    ['pending', seen({ os: [dep('pending')] })],
    ['in_progress', seen({ os: [dep('rebooting')] })],
    ['failed', seen({ os: [dep('failure')] })],
    ['drift', seen()],
    ['drift', seen({ os: [dep('aborted')] })],
    ['in_progress', seen({ os: [dep('failure', 'old'), dep('downloading', 'new')] })],
  ])('%s', (state, s) => {
    expect(classifyDevice(want, s, o).state).toBe(state);
  });

  test('offline only while an update is due and silent for longer than the threshold', () => {
    const quiet = { checkIn: '2026-03-01T09:00:00Z' };
    expect(classifyDevice(want, seen({ ...quiet, os: [dep('pending')] }), o)).toMatchObject({
      state: 'offline',
      why: expect.stringMatching(/no check-in for 3h/),
    });
    expect(classifyDevice(want, seen({ ...quiet, artifact: 'os-2' }), o).state).toBe('converged');
    expect(
      classifyDevice(want, seen({ ...quiet, os: [dep('pending')] }), { ...o, offlineAfterMs: 4 * 3_600_000 }).state,
    ).toBe('pending');
    expect(classifyDevice(want, seen({ ...quiet, os: [dep('installing')] }), o).state).toBe('offline');
    // Nothing scheduled reaches a drifted device even when it comes back: still drift, silence noted.
    expect(classifyDevice(want, seen(quiet), o)).toMatchObject({
      state: 'drift',
      why: expect.stringMatching(/no deployment of it is scheduled; no check-in for 3h/),
    });
    expect(classifyDevice(want, seen({ ...quiet, os: [dep('failure')] }), o).state).toBe('failed');
  });

  test('an unknown device fails; the worst dimension wins', () => {
    expect(classifyDevice(want, seen({ found: false }), o).state).toBe('failed');
    const withConfig = { ...want, config: { keys: { url: 'x' } } };
    const cfg = { configured: { url: 'x' }, reported: { url: 'y' }, deployment: dep('failure', 'c1') };
    expect(classifyDevice(withConfig, seen({ artifact: 'os-2', config: cfg }), o)).toMatchObject({
      state: 'failed',
      deployment: 'c1',
    });
  });

  test('a device the run failed before deciding anything is failed with why, not converged', () => {
    const bare = { host: 'h', device: 'd' };
    expect(classifyDevice(bare, seen({}), o).state).toBe('converged');
    expect(classifyDevice({ ...bare, planFailed: 'GHRUNNER_TOKEN is empty\nhint' }, seen({}), o)).toMatchObject({
      state: 'failed',
      why: 'the run could not plan this device: GHRUNNER_TOKEN is empty',
    });
  });
});

describe('classifyConfig', () => {
  test('a masked secret is compared with what is configured', () => {
    expect(classifyConfig({ token: MASKED }, { configured: { token: 's' }, reported: { token: 's' } }).state).toBe(
      'converged',
    );
    expect(classifyConfig({ token: MASKED }, { configured: { token: 's' }, reported: { token: 'old' } }).state).toBe(
      'drift',
    );
  });
  test('a deployment that does not carry the wanted values is drift, not progress', () => {
    expect(
      classifyConfig({ url: 'x' }, { configured: { url: 'z' }, reported: { url: 'y' }, deployment: dep('installing') })
        .state,
    ).toBe('drift');
    expect(
      classifyConfig({ url: 'x' }, { configured: { url: 'x' }, reported: { url: 'y' }, deployment: dep('installing') })
        .state,
    ).toBe('in_progress');
    expect(classifyConfig({}, { configured: {}, reported: {}, deployment: dep('pending') }).state).toBe('pending');
  });
});

describe('verdict', () => {
  const counts = (x: Partial<ReturnType<typeof countStates>>) => ({ ...countStates([], 0), ...x });
  test('exit codes and commit states', () => {
    expect(verdict(counts({ converged: 5 }), { kind: 'count', n: 0 })).toMatchObject({
      exitCode: 0,
      commitState: 'success',
      settled: true,
    });
    expect(verdict(counts({ converged: 4, in_progress: 1 }), { kind: 'count', n: 0 })).toMatchObject({
      exitCode: 3,
      commitState: 'pending',
      settled: false,
    });
    expect(verdict(counts({ converged: 3, in_progress: 1, failed: 1 }), { kind: 'count', n: 0 })).toMatchObject({
      exitCode: 2,
      commitState: 'failure',
      settled: true,
    });
    expect(verdict(counts({ converged: 9, drift: 1 }), { kind: 'percent', pct: 10 })).toMatchObject({
      exitCode: 0,
      summary: expect.stringMatching(/within --max-failed/),
    });
    expect(verdict(counts({ converged: 9, drift: 1 }), { kind: 'percent', pct: 5 }).exitCode).toBe(2);
  });
  test('offline devices still due an update are never green unless --max-failed tolerates them', () => {
    const none = { kind: 'count', n: 0 } as const;
    expect(verdict(counts({ offline: 4 }), none)).toMatchObject({
      exitCode: 3,
      commitState: 'pending',
      settled: true,
      summary: '4 of 4 devices offline before converging (at most 0 may not converge)',
    });
    expect(verdict(counts({ converged: 2, in_progress: 1, offline: 1 }), none)).toMatchObject({
      exitCode: 3,
      settled: false,
      summary: '1 of 4 devices still updating, 1 offline',
    });
    expect(verdict(counts({ converged: 2, offline: 1, failed: 1 }), none)).toMatchObject({
      exitCode: 2,
      commitState: 'failure',
    });
    // The tolerance is shared: one failure and one offline device need --max-failed 2.
    const mixed = counts({ converged: 8, offline: 1, failed: 1 });
    expect(verdict(mixed, { kind: 'count', n: 1 })).toMatchObject({
      exitCode: 3,
      commitState: 'pending',
      summary: '1 of 10 devices offline before converging and 1 failed or drifted (at most 1 may not converge)',
    });
    expect(verdict(mixed, { kind: 'percent', pct: 20 })).toMatchObject({
      exitCode: 0,
      commitState: 'success',
      summary: '8 of 10 devices converged (1 offline, 1 failed or drifted, within --max-failed)',
    });
  });
});

describe('desiredFromPlan and options', () => {
  test('the typed plan per device: wanted image, managed configuration, other stages, failures', () => {
    const none = { action: 'none' } as const;
    const plan: DevicePlan[] = [
      {
        host: 'b',
        device_id: 'id-b',
        os: { action: 'deploy', from: 'os-1', to: 'os-2', why: 'w' },
        config: { action: 'set', added: [], changed: ['u'], removed: [], values: { u: '2' } },
      },
      { host: 'a', device_id: 'a', os: none, config: { action: 'none', checked: true } },
      { host: 'c', device_id: 'c', other_stage: true, os: none, config: none },
      { host: 'd', device_id: 'd', os: { action: 'fail', why: 'unknown device' }, config: none },
      { host: 'e', device_id: 'e', os: { action: 'held', retry: 'r', to: 'os-2', why: 'held' }, config: none },
    ];
    expect(desiredFromPlan(plan)).toEqual({
      devices: [
        { host: 'a', device: 'a', config: { keys: {} } },
        { host: 'b', device: 'id-b', artifact: 'os-2', why: 'w', config: { keys: { u: '2' } } },
        { host: 'd', device: 'd', why: 'unknown device', planFailed: 'unknown device' },
        { host: 'e', device: 'e', artifact: 'os-2', why: 'held' },
      ],
      notSubscribed: ['c'],
    });
  });
  test('durations and --max-failed', () => {
    expect(
      [parseDuration('--timeout', '30m'), parseDuration('--timeout', '90'), parseDuration('--x', '1.5h')].map(
        (r) => r.ok && r.value,
      ),
    ).toEqual([1_800_000, 90_000, 5_400_000]);
    expect(parseDuration('--timeout', '30 minutes').ok).toBe(false);
    expect([parseMaxFailed('2'), parseMaxFailed('5%')].map((r) => r.ok && r.value)).toEqual([
      { kind: 'count', n: 2 },
      { kind: 'percent', pct: 5 },
    ]);
    expect([parseMaxFailed('1.5').ok, parseMaxFailed('101%').ok, parseMaxFailed('-1').ok]).toEqual([
      false,
      false,
      false,
    ]);
  });
});

describe('a device outside its maintenance window', () => {
  const waiting = {
    ...want,
    window: 'outside its maintenance window daily 02:00-03:00; opens in 1h 0m (2026-03-01 02:00 UTC)',
  };

  test('its drift is the update waiting: pending with the plan’s why; a failure stays a failure', () => {
    expect(classifyDevice(waiting, seen(), o)).toMatchObject({ state: 'pending', why: waiting.window });
    expect(classifyDevice(waiting, seen({ os: [dep('failure')] }), o).state).toBe('failed');
    expect(classifyDevice(waiting, seen({ artifact: 'os-2' }), o).state).toBe('converged');
  });

  test('the plan’s window decision reaches the monitor', () => {
    const plan: DevicePlan[] = [
      {
        host: 'a',
        device_id: 'a',
        os: {
          action: 'window',
          from: 'os-1',
          to: 'os-2',
          opens: '2026-03-01T02:00:00.000Z',
          window: 'daily 02:00-03:00',
          why: waiting.window,
        },
        config: { action: 'none' },
      },
    ];
    expect(desiredFromPlan(plan).devices).toEqual([
      { host: 'a', device: 'a', artifact: 'os-2', why: waiting.window, window: waiting.window },
    ]);
  });
});
