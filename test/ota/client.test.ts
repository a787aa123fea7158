import { FACT_ATTRIBUTES } from '../../src/modules/mender/facts.js';
import { MenderClient } from '../../src/ota/client.js';
import { exitCodeFor } from '../../src/ota/index.js';
import { ExitCode } from '../../src/errors/index.js';
import { realSleep } from '../../src/ota/rate.js';
import { testServer, value, TOKEN, type TestServer } from './helpers.js';

describe('Mender client against the embedded server', () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await testServer({ devices: 1200, users: [{ email: 'ops@example.com', password: 'correct-horse-battery' }] });
  });
  afterAll(() => srv.close());

  test('inventory search: all devices in pages of 500, then 1,200 ids in 3 requests with selected attributes', async () => {
    const c = srv.client();
    const all = value(await c.searchDevices({ attributes: FACT_ATTRIBUTES }));
    expect(all.length).toBe(1205);
    expect(c.stats.snapshot().byEndpoint['POST /api/management/v2/inventory/filters/search']).toBe(3);

    const ids = all.map((d) => d.id).slice(0, 1200);
    const c2 = srv.client();
    const some = value(await c2.searchDevices({ deviceIds: ids, attributes: FACT_ATTRIBUTES }));
    expect(new Set(some.map((d) => d.id))).toEqual(new Set(ids));
    expect(c2.stats.snapshot().requests).toBe(3);
    const rpi = some.find((d) => d.id === 'dev-rpi4-a') ?? all.find((d) => d.id === 'dev-rpi4-a')!;
    const names = new Set((rpi.attributes ?? []).map((a) => `${a.scope}.${a.name}`));
    expect(names.has('inventory.device_type')).toBe(true);
    // Attribute selection: nothing beyond what was asked for comes back.
    const asked = new Set(FACT_ATTRIBUTES.map((a) => `${a.scope}.${a.attribute}`));
    expect([...names].filter((n) => !asked.has(n))).toEqual([]);
  });

  test('unknown device ids are simply absent from the search', async () => {
    const r = value(await srv.client().searchDevices({ deviceIds: ['dev-rpi3', 'no-such-device'] }));
    expect(r.map((d) => d.id)).toEqual(['dev-rpi3']);
  });

  test('deployment naming many devices: created, listed by name, devices paged, statistics in bulk, device history', async () => {
    const c = srv.client();
    const all = value(
      await c.searchDevices({
        filters: [{ scope: 'inventory', attribute: 'device_type', type: '$eq', value: 'raspberrypi4' }],
      }),
    );
    const ids = all.map((d) => d.id);
    expect(ids.length).toBeGreaterThan(1000);
    const made = value(await c.createDeployment({ name: 'bulk os-1.1', artifact_name: 'os-1.1', devices: ids }));
    expect(made.adopted).toBe(false);
    const listed = value(await c.listDeployments({ names: ['bulk os-1.1'] }));
    expect(listed.map((d) => [d.id, d.device_count])).toEqual([[made.id, ids.length]]);
    const devices = value(await c.deploymentDevices(made.id));
    expect(devices.length).toBe(ids.length);
    expect(c.stats.snapshot().byEndpoint['GET /api/management/v1/deployments/deployments/{id}/devices/list']).toBe(
      Math.ceil(ids.length / 500),
    );
    const stats = value(await c.deploymentStatistics([made.id]));
    expect(stats[0].id).toBe(made.id);
    expect(stats[0].stats.pending + stats[0].stats['already-installed']).toBe(ids.length);
    const history = value(await c.deviceDeployments('dev-rpi4-a'));
    expect(history.map((h) => h.deployment.id)).toContain(made.id);
    value(await c.abortDeployment(made.id));
    const after = value(await c.listDeployments({ ids: [made.id] }));
    expect(after[0].status).toBe('finished');
  });

  test('artifacts by name, with every compatible device type', async () => {
    const arts = value(await srv.client().listArtifacts(['os-1.1', 'nope']));
    expect(arts.flatMap((a) => a.device_types_compatible).sort()).toEqual(['imx8mm', 'raspberrypi3', 'raspberrypi4']);
  });

  test('device configuration: set, deploy, read back', async () => {
    const c = srv.client();
    const before = value(await c.getDeviceConfig('dev-rpi3'));
    value(await c.setDeviceConfig('dev-rpi3', { kiosk_url: 'https://k' }));
    const dep = value(await c.deployDeviceConfig('dev-rpi3', before.deployment_id));
    const after = value(await c.getDeviceConfig('dev-rpi3'));
    expect(after.configured).toEqual({ kiosk_url: 'https://k' });
    expect(after.deployment_id).toBe(dep.deploymentId);
  });

  test('requests per second: concurrent calls are spaced to the limit', async () => {
    const waits: number[] = [];
    const c = srv.client({ rps: 50, sleep: (ms) => (waits.push(ms), realSleep(ms)) });
    const t0 = Date.now();
    const rs = await Promise.all(Array.from({ length: 10 }, () => c.getDeviceConfig('dev-rpi3')));
    expect(rs.every((r) => r.ok)).toBe(true);
    // Ten calls at 50/s: slots 20 ms apart, so the last starts at least 180 ms after the first.
    expect(Date.now() - t0).toBeGreaterThanOrEqual(175);
    expect(waits.length).toBeGreaterThan(0);
  });

  test('user/password login gives a JWT used for the rest of the run', async () => {
    const c = new MenderClient({
      url: srv.url,
      auth: { kind: 'login', user: 'ops@example.com', password: 'correct-horse-battery' },
    });
    value(await c.verifyAccess());
    value(await c.searchDevices({ deviceIds: ['dev-rpi3'] }));
    expect(c.stats.snapshot().byEndpoint['POST /api/management/v1/useradm/auth/login']).toBe(1);
    c.close();
  });
});

