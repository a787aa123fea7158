/**
 * Configuration reads in a worker thread (src/ota/config-reader.ts), as a large run makes them:
 * the worker is the built script (dist/ota/config-worker.js — a worker thread cannot load the
 * TypeScript sources under test), talking to the real embedded server.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { configureLogging } from '../../src/log/index.js';
import { MenderClient } from '../../src/ota/client.js';
import { ensureBuilt } from '../stage/helpers.js';
import { testServer, value, TOKEN, type TestServer } from './helpers.js';

const WORKER = new URL('../../dist/ota/config-worker.js', import.meta.url);
const CONFIG_OP = 'GET /api/management/v1/deviceconfig/configurations/device/{id}';
const CONFIG_PATH = '/api/management/v1/deviceconfig/configurations/device/';

let srv: TestServer;
// The worker runs from dist/: built from the current sources.
beforeAll(ensureBuilt, 120_000);
beforeAll(() => {
  if (!existsSync(fileURLToPath(WORKER)))
    throw new Error(`${fileURLToPath(WORKER)} is missing: run npm run build first`);
});
beforeEach(async () => {
  srv = await testServer({ devices: 250 });
});
afterEach(() => srv.close());

const configReads = async () =>
  (await srv.requests()).filter((r) => r.method === 'GET' && r.path.startsWith(CONFIG_PATH));

test('the worker reads what the main thread reads, one request per device, counted in the run', async () => {
  const setup = srv.client();
  const ids = value(await setup.searchDevices({}))
    .map((d) => d.id)
    .sort();
  expect(ids.length).toBe(255);
  // Different configurations on a few devices, so a mix-up between devices would show.
  for (const [n, id] of ids.slice(0, 5).entries())
    value(await setup.setDeviceConfig(id, { slot: String(n), kiosk_url: `https://k/${id}` }));
  const asked = [...ids, 'no-such-device'];

  const main = value(await srv.client({ configWorker: null }).getDeviceConfigs(asked));
  await srv.admin('DELETE', 'requests');
  const inWorker = srv.client({ configWorker: WORKER, configWorkerMin: 1 });
  const got = value(await inWorker.getDeviceConfigs(asked));

  expect([...got.keys()].sort()).toEqual([...asked].sort());
  for (const id of asked) expect(got.get(id)).toEqual(main.get(id));
  expect(got.get(ids[3])!.configured).toEqual({ slot: '3', kiosk_url: `https://k/${ids[3]}` });
  expect(got.get('no-such-device')).toEqual({ id: 'no-such-device', configured: {}, reported: {} });
  // Requests were really made, once per device, and the worker's count is the client's.
  expect((await configReads()).length).toBe(asked.length);
  expect(inWorker.stats.snapshot().byEndpoint[CONFIG_OP]).toBe(asked.length);
  expect(inWorker.stats.snapshot().requests).toBe(asked.length);
});

test('a 5xx and 429 storm is retried inside the worker; its retries are counted too', async () => {
  const c = srv.client({ configWorker: WORKER, configWorkerMin: 1, maxRetries: 12, baseDelayMs: 5, maxDelayMs: 20 });
  const ids = value(await c.searchDevices({})).map((d) => d.id);
  await srv.admin('DELETE', 'requests');
  await srv.faults({
    error_rate: 0.3,
    error_status: 503,
    throttle_rate: 0.1,
    retry_after: 0,
    seed: 11,
    path_prefix: CONFIG_PATH,
  });
  const got = value(await c.getDeviceConfigs(ids));
  await srv.faults(undefined);
  expect(got.size).toBe(ids.length);
  const s = c.stats.snapshot();
  expect(s.outcomes['503']).toBeGreaterThan(0);
  expect(s.outcomes['429']).toBeGreaterThan(0);
  expect(s.retries).toBe(s.outcomes['503'] + s.outcomes['429']);
  // The server served each device's configuration exactly once (200), whatever it refused first.
  const served = (await configReads()).filter((r) => r.status === 200).map((r) => r.path);
  expect(served.length).toBe(ids.length);
  expect(new Set(served).size).toBe(ids.length);
});

test('a refused token stops the read with a clear error, and the main thread writes nothing after it', async () => {
  const wrong = 'wrong-token-abcdef0123';
  const c = srv.client({ token: wrong, configWorker: WORKER, configWorkerMin: 1 });
  const r = await c.getDeviceConfigs(['dev-rpi3', 'dev-rpi4-a']);
  expect(r.ok).toBe(false);
  if (r.ok) return;
  expect(r.error.code).toBe('ota.unauthorized');
  expect(r.error.message).toMatch(/token wrong or lacking permission/);
  expect(JSON.stringify(r.error)).not.toContain(wrong);
  expect(JSON.stringify(r.error)).not.toContain(TOKEN);
  await srv.admin('DELETE', 'requests');
  // The worker's refusal is the client's: a write afterwards never leaves this thread.
  const w = await c.setDeviceConfig('dev-rpi3', { kiosk_url: 'https://k' });
  expect(w.ok).toBe(false);
  if (!w.ok) expect(w.error.code).toBe('ota.unauthorized');
  expect(await srv.requests()).toEqual([]);
});

test('the worker logs as the main thread: its retries show at debug level, the token and secrets never', async () => {
  const secret = 'influx-secret-in-a-worker-4242';
  await srv.faults({ error_rate: 0.5, error_status: 503, seed: 5, path_prefix: CONFIG_PATH });
  // A separate process, so its stderr — where the worker thread logs — can be read whole.
  const script = `
    import { configureLogging, registerSecret } from ${JSON.stringify(new URL('../../dist/log/index.js', import.meta.url).href)};
    import { MenderClient } from ${JSON.stringify(new URL('../../dist/ota/client.js', import.meta.url).href)};
    configureLogging({ level: 'debug', format: 'json' });
    registerSecret(process.env.SECRET_VALUE);
    const c = new MenderClient({ url: process.env.URL, auth: { kind: 'token', token: process.env.TOKEN } }, { configWorkerMin: 1, maxRetries: 12, baseDelayMs: 1, maxDelayMs: 5 });
    const r = await c.getDeviceConfigs(['dev-rpi3', 'dev-rpi4-a', 'dev-rpi4-b', 'dev-imx8', process.env.SECRET_VALUE]);
    console.log(JSON.stringify({ ok: r.ok, retries: c.stats.snapshot().retries, error: r.ok ? undefined : r.error.message }));
    c.close();`;
  const { out, err } = await new Promise<{ out: string; err: string }>((resolve) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      env: { PATH: process.env.PATH ?? '', URL: srv.url, TOKEN, SECRET_VALUE: secret },
    });
    let o = '';
    let e = '';
    child.stdout.on('data', (d) => (o += String(d)));
    child.stderr.on('data', (d) => (e += String(d)));
    child.on('close', () => resolve({ out: o, err: e }));
  });
  await srv.faults(undefined);
  const result = JSON.parse(out) as { ok: boolean; retries: number; error?: string };
  // Started from `node --input-type=module -e`: flags a worker thread must not inherit.
  expect(result.error).toBeUndefined();
  expect(result.ok).toBe(true);
  expect(result.retries).toBeGreaterThan(0);
  const retryLines = err.split('\n').filter((l) => l.includes('retrying Mender request'));
  expect(retryLines.length).toBe(result.retries);
  expect(JSON.parse(retryLines[0])).toMatchObject({
    level: 'debug',
    op: 'GET /api/management/v1/deviceconfig/configurations/device/{id}',
  });
  expect(err).not.toContain(TOKEN);
  expect(err).not.toContain(secret);
});

test('a worker that cannot start costs speed, not the run: the configurations are read in this thread', async () => {
  const broken = join(mkdtempSync(join(tmpdir(), 'fleetplay-worker-')), 'worker.mjs');
  writeFileSync(broken, "throw new Error('worker threads refused here');\n");
  let logged = '';
  configureLogging({ level: 'warn', stream: new Writable({ write: (c, _e, cb) => ((logged += String(c)), cb()) }) });
  try {
    const c = srv.client({ configWorker: pathToFileURL(broken), configWorkerMin: 1 });
    const got = value(await c.getDeviceConfigs(['dev-rpi3', 'dev-rpi4-a']));
    expect([...got.keys()].sort()).toEqual(['dev-rpi3', 'dev-rpi4-a']);
    expect(c.stats.snapshot().byEndpoint[CONFIG_OP]).toBe(2);
    expect(logged).toMatch(
      /reading device configurations in the main thread: the worker thread failed: worker threads refused here/,
    );
  } finally {
    configureLogging({});
  }
});

test('an unreachable server met in the worker is named as in the main thread: URL, where it came from, why', async () => {
  const gone = await testServer();
  const url = gone.url;
  await gone.close();
  const c = new MenderClient(
    { url, from: '--server', auth: { kind: 'token', token: TOKEN } },
    { configWorker: WORKER, configWorkerMin: 1, maxRetries: 1, baseDelayMs: 1 },
  );
  const r = await c.getDeviceConfigs(['dev-rpi3', 'dev-rpi4-a']);
  c.close();
  expect(r.ok).toBe(false);
  if (!r.ok) {
    expect(r.error.code).toBe('ota.unreachable');
    expect(r.error.message).toBe(
      `OTA server ${url} (from --server) could not be reached: connection refused (ECONNREFUSED) after 2 attempts — check --server / MENDER_SERVER_URL / mender_server`,
    );
  }
});
