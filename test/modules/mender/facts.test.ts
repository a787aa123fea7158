import {
  configFacts,
  factsFromInventory,
  inFlightByDevice,
  stillDeploying,
} from '../../../src/modules/mender/facts.js';

describe('facts from inventory', () => {
  test('reads the attributes fleetplay needs; the device attribute beats the tag', () => {
    const f = factsFromInventory({
      id: 'd1',
      updated_ts: '2026-01-01T00:00:00Z',
      attributes: [
        { name: 'device_type', scope: 'inventory', value: 'raspberrypi4' },
        { name: 'artifact_name', scope: 'inventory', value: 'os-1.0' },
        { name: 'rootfs-image.version', scope: 'inventory', value: 'os-1.0' },
        { name: 'subscribed_branch', scope: 'tags', value: 'canary' },
        { name: 'subscribed_branch', scope: 'inventory', value: 'main' },
        { name: 'check_in_time', scope: 'system', value: '2026-01-02T00:00:00Z' },
      ],
    });
    expect(f).toMatchObject({
      id: 'd1',
      device_type: 'raspberrypi4',
      artifact_name: 'os-1.0',
      rootfs_image_version: 'os-1.0',
      subscribed_branch: 'main',
      check_in_time: '2026-01-02T00:00:00Z',
      updated_ts: '2026-01-01T00:00:00Z',
    });
    expect(f.attributes['tags.subscribed_branch']).toBe('canary');
  });

  test('a tag alone sets the subscription; absent attributes stay undefined', () => {
    const f = factsFromInventory({
      id: 'd2',
      attributes: [{ name: 'subscribed_branch', scope: 'tags', value: 'canary' }],
    });
    expect(f.subscribed_branch).toBe('canary');
    expect(f.device_type).toBeUndefined();
  });
});

describe('deployments in flight per device', () => {
  const dep = (id: string, status: 'pending' | 'inprogress' | 'finished', artifact = 'os-1.1') => ({
    id,
    name: id,
    artifact_name: artifact,
    created: 't',
    status,
    device_count: 3,
  });
  test('only devices still working on an unfinished deployment', () => {
    const m = inFlightByDevice(
      [dep('A', 'inprogress'), dep('B', 'finished'), dep('C', 'pending', 'os-2')],
      new Map([
        [
          'A',
          [
            { id: 'd1', status: 'downloading' },
            { id: 'd2', status: 'success' },
            { id: 'd3', status: 'failure' },
          ],
        ],
        ['B', [{ id: 'd1', status: 'pending' }]],
        [
          'C',
          [
            { id: 'd1', status: 'pending' },
            { id: 'd4', status: 'pause_before_rebooting' },
          ],
        ],
      ]),
    );
    expect([...m.keys()].sort()).toEqual(['d1', 'd4']);
    expect(m.get('d1')!.map((x) => [x.id, x.status, x.active_devices, x.type])).toEqual([
      ['A', 'downloading', 1, 'software'],
      ['C', 'pending', 2, 'software'],
    ]);
  });

  test('configuration state', () => {
    expect(configFacts({ configured: { a: '1' }, deployment_id: 'x' }, true)).toEqual({
      configured: { a: '1' },
      reported: {},
      deployment_id: 'x',
      deploying: true,
    });
    expect(stillDeploying({ success: 1, pending: 0, failure: 2 })).toBe(false);
    expect(stillDeploying({ success: 1, downloading: 1 })).toBe(true);
  });
});
