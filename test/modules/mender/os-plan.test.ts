import type { InFlight, MenderFacts } from '../../../src/modules/mender/facts.js';
import {
  catalog,
  fitCap,
  groupDeployments,
  planAborts,
  planOsUpdate,
  redeployAfterAbort,
  type OsDecision,
} from '../../../src/modules/mender/os-plan.js';

const flight = (id: string, artifact: string, active = 1, type: InFlight['type'] = 'software'): InFlight => ({
  id,
  name: `dep ${id}`,
  artifact_name: artifact,
  type,
  status: 'pending',
  created: '2026-01-01T00:00:00Z',
  active_devices: active,
});
const facts = (over: Partial<MenderFacts> = {}): MenderFacts => ({
  id: 'dev1',
  device_type: 'raspberrypi4',
  artifact_name: 'os-1.0',
  deployments: [],
  attributes: {},
  ...over,
});
const artifacts = catalog([
  { name: 'os-1.1', device_types_compatible: ['raspberrypi4', 'raspberrypi3'] },
  { name: 'os-1.1', device_types_compatible: ['imx8mm'] },
  { name: 'os-1.0', device_types_compatible: ['raspberrypi4'] },
]);

describe('OS update decision per device', () => {
  test.each([
    ['installed already', facts({ artifact_name: 'os-1.1' }), 'os-1.1', 'none', /os-1.1 is installed/],
    [
      'falls back to rootfs-image.version',
      facts({ artifact_name: undefined, rootfs_image_version: 'os-1.1' }),
      'os-1.1',
      'none',
      /installed/,
    ],
    ['needs the new image', facts(), 'os-1.1', 'deploy', /os-1.0 is installed, the repository wants os-1.1/],
    [
      'right artifact in flight: left alone',
      facts({ deployments: [flight('d1', 'os-1.1')] }),
      'os-1.1',
      'wait',
      /already pending/,
    ],
    [
      'wrong artifact in flight: aborted and replaced',
      facts({ deployments: [flight('d1', 'os-0.9')] }),
      'os-1.1',
      'deploy',
      /aborting the deployment of os-0.9/,
    ],
    [
      'installed, but another image in flight',
      facts({ artifact_name: 'os-1.1', deployments: [flight('d1', 'os-0.9')] }),
      'os-1.1',
      'abort',
      /would replace it/,
    ],
    [
      'config deployments are not OS deployments',
      facts({ deployments: [flight('c1', 'cfg', 1, 'configuration')] }),
      'os-1.1',
      'deploy',
      /repository wants/,
    ],
    ['no artifact of that name', facts(), 'os-9', 'fail', /no artifact named os-9 on the server/],
    [
      'no artifact for the device type',
      facts({ device_type: 'rpi2' }),
      'os-1.1',
      'fail',
      /no artifact named os-1.1 fits device type rpi2 \(it exists for imx8mm, raspberrypi3, raspberrypi4\)/,
    ],
    ['no device type reported', facts({ device_type: undefined }), 'os-1.1', 'fail', /reports no device_type/],
  ])('%s', (_name, f, desired, action, why) => {
    const d = planOsUpdate({ host: 'h', facts: f, desired }, artifacts);
    expect(d.action).toBe(action);
    expect(d.why).toMatch(why);
    expect(d.to).toBe(desired);
  });
});

describe('a deployment that failed before', () => {
  const failed = { deployment: 'bad', artifact_name: 'os-1.1', finished: '2026-01-01T00:00:00Z' };
  test.each([
    ['holds the device back', failed, false, 'held', /failed on this device at 2026-01-01T00:00:00Z; not retried/],
    ['unless retry_failed', failed, true, 'deploy', /repository wants/],
    [
      'a failure of another artifact does not count',
      { ...failed, artifact_name: 'os-1.0' },
      false,
      'deploy',
      /repository wants/,
    ],
  ])('%s', (_n, f, retry, action, why) => {
    const d = planOsUpdate({ host: 'h', facts: facts(), desired: 'os-1.1' }, artifacts, f, retry);
    expect(d.action).toBe(action);
    expect(d.why).toMatch(why);
  });
});

const deploy = (device: string, to: string, abort: InFlight[] = []): OsDecision => ({
  host: device,
  device,
  to,
  why: '',
  action: 'deploy',
  abort,
});

