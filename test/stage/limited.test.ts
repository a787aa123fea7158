/**
 * A limited run in waves takes each limited device's verdict from the whole stage's plan: the
 * verdict read off a planned device, and the decisions made under it (pure parts; the run with
 * --limit against the embedded server is test/rollout/limit-waves.test.ts).
 */
import type { OsDecision } from '../../src/modules/mender/os-plan.js';
import type { DevicePlan } from '../../src/plan/index.js';
import { byVerdicts, NO_STAGE_WAVE, type StageWaveArg } from '../../src/rollout/index.js';
import { verdictOf } from '../../src/stage/limited.js';

const HALT = 'halted at wave 1: 7 of 10 failed (at most 1)';
const plan = (os: DevicePlan['os'], config: DevicePlan['config'] = { action: 'none' }): DevicePlan => ({
  host: 'h',
  device_id: 'd',
  wave: 1,
  os,
  config,
});

describe("a device's verdict in the whole stage's plan", () => {
  it('open wave, later wave (OS or configuration), halt, and a halted wave whose deployment is aborted', () => {
    expect(verdictOf(plan({ action: 'deploy', to: 'os-2' }), 1)).toEqual({ wave: 1 });
    const keys = { added: ['k'], changed: [], removed: [] };
    expect(verdictOf(plan({ action: 'none' }, { action: 'later', wave: 2, ...keys, why: 'w2' }), 2)).toEqual({
      wave: 2,
      why: 'w2',
    });
    expect(verdictOf(plan({ action: 'later', wave: 3, to: 'os-2', halted: true, why: HALT }), 3)).toEqual({
      wave: 3,
      why: HALT,
      halted: true,
    });
    const aborted = plan({
      action: 'later',
      wave: 1,
      to: 'os-2',
      halted: true,
      abort: ['dep-1'],
      why: `${HALT}; aborting its deployment`,
    });
    expect(verdictOf(aborted, 1)).toEqual({ wave: 1, why: HALT, halted: true, abort: true });
  });

  it('decisions under given verdicts: later waits, abort aborts, a device the stage did not place is not deployed', () => {
    const base = (device: string) => ({ host: device, device, from: 'os-1', to: 'os-2', why: 'w' });
    const decisions: OsDecision[] = [
      { ...base('a'), action: 'deploy', abort: [] },
      { ...base('b'), action: 'deploy', abort: [] },
      { ...base('c'), action: 'wait', deployment: 'dep-1', abort: [] },
      { ...base('x'), action: 'deploy', abort: [] },
    ];
    const flight = {
      id: 'dep-1',
      name: 'n',
      artifact_name: 'os-2',
      type: 'software' as const,
      status: 'pending',
      created: '',
      active_devices: 1,
    };
    const out = byVerdicts(
      decisions,
      new Map<string, StageWaveArg>([
        ['a', { wave: 1 }],
        ['b', { wave: 2, why: 'later' }],
        ['c', { wave: 1, why: HALT, halted: true as const, abort: true as const }],
        ['x', {}],
      ]),
      new Map([['c', [flight]]]),
    );
    expect(out.map((d) => [d.device, d.action, d.wave, d.why])).toEqual([
      ['a', 'deploy', 1, 'w'],
      ['b', 'later', 2, 'later'],
      ['c', 'later', 1, `${HALT}; aborting its deployment`],
      ['x', 'later', 0, NO_STAGE_WAVE],
    ]);
    expect(out[2]).toMatchObject({ halted: true, abort: [flight] });
  });
});
