/**
 * Hostile or broken OTA servers (test/ota/hostile-server.ts in front of the real embedded server):
 * each misbehaviour ends the read within a bound, with an error that names the endpoint and
 * what the server did, the exit code of an unusable server where it is one, and no write.
 */
import { ExitCode } from '../../src/errors/index.js';
import { MenderClient, exitCodeFor, type ClientOptions } from '../../src/ota/index.js';
import { testServer, TOKEN, type TestServer } from './helpers.js';
import { hostileServer, type HostileMode, type HostileServer } from './hostile-server.js';

let srv: TestServer;
let bad: HostileServer | undefined;
const clients: MenderClient[] = [];
beforeEach(async () => {
  srv = await testServer();
});
afterEach(async () => {
  clients.splice(0).forEach((c) => c.close());
  await bad?.close();
  bad = undefined;
  await srv.close();
});

const ASKED = ['dev-rpi4-a', 'dev-rpi3'];
const SEARCH_OP = 'POST /api/management/v2/inventory/filters/search';

/** A short deadline and no retries: each case must end in about a second. */
async function clientFor(mode: HostileMode, o: ClientOptions = {}): Promise<MenderClient> {
  bad = await hostileServer(srv.url, mode);
  const c = new MenderClient(
    { url: bad.url, auth: { kind: 'token', token: TOKEN } },
    { timeoutMs: 1500, maxRetries: 1, baseDelayMs: 5, maxDelayMs: 20, ...o },
  );
  clients.push(c);
  return c;
}

/** The search of a run's first read, timed; it must fail. */
async function failedSearch(c: MenderClient) {
  const t0 = Date.now();
  const r = await c.searchDevices({ deviceIds: ASKED });
  const seconds = (Date.now() - t0) / 1000;
  if (r.ok) throw new Error(`the search succeeded with ${JSON.stringify(r.value)}`);
  expect(r.error.message).toContain(SEARCH_OP);
  expect(r.error.message).toContain(bad!.url);
  expect(bad!.writes).toEqual([]);
  return { error: r.error, seconds };
}