describe('grouping into deployments', () => {
  test('one deployment per artifact, split at the batch size, none for other actions', () => {
    const ds: OsDecision[] = [
      ...['a', 'b', 'c', 'd', 'e'].map((x) => deploy(x, 'os-1.1')),
      deploy('f', 'os-2'),
      { host: 'g', device: 'g', to: 'os-1.1', why: '', action: 'none' },
      { host: 'h', device: 'h', to: 'os-1.1', why: '', action: 'wait', deployment: 'x', abort: [] },
    ];
    const planned = groupDeployments(ds, { batchSize: 2, name: (a, i, n) => `${a} ${i}/${n}` });
    expect(planned).toEqual([
      { name: 'os-1.1 1/3', artifact_name: 'os-1.1', devices: ['a', 'b'] },
      { name: 'os-1.1 2/3', artifact_name: 'os-1.1', devices: ['c', 'd'] },
      { name: 'os-1.1 3/3', artifact_name: 'os-1.1', devices: ['e'] },
      { name: 'os-2 1/1', artifact_name: 'os-2', devices: ['f'] },
    ]);
  });
});

describe('aborts', () => {
  test('whole deployment when all its active devices are ours, per device otherwise', () => {
    const ours = flight('d-ours', 'os-0.9', 2);
    const shared = flight('d-shared', 'os-0.8', 5);
    const ds = [deploy('a', 'os-1.1', [ours]), deploy('b', 'os-1.1', [ours]), deploy('c', 'os-1.1', [shared])];
    expect(planAborts(ds)).toEqual({ whole: ['d-ours'], perDevice: ['c'] });
  });

  test('a device aborted one by one loses its right deployment too, so it is deployed again', () => {
    const shared = flight('d-shared', 'os-0.8', 5);
    const wait: OsDecision = {
      host: 'w',
      device: 'w',
      to: 'os-1.1',
      why: 'already',
      action: 'wait',
      deployment: 'ok',
      abort: [shared],
    };
    const plan = planAborts([wait]);
    expect(plan.perDevice).toEqual(['w']);
    const [after] = redeployAfterAbort([wait], plan);
    expect(after.action).toBe('deploy');
    expect(after.why).toMatch(/deployed again/);
  });
});

describe('the cap of active deployments', () => {
  const deploy = (device: string, to: string): OsDecision => ({
    action: 'deploy',
    host: device,
    device,
    from: 'os-1.0',
    to,
    why: 'x',
    abort: [],
  });
  // 3 devices of os-a (2 deployments at batch 2), 1 of os-b, 1 waiting: 3 new deployments.
  const decisions: OsDecision[] = [
    deploy('d1', 'os-a'),
    deploy('d2', 'os-a'),
    deploy('d3', 'os-a'),
    deploy('d4', 'os-b'),
    { action: 'wait', host: 'd5', device: 'd5', to: 'os-a', why: 'w', deployment: 'dep-5', abort: [] },
  ];
  const actions = (ds: OsDecision[]) => ds.map((d) => `${d.device}:${d.action}`);

  test('room for all, no cap, or exactly enough: nothing deferred', () => {
    expect(fitCap(decisions, { cap: 10, active: 7, ours: 1 }, 2)).toBe(decisions);
    expect(fitCap(decisions, { cap: 0, active: 900, ours: 0 }, 2)).toBe(decisions);
  });

  test('whole deployments in artifact order while there is room; the rest deferred with why', () => {
    const fitted = fitCap(decisions, { cap: 10, active: 9, ours: 1 }, 2);
    expect(actions(fitted)).toEqual(['d1:deploy', 'd2:deploy', 'd3:deferred', 'd4:deferred', 'd5:wait']);
    expect(fitted[2]).toMatchObject({
      to: 'os-a',
      from: 'os-1.0',
      why: 'cap: 10 active deployments (8 from elsewhere, 1 of this fleet); 1 of 3 new deployments fit, the rest next run',
    });
    expect(groupDeployments(fitted, { batchSize: 2, name: () => 'n' })).toHaveLength(1);
    expect(planAborts(fitted)).toEqual({ whole: [], perDevice: [] });
  });

  test('over the cap already (others created more meanwhile): nothing new', () => {
    expect(actions(fitCap(decisions, { cap: 10, active: 12, ours: 0 }, 2)).filter((a) => a.endsWith('deploy'))).toEqual(
      [],
    );
  });
});
