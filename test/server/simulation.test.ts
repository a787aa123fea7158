/**
 * Simulated devices walked through Mender's deployment states with the manual clock:
 * success, failure, already-installed, noartifact, abort, offline, queued deployments,
 * configuration deployments, planned failures, fault injection and the request log.
 */
import { generatedDeviceId, type FleetSpec } from '../../src/server/index.js';
import { testServer } from './helpers.js';

const id = (n: number) => `bbbbbbbb-0000-4000-8000-${String(n).padStart(12, '0')}`;
const [OK, BAD, SAME, OTHER, OFF, MID] = [1, 2, 3, 4, 5, 6].map(id) as [string, string, string, string, string, string];
const M = '/api/management';
const D = `${M}/v1/deployments/deployments`;

const spec: FleetSpec = {
  artifacts: [
    { name: 'os-2', device_types_compatible: ['rpi4'] },
    { name: 'os-3', device_types_compatible: ['rpi4'] },
    { name: 'os-broken', device_types_compatible: ['rpi4', 'rpi3'] },
  ],
  devices: [
    { id: OK, device_type: 'rpi4', artifact_name: 'os-1' },
    { id: BAD, device_type: 'rpi4', artifact_name: 'os-1', fail: true },
    { id: SAME, device_type: 'rpi4', artifact_name: 'os-2' },
    { id: OTHER, device_type: 'rpi3', artifact_name: 'os-1' },
    { id: OFF, device_type: 'rpi4', artifact_name: 'os-1', online: false },
    { id: MID, device_type: 'rpi4', artifact_name: 'os-1' },
  ],
  timing: { poll_interval: 10, download: 10, install: 10, reboot: 10 },
  failures: { artifacts: ['os-broken'] },
};