describe('paging that does not end', () => {
  test.each([
    ['endless-next', /sent page 2 with the same 2 ids as page 1: its paging does not advance/],
    ['same-next', /sent page 2 with the same 2 ids as page 1/],
    ['huge-count', /announced X-Total-Count: 100000000, more than the 2 device ids asked for; no further page/],
    ['extra-devices', /returned device not-asked-for-0000 on page 1, which was not asked for \(the search named 2/],
  ] as const)('%s: stopped after at most 2 requests, exit code 4', async (mode, message) => {
    const c = await clientFor(mode);
    const { error, seconds } = await failedSearch(c);
    expect(error.code).toBe('ota.paging');
    expect(error.message).toMatch(message);
    expect(error.hint).toMatch(/does not page as the Mender API does/);
    expect(exitCodeFor(error)).toBe(ExitCode.otaUnreachable);
    expect(bad!.hostile).toBeLessThanOrEqual(2);
    expect(seconds).toBeLessThan(3);
  });

  /** The deployments list (bounded by maxItems, not by ids) through `mode`, with two real deployments on the server. */
  async function listDeploymentsVia(mode: HostileMode, o: ClientOptions = {}) {
    bad = await hostileServer(srv.url, mode, { method: 'GET', path: '/api/management/v2/deployments/deployments' });
    const c = new MenderClient({ url: bad.url, auth: { kind: 'token', token: TOKEN } }, { maxRetries: 0, ...o });
    clients.push(c);
    for (const name of ['a', 'b'])
      expect((await srv.client().createDeployment({ name, artifact_name: 'os-1.1', devices: ['dev-rpi3'] })).ok).toBe(
        true,
      );
    const r = await c.listDeployments();
    if (r.ok) throw new Error(`the list succeeded with ${r.value.length} deployments`);
    expect(r.error.code).toBe('ota.paging');
    expect(r.error.message).toContain('GET /api/management/v2/deployments/deployments: ');
    return r.error;
  }

  test('a list not bounded by ids (deployments): the repeated page stops it', async () => {
    const e = await listDeploymentsVia('same-next');
    expect(e.message).toMatch(/sent page 2 with the same 2 ids as page 1/);
    expect(bad!.hostile).toBe(2);
  });

  test('more items than maxItems on a list not bounded by ids: stopped at the bound', async () => {
    const e = await listDeploymentsVia('endless-next', { maxItems: 1 });
    expect(e.message).toMatch(/sent 2 items by page 1, more than the bound of 1 items \(mender_api\.max_items\)/);
    expect(bad!.hostile).toBe(1);
  });
});

describe('waits and sizes', () => {
  test('slow drip (one byte a second): ends at the deadline, saying how much came in how long', async () => {
    const c = await clientFor('slow-drip', { maxRetries: 0 });
    const { error, seconds } = await failedSearch(c);
    expect(error.code).toBe('ota.unreachable');
    expect(error.message).toMatch(
      /sent [12] bytes in 1\.\d s, gave up after the deadline of 1500 ms \(after 1 attempt\)/,
    );
    expect(error.hint).toMatch(/mender_api\.timeout_ms/);
    expect(exitCodeFor(error)).toBe(ExitCode.otaUnreachable);
    expect(seconds).toBeLessThan(3);
  });

  test('a 10 GB body: stops at the bound without reading it all, not retried', async () => {
    const c = await clientFor('huge-body', { maxBodyBytes: 4 * 1024 * 1024 });
    const { error, seconds } = await failedSearch(c);
    expect(error.code).toBe('ota.too-large');
    expect(error.message).toMatch(/sent \d+ bytes in [\d.]+ s, more than the 4194304 allowed — stopped reading it/);
    expect(error.hint).toMatch(/mender_api\.max_body_bytes/);
    expect(exitCodeFor(error)).toBe(ExitCode.otaUnreachable);
    expect(bad!.hostile).toBe(1);
    expect(seconds).toBeLessThan(5);
  });
});

describe('redirects and bodies that are no JSON', () => {
  test('a redirect loop: one request, a clear error, no redirect followed', async () => {
    const c = await clientFor('redirect-loop');
    const { error } = await failedSearch(c);
    expect(error.code).toBe('ota.redirect');
    expect(error.message).toMatch(
      /answered HTTP 302 redirecting to http:\/\/127\.0\.0\.1:\d+\/api.*; fleetplay follows no redirects/,
    );
    expect(error.hint).toMatch(/not one that redirects/);
    expect(bad!.hostile).toBe(1);
  });

  test('a 301: the hint names the URL to set', async () => {
    const c = await clientFor('moved');
    const { error } = await failedSearch(c);
    expect(error.message).toMatch(/answered HTTP 301 redirecting to http:\/\/mender\.example\.invalid\//);
    expect(error.hint).toBe(
      'the server moved permanently: set the server URL to http://mender.example.invalid (--server, mender_server or MENDER_SERVER_URL)',
    );
  });

  test.each([
    ['html', /answered HTTP 200 with an HTML page \(content-type text\/html\), where the Mender API sends JSON/],
    ['wrong-type', /answered HTTP 200 with content-type text\/plain and text that is not JSON/],
    ['truncated', /answered HTTP 200 with truncated or malformed JSON \(\d+ bytes, ending ".*"\)/],
    ['null', /answered HTTP 200 with a null body \(JSON `null`\)/],
  ] as const)('%s: its own message, not "received string"', async (mode, message) => {
    const c = await clientFor(mode);
    const { error } = await failedSearch(c);
    expect(error.code).toBe('ota.bad-response');
    expect(error.message).toMatch(message);
    expect(error.message).not.toMatch(/received/);
  });
});
