/** Seeding the simulated fleet from an Ansible inventory (the sample fleet and bad inventories). */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FleetFailure } from '../../src/errors/index.js';
import { startServer } from '../../src/server/index.js';
import { testServer, TOKEN } from './helpers.js';

const PI2 = '6bfd5737-51b8-4e0b-ac3c-c0b36a1f00c3';
const PI3 = '20b41a8a-ef2d-4afd-9587-2aad65b28605';

/**
 * A fleet laid out like the sample inventory: type groups, os_image per type in group_vars/all.yml;
 * the Pi 2 named readably (its id in host_vars), the Pi 3 by its id with a device_name.
 */
function sampleLike(dir: string): string {
  mkdirSync(join(dir, 'group_vars'), { recursive: true });
  mkdirSync(join(dir, 'host_vars'), { recursive: true });
  writeFileSync(
    join(dir, 'hosts.yml'),
    `all:\n  children:\n    production:\n      hosts:\n        legacy-pi2:\n        ${PI3}:\n    raspberrypi2:\n      vars: {device_type: raspberrypi2}\n      hosts:\n        legacy-pi2:\n    raspberrypi3:\n      vars: {device_type: raspberrypi3}\n      hosts:\n        ${PI3}:\n`,
  );
  writeFileSync(
    join(dir, 'group_vars', 'all.yml'),
    'subscribed_branch: production\nos_image:\n  raspberrypi2: fleet-os-1.0.0-raspberrypi2\n  raspberrypi3: fleet-os-1.0.0-raspberrypi3\n',
  );
  writeFileSync(join(dir, 'host_vars', 'legacy-pi2.yml'), `mender_device_id: ${PI2}\n`);
  writeFileSync(join(dir, 'host_vars', `${PI3}.yml`), 'device_name: kiosk-central-station\n');
  return dir;
}

describe('inventory seeding', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'fleetplay-seed-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test('a fleet inventory: one device per host with its type and desired image, artifacts for every image', async () => {
    const t = await testServer({}, { inventory: [sampleLike(join(dir, 'fleet'))] });
    try {
      const devices = (await t.api('GET', '/api/management/v1/inventory/devices?per_page=100')).body as {
        id: string;
        attributes: { name: string; value: unknown }[];
      }[];
      expect(devices.map((d) => d.id)).toEqual([PI2, PI3]);
      const attrOf = (id: string, n: string) =>
        devices.find((d) => d.id === id)!.attributes.find((a) => a.name === n)?.value;
      const attr = (n: string) => attrOf(PI2, n);
      expect(attrOf(PI3, 'name')).toBe('kiosk-central-station');
      expect([attr('device_type'), attr('artifact_name'), attr('name')]).toEqual([
        'raspberrypi2',
        'fleet-os-1.0.0-raspberrypi2',
        'legacy-pi2',
      ]);
      const arts = (await t.api('GET', '/api/management/v1/deployments/artifacts')).body as {
        name: string;
        device_types_compatible: string[];
      }[];
      expect(arts.find((a) => a.name === 'fleet-os-1.0.0-raspberrypi3')?.device_types_compatible).toEqual([
        'raspberrypi3',
      ]);
      // Already running the desired image: a deployment of it is already-installed.
      const dep = await t.api('POST', '/api/management/v1/deployments/deployments', {
        name: 'x',
        artifact_name: 'fleet-os-1.0.0-raspberrypi2',
        devices: [PI2],
      });
      expect(dep.status).toBe(201);
      await t.admin('POST', '/clock/advance', { seconds: 60 });
      const id = dep.headers.get('location')!.split('/').pop()!;
      expect(
        (
          (await t.api('GET', `/api/management/v1/deployments/deployments/${id}/statistics`)).body as Record<
            string,
            number
          >
        )['already-installed'],
      ).toBe(1);
    } finally {
      await t.close();
    }
  });

  test('sim_ vars set the installed image and the reported branch; a host without device_type is an error with its position', async () => {
    const inv = join(dir, 'inv');
    mkdirSync(join(inv, 'host_vars'), { recursive: true });
    const a = 'cccccccc-0000-4000-8000-000000000001';
    const b = 'cccccccc-0000-4000-8000-000000000002';
    writeFileSync(
      join(inv, 'hosts.yml'),
      `all:\n  vars:\n    device_type: rpi4\n    os_image: os-2\n  hosts:\n    ${a}:\n      sim_artifact_name: os-1\n      sim_subscribed_branch: canary\n`,
    );
    const t = await testServer({}, { inventory: [inv] });
    try {
      const r = await t.api('POST', '/api/management/v2/inventory/filters/search', {
        filters: [{ scope: 'inventory', attribute: 'subscribed_branch', type: '$eq', value: 'canary' }],
      });
      const d = (r.body as { id: string; attributes: { name: string; value: unknown }[] }[])[0];
      expect(d.id).toBe(a);
      expect(d.attributes.find((x) => x.name === 'artifact_name')?.value).toBe('os-1');
    } finally {
      await t.close();
    }
    writeFileSync(join(inv, 'hosts.yml'), `all:\n  hosts:\n    ${b}:\n      os_image: os-2\n`);
    const failure = await startServer({ memory: true, tokens: [TOKEN], inventory: [inv] }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(FleetFailure);
    expect((failure as FleetFailure).error).toMatchObject({ code: 'server.inventory-device-type', line: 3 });
    expect((failure as FleetFailure).error.file).toContain('hosts.yml');
    expect((failure as FleetFailure).error.hint).toContain('device_type');
  });
});
