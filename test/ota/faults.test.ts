import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MenderClient } from '../../src/ota/client.js';
import { realSleep } from '../../src/ota/rate.js';
import { testServer, value, TOKEN, type TestServer } from './helpers.js';
import { testProxy } from './proxy.js';

/** Deployments created by a test, by name, straight from the server (faults off). */
async function deploymentsNamed(srv: TestServer, prefix: string): Promise<string[]> {
  const list = value(await srv.client().listDeployments());
  return list
    .map((d) => d.name)
    .filter((n) => n.startsWith(prefix))
    .sort();
}

describe('5xx and 429 storms, dropped connections, lost answers', () => {
  let srv: TestServer;
  beforeEach(async () => {
    srv = await testServer({ devices: 600 });
  });
  afterEach(() => srv.close());

  // Enough retries that a run of injected failures never exhausts them (0.5^13 per request).
  const patient = { maxRetries: 12 };

  test('5xx storm: every call succeeds after retries and no deployment is duplicated', async () => {
    const c = srv.client(patient);
    await srv.faults({ error_rate: 0.5, error_status: 503, seed: 7 });
    const names = ['storm a', 'storm b', 'storm c', 'storm d'];
    const made = await Promise.all(
      names.map((name) => c.createDeployment({ name, artifact_name: 'os-1.1', devices: ['dev-rpi3', 'dev-rpi4-a'] })),
    );
    const found = value(await c.searchDevices({}));
    await srv.faults(undefined);
    expect(made.map((m) => (m.ok ? true : m.error.message))).toEqual([true, true, true, true]);
    expect(found.length).toBe(605);
    const s = c.stats.snapshot();
    expect(s.outcomes['503']).toBeGreaterThan(0);
    expect(s.retries).toBe(s.outcomes['503']);
    expect(await deploymentsNamed(srv, 'storm')).toEqual(names);
    // The server saw the POSTs it failed and the ones it served: one served per deployment.
    const posts = (await srv.requests()).filter(
      (r) => r.method === 'POST' && r.path === '/api/management/v1/deployments/deployments',
    );
    expect(posts.filter((r) => r.status === 201).length).toBe(4);
  });

  test('429 storm: Retry-After is honoured, nothing duplicated', async () => {
    const waits: number[] = [];
    const c = srv.client({ sleep: (ms) => (waits.push(ms), realSleep(ms)) });
    await srv.faults({ throttle_rate: 1, retry_after: 1, count: 2 });
    const made = value(await c.createDeployment({ name: 'throttled', artifact_name: 'os-1.1', devices: ['dev-rpi3'] }));
    expect(made.adopted).toBe(false);
    expect(c.stats.snapshot().outcomes['429']).toBe(2);
    // Two waits of at least the server's second each (plus a little jitter), none shorter.
    expect(waits.length).toBe(2);
    for (const w of waits) expect(w).toBeGreaterThanOrEqual(1000);
    expect(await deploymentsNamed(srv, 'throttled')).toEqual(['throttled']);
  });

  test('a Retry-After longer than allowed fails the request instead of stalling the run', async () => {
    const c = srv.client({ maxRetryAfterMs: 500 });
    await srv.faults({ throttle_rate: 1, retry_after: 30 });
    const r = await c.verifyAccess();
    expect(!r.ok && r.error.code).toBe('ota.unavailable');
    expect(!r.ok && r.error.message).toMatch(/HTTP 429/);
  });

  test('dropped connections are retried; reads and writes complete once', async () => {
    const c = srv.client(patient);
    await srv.faults({ drop_rate: 0.5, seed: 3 });
    const made = value(await c.createDeployment({ name: 'dropped', artifact_name: 'os-1.1', devices: ['dev-rpi3'] }));
    const devs = value(await c.deploymentDevices(made.id));
    const cfg = value(await c.getDeviceConfig('dev-rpi3'));
    value(await c.setDeviceConfig('dev-rpi3', { a: '1' }));
    value(await c.deployDeviceConfig('dev-rpi3', cfg.deployment_id));
    await srv.faults(undefined);
    expect(devs.map((d) => d.id)).toEqual(['dev-rpi3']);
    expect(c.stats.snapshot().outcomes['ECONNRESET']).toBeGreaterThan(0);
    expect(await deploymentsNamed(srv, 'dropped')).toEqual(['dropped']);
    const configDeployments = value(await srv.client().listDeployments({ type: 'configuration' }));
    expect(configDeployments.length).toBe(1);
  });

  test('an answer lost after the server acted: the retry finds the deployment by name instead of creating another', async () => {
    const proxy = await lossyProxy(
      srv.url,
      (method, path) => method === 'POST' && path.endsWith('/deployments/deployments'),
    );
    const c = new MenderClient({ url: proxy.url, auth: { kind: 'token', token: TOKEN } }, { baseDelayMs: 5 });
    const made = value(
      await c.createDeployment({ name: 'lost answer', artifact_name: 'os-1.1', devices: ['dev-rpi3', 'dev-imx8'] }),
    );
    c.close();
    await proxy.close();
    expect(proxy.lost).toBe(1);
    expect(made.adopted).toBe(true);
    const list = value(await srv.client().listDeployments({ names: ['lost answer'] }));
    expect(list.map((d) => d.id)).toEqual([made.id]);
    expect(c.stats.snapshot().byEndpoint['POST /api/management/v1/deployments/deployments']).toBe(1);
  });

  test('a configuration deploy whose answer was lost is adopted, not repeated', async () => {
    const proxy = await lossyProxy(srv.url, (method, path) => method === 'POST' && path.endsWith('/deploy'));
    const c = new MenderClient({ url: proxy.url, auth: { kind: 'token', token: TOKEN } }, { baseDelayMs: 5 });
    value(await c.setDeviceConfig('dev-rpi3', { b: '2' }));
    const before = value(await c.getDeviceConfig('dev-rpi3'));
    const dep = value(await c.deployDeviceConfig('dev-rpi3', before.deployment_id));
    c.close();
    await proxy.close();
    expect(proxy.lost).toBe(1);
    expect(dep.adopted).toBe(true);
    const configDeployments = value(await srv.client().listDeployments({ type: 'configuration' }));
    expect(configDeployments.map((d) => d.id)).toEqual([dep.deploymentId]);
  });

  test('held writes (method, skip, hold): counted while held, served when let go though their client gave up, or dropped', async () => {
    const path = '/api/management/v1/deployments/deployments';
    const post = (name: string, signal?: AbortSignal) =>
      fetch(`${srv.url}${path}`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ name, artifact_name: 'os-1.1', devices: ['dev-rpi3'] }),
        signal,
      });
    const held = async () => (await srv.admin<{ held: number }>('GET', 'faults')).held;
    /** POSTs `name`, waits until the server holds it, gives up on it, then lets it go. */
    const heldAndAbandoned = async (name: string) => {
      const abort = new AbortController();
      const answer = post(name, abort.signal).catch((e: Error) => e.name);
      while ((await held()) < 1) await realSleep(10);
      abort.abort();
      expect(await answer).toBe('AbortError');
      await srv.faults(undefined);
      await realSleep(100);
    };
    await srv.faults({ method: 'POST', path_prefix: path, skip: 1, hold: true });
    expect((await post('held 1')).status).toBe(201); // skipped
    expect(value(await srv.client().listDeployments()).length).toBe(1); // a GET: not held
    await heldAndAbandoned('held 2');
    await srv.faults({ method: 'POST', path_prefix: path, hold: true, drop_rate: 1 });
    await heldAndAbandoned('held 3');
    expect(await deploymentsNamed(srv, 'held')).toEqual(['held 1', 'held 2']);
    const posts = (await srv.requests()).filter((r) => r.path === path && r.method === 'POST');
    expect(posts.map((r) => [(r.body as { name: string }).name, r.status])).toEqual([
      ['held 1', 201],
      ['held 2', 201],
    ]);
  });
});

/** A proxy that loses the answer to the first request matching, after the server acted on it. */
async function lossyProxy(target: string, match: (method: string, path: string) => boolean) {
  let lost = 0;
  const proxy = await testProxy(target, (method, path) =>
    lost === 0 && match(method, path) ? (lost++, 'lose') : 'forward',
  );
  return {
    url: proxy.url,
    get lost() {
      return lost;
    },
    close: () => proxy.close(),
  };
}

describe('answers of the wrong shape', () => {
  test('an unexpected body is an error naming the endpoint', async () => {
    // Not a Mender server: answers every request with a JSON object.
    const http = createServer((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end('{"devices":[]}');
    });
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', () => r()));
    const c = new MenderClient({
      url: `http://127.0.0.1:${(http.address() as AddressInfo).port}`,
      auth: { kind: 'token', token: TOKEN },
    });
    const r = await c.searchDevices({ deviceIds: ['x'] });
    c.close();
    await new Promise((r2) => http.close(() => r2(undefined)));
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.code).toBe('ota.bad-response');
      expect(r.error.message).toMatch(/^POST \/api\/management\/v2\/inventory\/filters\/search: unexpected response/);
    }
  });
});