describe('simulated Mender clients', () => {
  let t: Awaited<ReturnType<typeof testServer>>;
  beforeEach(async () => {
    t = await testServer(spec);
  });
  afterEach(() => t.close());

  const advance = async (seconds: number) => {
    const r = await t.admin('POST', '/clock/advance', { seconds });
    expect(r.status).toBe(200);
  };
  const deploy = async (artifact: string, devices: string[]) => {
    const r = await t.api('POST', D, { name: artifact, artifact_name: artifact, devices });
    expect(r.status).toBe(201);
    return r.headers.get('location')!.split('/').pop()!;
  };
  const statuses = async (dep: string) => {
    const r = await t.api('GET', `${D}/${dep}/devices/list?per_page=500`);
    expect(r.violations).toEqual([]);
    return Object.fromEntries((r.body as { id: string; status: string }[]).map((d) => [d.id, d.status]));
  };
  const attr = async (device: string, name: string) => {
    const r = await t.api('GET', `${M}/v1/inventory/devices/${device}`);
    return (r.body as { attributes: { name: string; value: unknown }[] }).attributes.find((a) => a.name === name)
      ?.value;
  };

  test('success, failure, already-installed, noartifact and offline, step by step', async () => {
    const dep = await deploy('os-2', [OK, BAD, SAME, OTHER, OFF]);
    expect(await statuses(dep)).toEqual({
      [OK]: 'pending',
      [BAD]: 'pending',
      [SAME]: 'pending',
      [OTHER]: 'pending',
      [OFF]: 'pending',
    });
    await advance(10);
    expect(await statuses(dep)).toEqual({
      [OK]: 'downloading',
      [BAD]: 'downloading',
      [SAME]: 'already-installed',
      [OTHER]: 'noartifact',
      [OFF]: 'pending',
    });
    expect((await t.api('GET', `${D}/${dep}`)).body).toMatchObject({ status: 'inprogress' });
    await advance(10);
    expect((await statuses(dep))[OK]).toBe('installing');
    await advance(10);
    expect((await statuses(dep))[OK]).toBe('rebooting');
    expect(await attr(OK, 'rootfs-image.version')).toBe('os-1');
    await advance(10);
    expect(await statuses(dep)).toEqual({
      [OK]: 'success',
      [BAD]: 'failure',
      [SAME]: 'already-installed',
      [OTHER]: 'noartifact',
      [OFF]: 'pending',
    });
    expect(await attr(OK, 'rootfs-image.version')).toBe('os-2');
    expect(await attr(OK, 'artifact_name')).toBe('os-2');
    expect(await attr(BAD, 'artifact_name')).toBe('os-1');
    const stats = (await t.api('GET', `${D}/${dep}/statistics`)).body;
    expect(stats).toMatchObject({ success: 1, failure: 1, 'already-installed': 1, noartifact: 1, pending: 1 });

    // The offline device stops checking in; when it comes back it runs the deployment.
    const checkIn = async () => Date.parse(String(await attr(OFF, 'check_in_time')));
    const before = await checkIn();
    await advance(600);
    expect(await checkIn()).toBe(before);
    expect((await statuses(dep))[OFF]).toBe('pending');
    expect((await t.admin('PUT', `/devices/${OFF}`, { online: true })).status).toBe(200);
    await advance(40);
    expect((await statuses(dep))[OFF]).toBe('success');
    expect(await checkIn()).toBeGreaterThan(before);
    const finished = (await t.api('GET', `${D}/${dep}`)).body as { status: string; finished: string };
    expect(finished.status).toBe('finished');
    expect(finished.finished).toEqual(expect.any(String));
  });

  test('one active deployment per device in creation order; abort of queued and in-flight deployments', async () => {
    const first = await deploy('os-2', [OK, MID]);
    const second = await deploy('os-3', [OK]);
    await advance(10);
    expect(await statuses(first)).toEqual({ [OK]: 'downloading', [MID]: 'downloading' });
    expect(await statuses(second)).toEqual({ [OK]: 'pending' });
    // Abort the deployment MID is downloading: it stays on its image.
    const mid = await deploy('os-3', [MID]);
    expect((await t.api('PUT', `${D}/${first}/status`, { status: 'aborted' })).status).toBe(204);
    expect(await statuses(first)).toEqual({ [OK]: 'aborted', [MID]: 'aborted' });
    // OK's queued second deployment becomes active at its next poll.
    await advance(10);
    expect(await statuses(second)).toEqual({ [OK]: 'downloading' });
    expect(await statuses(mid)).toEqual({ [MID]: 'downloading' });
    expect((await t.api('DELETE', `${D}/devices/${MID}`)).status).toBe(204);
    expect(await statuses(mid)).toEqual({ [MID]: 'aborted' });
    await advance(100);
    expect(await statuses(second)).toEqual({ [OK]: 'success' });
    expect(await attr(OK, 'artifact_name')).toBe('os-3');
    expect(await attr(MID, 'artifact_name')).toBe('os-1');
    const aborted = (await t.api('GET', `${D}?status=finished`)).body as { id: string }[];
    expect(aborted.map((d) => d.id).sort()).toEqual([first, second, mid].sort());
  });

  test('a bad release fails everywhere; force_installation reinstalls', async () => {
    const broken = await deploy('os-broken', [OK, OTHER]);
    await advance(60);
    expect(await statuses(broken)).toEqual({ [OK]: 'failure', [OTHER]: 'failure' });
    const r = await t.api('POST', D, {
      name: 'again',
      artifact_name: 'os-2',
      devices: [SAME],
      force_installation: true,
    });
    const forced = r.headers.get('location')!.split('/').pop()!;
    await advance(60);
    expect(await statuses(forced)).toEqual({ [SAME]: 'success' });
  });

  test('configuration deployments: an online device reports what was configured', async () => {
    const C = `${M}/v1/deviceconfig/configurations/device`;
    await t.api('PUT', `${C}/${OK}`, { kiosk_enabled: 'true' });
    await t.api('PUT', `${C}/${OFF}`, { kiosk_enabled: 'false' });
    const a = (await t.api('POST', `${C}/${OK}/deploy`, {})).body as { deployment_id: string };
    await t.api('POST', `${C}/${OFF}/deploy`, {});
    await advance(60);
    const ok = await t.api('GET', `${C}/${OK}`);
    expect(ok.violations).toEqual([]);
    expect(ok.body).toMatchObject({
      configured: { kiosk_enabled: 'true' },
      reported: { kiosk_enabled: 'true' },
      deployment_id: a.deployment_id,
      reported_ts: expect.any(String),
    });
    expect((await t.api('GET', `${C}/${OFF}`)).body).toMatchObject({
      configured: { kiosk_enabled: 'false' },
      reported: {},
    });
    expect((await t.api('GET', `${D}/${a.deployment_id}`)).body).toMatchObject({
      type: 'configuration',
      status: 'finished',
    });
  });

  test('a bad configuration (failures.configurations) fails its deployment; the device keeps reporting the old one', async () => {
    const bad = await testServer({
      ...spec,
      failures: { configurations: [{ kiosk_url: 'http://broken', kiosk_enabled: 'true' }] },
    });
    try {
      const C = `${M}/v1/deviceconfig/configurations/device`;
      const deployed = async (device: string, config: Record<string, string>) => {
        await bad.api('PUT', `${C}/${device}`, config);
        return ((await bad.api('POST', `${C}/${device}/deploy`, {})).body as { deployment_id: string }).deployment_id;
      };
      await deployed(OK, { kiosk_url: 'http://fine', kiosk_enabled: 'true' });
      await bad.admin('POST', '/clock/advance', { seconds: 60 });
      // Every key = value of the bad configuration: fails; one key of it alone does not.
      const failing = await deployed(OK, { kiosk_url: 'http://broken', kiosk_enabled: 'true', extra: 'x' });
      const partial = await deployed(MID, { kiosk_url: 'http://broken', kiosk_enabled: 'false' });
      await bad.admin('POST', '/clock/advance', { seconds: 60 });
      const status = async (dep: string) =>
        ((await bad.api('GET', `${D}/${dep}/devices/list`)).body as { status: string }[])[0]?.status;
      expect(await status(failing)).toBe('failure');
      expect(await status(partial)).toBe('success');
      expect((await bad.api('GET', `${C}/${OK}`)).body).toMatchObject({
        configured: { kiosk_url: 'http://broken', kiosk_enabled: 'true', extra: 'x' },
        reported: { kiosk_url: 'http://fine', kiosk_enabled: 'true' },
        deployment_id: failing,
      });
    } finally {
      await bad.close();
    }
  });

  test('device-reported attributes and planned failures through the admin API', async () => {
    const put = await t.admin('PUT', `/devices/${OK}`, { attributes: { subscribed_branch: 'canary' }, fail: true });
    expect(put.body).toMatchObject({ inventory: { subscribed_branch: 'canary' }, fail: true });
    expect(await attr(OK, 'subscribed_branch')).toBe('canary');
    const dep = await deploy('os-2', [OK]);
    await advance(60);
    expect(await statuses(dep)).toEqual({ [OK]: 'failure' });
    const full = (await t.admin('GET', `/devices/${OK}`)).body as { deployments: { status: string }[] };
    expect(full.deployments.map((d) => d.status)).toEqual(['failure']);
    expect((await t.admin('PUT', `/devices/${OK}`, { online: 'yes' })).status).toBe(400);
    expect((await t.admin('GET', `/devices/nope`)).status).toBe(404);
  });

  test('faults are off by default, deterministic when set, and the request log records API writes', async () => {
    expect((await t.api('GET', `${M}/v1/inventory/devices`)).status).toBe(200);
    await t.admin('PUT', '/faults', { throttle_rate: 1, retry_after: 7, count: 2 });
    const limited = await t.api('GET', `${M}/v1/inventory/devices`);
    expect([limited.status, limited.headers.get('retry-after'), limited.violations]).toEqual([429, '7', []]);
    expect((await t.api('GET', `${M}/v1/inventory/devices`)).status).toBe(429);
    expect((await t.api('GET', `${M}/v1/inventory/devices`)).status).toBe(200);
    await t.admin('PUT', '/faults', { error_rate: 1, error_status: 503, path_prefix: `${M}/v1/deployments/` });
    expect((await t.api('GET', `${M}/v1/inventory/devices`)).status).toBe(200);
    expect((await t.api('GET', D)).status).toBe(503);
    await t.admin('PUT', '/faults', { drop_rate: 1, count: 1 });
    await expect(fetch(`${t.server.url}${M}/v1/inventory/devices`)).rejects.toThrow();
    await t.admin('PUT', '/faults', { latency_ms: 150, count: 1 });
    const started = Date.now();
    expect((await t.api('GET', `${M}/v1/inventory/devices`)).status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    await t.admin('DELETE', '/faults');

    await t.admin('DELETE', '/requests');
    await t.api('PUT', `${M}/v1/inventory/devices/${OK}/group`, { group: 'canary' });
    await t.api('GET', `${M}/v1/inventory/devices?per_page=5`);
    const log = (await t.admin('GET', '/requests')).body as {
      method: string;
      path: string;
      query: unknown;
      body: unknown;
      status: number;
    }[];
    expect(log.map(({ method, path, query, body, status }) => ({ method, path, query, body, status }))).toEqual([
      {
        method: 'PUT',
        path: `${M}/v1/inventory/devices/${OK}/group`,
        query: {},
        body: { group: 'canary' },
        status: 204,
      },
      { method: 'GET', path: `${M}/v1/inventory/devices`, query: { per_page: '5' }, body: null, status: 200 },
    ]);
  });
});

describe('failure rate', () => {
  test('a share of devices fails, the same ones on every run', async () => {
    const failed: string[][] = [];
    for (let run = 0; run < 2; run++) {
      const t = await testServer({
        artifacts: [{ name: 'os-2', device_types_compatible: ['rpi4'] }],
        generate: { count: 200, device_types: ['rpi4'], artifact_name: 'os-1' },
        timing: { poll_interval: 1, download: 1, install: 1, reboot: 1 },
        failures: { rate: 0.25 },
      });
      const dep = '/api/management/v1/deployments/deployments';
      const r = await t.api('POST', dep, { name: 'all', artifact_name: 'os-2', all_devices: true });
      const depId = r.headers.get('location')!.split('/').pop()!;
      await t.admin('POST', '/clock/advance', { seconds: 10 });
      const list = (await t.api('GET', `${dep}/${depId}/devices/list?status=failure&per_page=500`)).body as {
        id: string;
      }[];
      failed.push(list.map((d) => d.id).sort());
      const stats = (await t.api('GET', `${dep}/${depId}/statistics`)).body as { success: number; failure: number };
      expect(stats.success + stats.failure).toBe(200);
      await t.close();
    }
    expect(failed[0].length).toBeGreaterThan(25);
    expect(failed[0].length).toBeLessThan(75);
    expect(failed[1]).toEqual(failed[0]);
  });
});

describe('planned per-device failures (failures.devices)', () => {
  test('the listed devices fail every software deployment, seeded or generated; the others succeed', async () => {
    const [listed, spared] = [id(11), id(12)];
    const [gen1, gen2, gen3] = [1, 2, 3].map(generatedDeviceId) as [string, string, string];
    const t = await testServer({
      artifacts: [{ name: 'os-2', device_types_compatible: ['rpi4'] }],
      devices: [
        { id: listed, device_type: 'rpi4', artifact_name: 'os-1' },
        { id: spared, device_type: 'rpi4', artifact_name: 'os-1' },
      ],
      generate: { count: 3, device_types: ['rpi4'], artifact_name: 'os-1' },
      timing: { poll_interval: 1, download: 1, install: 1, reboot: 1 },
      failures: { devices: [listed, gen2] },
    });
    try {
      const r = await t.api('POST', D, { name: 'all', artifact_name: 'os-2', all_devices: true });
      const dep = r.headers.get('location')!.split('/').pop()!;
      await t.admin('POST', '/clock/advance', { seconds: 60 });
      const list = (await t.api('GET', `${D}/${dep}/devices/list?per_page=500`)).body as {
        id: string;
        status: string;
      }[];
      expect(Object.fromEntries(list.map((d) => [d.id, d.status]))).toEqual({
        [listed]: 'failure',
        [spared]: 'success',
        [gen1]: 'success',
        [gen2]: 'failure',
        [gen3]: 'success',
      });
      expect((await t.admin('GET', `/devices/${listed}`)).body).toMatchObject({ fail: true });
      expect((await t.admin('GET', `/devices/${spared}`)).body).toMatchObject({ fail: false });
      // A failed device keeps its image; a second deployment fails again (a plan, not a one-off).
      const again = (await t.api('POST', D, { name: 'again', artifact_name: 'os-2', devices: [listed] })).headers
        .get('location')!
        .split('/')
        .pop()!;
      await t.admin('POST', '/clock/advance', { seconds: 60 });
      expect(((await t.api('GET', `${D}/${again}/statistics`)).body as { failure: number }).failure).toBe(1);
      const inv = (await t.api('GET', `${M}/v1/inventory/devices/${listed}`)).body as {
        attributes: { name: string; value: unknown }[];
      };
      expect(inv.attributes.find((a) => a.name === 'artifact_name')?.value).toBe('os-1');
    } finally {
      await t.close();
    }
  });
});

describe('real clock', () => {
  test('devices progress on their own with a speed factor; the manual-clock endpoint refuses', async () => {
    const t = await testServer(
      {
        artifacts: [{ name: 'os-2', device_types_compatible: ['rpi4'] }],
        devices: [{ id: OK, device_type: 'rpi4', artifact_name: 'os-1' }],
        timing: { poll_interval: 5, download: 5, install: 5, reboot: 5 },
      },
      { clock: 'real', speed: 100 },
    );
    try {
      expect((await t.admin('POST', '/clock/advance', { seconds: 1 })).status).toBe(409);
      const r = await t.api('POST', D, { name: 'rt', artifact_name: 'os-2', devices: [OK] });
      const dep = r.headers.get('location')!.split('/').pop()!;
      const deadline = Date.now() + 10_000;
      let status = '';
      while (Date.now() < deadline && status !== 'finished') {
        await new Promise((res) => setTimeout(res, 100));
        status = ((await t.api('GET', `${D}/${dep}`)).body as { status: string }).status;
      }
      expect(status).toBe('finished');
      expect(((await t.api('GET', `${D}/${dep}/statistics`)).body as { success: number }).success).toBe(1);
    } finally {
      await t.close();
    }
  });
});
