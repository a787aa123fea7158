/**
 * The client's limits seen from outside, through its public API only (MenderClient, its options,
 * error codes): a permission refused (403), requests that outlast the timeout, and how many
 * requests it keeps in flight at once — measured by a real proxy in front of the real server.
 */
import { ExitCode } from '../../src/errors/index.js';
import { MenderClient, exitCodeFor, type ClientOptions } from '../../src/ota/index.js';
import { realSleep } from '../../src/ota/rate.js';
import { testServer, value, TOKEN, type TestServer } from './helpers.js';
import { testProxy, type TestProxy } from './proxy.js';

let srv: TestServer;
let proxy: TestProxy | undefined;
const clients: MenderClient[] = [];
beforeEach(async () => {
  srv = await testServer();
  await srv.admin('DELETE', 'requests');
});
afterEach(async () => {
  clients.splice(0).forEach((c) => c.close());
  await proxy?.close();
  proxy = undefined;
  await srv.close();
});

/** A client talking to the server through `proxy`. */
function viaProxy(p: TestProxy, o: ClientOptions = {}): MenderClient {
  const c = new MenderClient(
    { url: p.url, auth: { kind: 'token', token: TOKEN } },
    { baseDelayMs: 5, maxDelayMs: 20, ...o },
  );
  clients.push(c);
  return c;
}

const DEPLOYMENTS = '/api/management/v1/deployments/deployments';
const writesOnServer = async () => (await srv.requests()).filter((r) => r.method !== 'GET');

describe('a token lacking permission (HTTP 403)', () => {
  // A token that may read but not create deployments: the server answers 403 to the create.
  const readOnly = (method: string, path: string) =>
    method === 'POST' && path === DEPLOYMENTS
      ? { status: 403, body: { error: 'forbidden: missing permission' } }
      : 'forward';

  test('a clear error, not retried, and nothing is written afterwards', async () => {
    proxy = await testProxy(srv.url, readOnly);
    const c = viaProxy(proxy);
    value(await c.listDeployments());
    const r = await c.createDeployment({ name: 'forbidden', artifact_name: 'os-1.1', devices: ['dev-rpi3'] });
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.code).toBe('ota.unauthorized');
      expect(r.error.message).toMatch(/HTTP 403/);
      expect(r.error.message).toMatch(/token wrong or lacking permission/);
      expect(r.error.message).not.toContain(TOKEN);
      expect(r.error.hint).toMatch(/MENDER_ACCESS_TOKEN/);
      expect(exitCodeFor(r.error)).toBe(ExitCode.usage);
    }
    const seenBefore = proxy.seen.length;
    // Writes the server would accept: none of them leaves the client once it was refused.
    const later = [
      await c.setDeviceConfig('dev-rpi3', { kiosk_url: 'https://k' }),
      await c.deployDeviceConfig('dev-rpi3', undefined),
      await c.createDeployment({ name: 'after the 403', artifact_name: 'os-1.1', devices: ['dev-rpi4-a'] }),
    ];
    expect(later.map((l) => !l.ok && l.error.code)).toEqual([
      'ota.unauthorized',
      'ota.unauthorized',
      'ota.unauthorized',
    ]);
    expect(proxy.seen.slice(seenBefore)).toEqual([]);
    // The one POST was refused once (no retry) and the server itself was never written to.
    expect(proxy.seen.map((s) => `${s.method} ${s.action}`)).toEqual(['GET forward', 'POST 403']);
    expect(await writesOnServer()).toEqual([]);
    expect(value(await srv.client().listDeployments())).toEqual([]);
  });
});

describe('requests that outlast the timeout', () => {
  // The server answers 2.5 s late; the client waits 250 ms. The margin is wide because a loaded
  // machine can stall the test's event loop long enough for a late answer to beat its timer.
  const slow = { latency_ms: 2500 };
  const impatient = { timeoutMs: 250, maxRetries: 2, baseDelayMs: 5, maxDelayMs: 20 };

  test('are retried, then fail as the OTA server unreachable (exit code 4)', async () => {
    await srv.faults(slow);
    const c = srv.client(impatient);
    const r = await c.verifyAccess();
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.code).toBe('ota.unreachable');
      expect(r.error.message).toMatch(/could not be reached: no answer in time \(timeout\) \(ETIMEDOUT\)/);
      expect(r.error.message).toContain(srv.url);
      expect(exitCodeFor(r.error)).toBe(ExitCode.otaUnreachable);
    }
    expect(c.stats.snapshot()).toMatchObject({ requests: 3, retries: 2 });
    // The server got all three attempts (it logs each once its late answer is due).
    await realSleep(slow.latency_ms + 100);
    await srv.faults(undefined);
    expect((await srv.requests()).map((x) => `${x.method} ${x.path}`)).toEqual(
      Array(3).fill('GET /api/management/v2/deployments/deployments'),
    );
  });

  test('one slow answer is retried and the call succeeds', async () => {
    await srv.faults({ ...slow, count: 1 });
    const c = srv.client(impatient);
    value(await c.verifyAccess());
    expect(c.stats.snapshot()).toMatchObject({ requests: 2, retries: 1 });
  });
});

describe('bounded concurrency', () => {
  test.each([3, 6])('with concurrency %i, at most that many requests are in flight at once', async (limit) => {
    // Every answer takes 100 ms, so 24 calls started together would all overlap without a bound.
    await srv.faults({ latency_ms: 100 });
    proxy = await testProxy(srv.url);
    const c = viaProxy(proxy, { concurrency: limit });
    const rs = await Promise.all(Array.from({ length: 24 }, () => c.getDeviceConfig('dev-rpi3')));
    expect(rs.every((r) => r.ok)).toBe(true);
    expect(proxy.seen).toHaveLength(24);
    // Exactly the limit: never more, and the client does use the parallelism it is allowed.
    expect(proxy.maxInFlight).toBe(limit);
  });
});