describe('credentials refused', () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await testServer({ users: [{ email: 'ops@example.com', password: 'correct-horse-battery' }] });
  });
  afterAll(() => srv.close());

  test('wrong token: a clear error, and no write is ever sent afterwards', async () => {
    await srv.admin('DELETE', 'requests');
    const c = srv.client({ token: 'wrong-token-xyz' });
    const r = await c.verifyAccess();
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.code).toBe('ota.unauthorized');
      expect(r.error.message).toMatch(/token wrong or lacking permission/);
      expect(r.error.message).not.toContain('wrong-token-xyz');
      expect(r.error.hint).toMatch(/MENDER_ACCESS_TOKEN/);
      expect(exitCodeFor(r.error)).toBe(ExitCode.usage);
    }
    const w = await c.createDeployment({ name: 'must not exist', artifact_name: 'os-1.1', devices: ['dev-rpi3'] });
    expect(!w.ok && w.error.code).toBe('ota.unauthorized');
    const seen = await srv.requests();
    expect(seen.map((x) => `${x.method} ${x.status}`)).toEqual(['GET 401']);
    expect(c.stats.writes()).toBe(0);
  });

  test('wrong password: the login is refused with a clear error', async () => {
    const c = new MenderClient({
      url: srv.url,
      auth: { kind: 'login', user: 'ops@example.com', password: 'nope-nope-nope' },
    });
    const r = await c.verifyAccess();
    expect(!r.ok && r.error.code).toBe('ota.unauthorized');
    expect(!r.ok && r.error.message).toMatch(/refused the login of ops@example.com/);
    c.close();
  });
});

describe('server unreachable or not a Mender server', () => {
  test('a closed port: unreachable after the retries, exit code 4', async () => {
    const srv = await testServer();
    const url = srv.url;
    await srv.close();
    const c = new MenderClient(
      { url, auth: { kind: 'token', token: TOKEN } },
      { maxRetries: 2, baseDelayMs: 1, maxDelayMs: 2 },
    );
    const r = await c.verifyAccess();
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.code).toBe('ota.unreachable');
      expect(r.error.message).toMatch(/could not be reached: connection refused \(ECONNREFUSED\) after 3 attempts/);
      expect(exitCodeFor(r.error)).toBe(ExitCode.otaUnreachable);
    }
    expect(c.stats.snapshot().requests).toBe(3);
    // The run does not retry 100 more calls against a server known to be gone.
    const more = await Promise.all(Array.from({ length: 100 }, () => c.getDeviceConfig('x')));
    expect(more.every((m) => !m.ok && m.error.code === 'ota.unreachable')).toBe(true);
    expect(c.stats.snapshot().requests).toBe(3);
    c.close();
  });
});
