/**
 * The mender_* modules' batch functions against the embedded server (the engine calls exactly
 * these through the module registry).
 */
import type { Item, Result_ } from '../../../src/modules/mender/common.js';
import { menderConfigBatch, ConfigArgs } from '../../../src/modules/mender/config-module.js';
import { menderFactsBatch, FactsArgs } from '../../../src/modules/mender/facts-module.js';
import { menderOsUpdateBatch, OsArgs } from '../../../src/modules/mender/os-module.js';
import { MenderSessions, type MenderRunServer } from '../../../src/modules/mender/session.js';
import { RunContext } from '../../../src/run/context.js';
import type { MenderFacts } from '../../../src/modules/mender/facts.js';
import { testServer, value, TOKEN, type TestServer } from '../../ota/helpers.js';
import { lazyVars, Templar, type TemplateContext, type Vars } from '../../../src/template/index.js';

/** The test's run: its own Mender sessions, as runPlaybook makes one per run (src/run/context.ts). */
let run: RunContext;
const configureMender = (o: MenderRunServer) => {
  run = new RunContext({ extraVars: {}, env: process.env }, [{ name: 'mender', start: () => new MenderSessions(o) }]);
};
const closeMenderSessions = () => run.close();
const menderRequestStats = () => run.stats();
const menderFatalError = () => run.fatal();

type Mode = 'run' | 'dry-run';
const item = <A>(host: string, args: A, mode: Mode = 'run', vars: Record<string, unknown> = {}): Item<A> => ({
  host,
  args,
  ctx: { vars, checkMode: mode !== 'run', mode, run },
});
const sink = () => {
  const entries: { host: string; kind: string; from?: unknown; to?: unknown; why: string }[] = [];
  return { entries, task: { name: 't', report: { add: (e: (typeof entries)[number]) => entries.push(e) } } };
};
const os = (host: string, artifact: string, mode: Mode = 'run') => item(host, OsArgs.parse({ artifact }), mode);
const writesSeen = async (srv: TestServer) =>
  (await srv.requests())
    .filter((r) => r.method !== 'GET' && !/filters\/search$|statistics\/list$/.test(r.path))
    .map((r) => `${r.method} ${r.path} ${r.status}`);

describe('mender modules on the embedded server', () => {
  let srv: TestServer;
  beforeEach(async () => {
    srv = await testServer();
    configureMender({ server: srv.url, token: TOKEN, baseDelayMs: 5, maxDelayMs: 20 });
  });
  afterEach(async () => {
    closeMenderSessions();
    await srv.close();
  });

  test('mender_facts: bulk facts for every host; an unknown device fails its host only', async () => {
    const out = await menderFactsBatch(['dev-rpi4-a', 'dev-rpi3', 'ghost'].map((h) => item(h, FactsArgs.parse({}))));
    expect(out.get('ghost')).toMatchObject({
      failed: true,
      msg: expect.stringMatching(/device ghost is not known to the OTA server/),
    });
    const f = (out.get('dev-rpi4-a')!.ansible_facts as { mender: MenderFacts }).mender;
    expect(f).toMatchObject({
      id: 'dev-rpi4-a',
      device_type: 'raspberrypi4',
      artifact_name: 'os-1.0',
      rootfs_image_version: 'os-1.0',
      subscribed_branch: 'canary',
      deployments: [],
      check_in_time: expect.any(String),
      status: 'accepted',
    });
    expect(f.config).toMatchObject({ deploying: false });
    expect(out.get('dev-rpi3')!.failed).toBeUndefined();
    // One search for all hosts, not one request per device.
    expect(menderRequestStats().byEndpoint['POST /api/management/v2/inventory/filters/search']).toBe(1);
  });

  test('mender_facts: configurations read by a worker thread (as at 2000+ devices) give the same facts and counts', async () => {
    const hosts = ['dev-rpi4-a', 'dev-rpi4-b', 'dev-rpi3', 'dev-imx8'];
    value(await srv.client().setDeviceConfig('dev-rpi3', { kiosk_url: 'https://k/3' }));
    const facts = (out: Map<string, Result_>) =>
      Object.fromEntries([...out].map(([h, r]) => [h, (r.ansible_facts as { mender: MenderFacts }).mender.config]));
    const here = facts(await menderFactsBatch(hosts.map((h) => item(h, FactsArgs.parse({})))));
    closeMenderSessions();
    // The built worker script: a worker thread cannot load the TypeScript sources under test.
    configureMender({
      server: srv.url,
      token: TOKEN,
      configWorker: new URL('../../../dist/ota/config-worker.js', import.meta.url),
      configWorkerMin: 1,
    });
    const viaWorker = facts(await menderFactsBatch(hosts.map((h) => item(h, FactsArgs.parse({})))));
    expect(viaWorker).toEqual(here);
    expect(viaWorker['dev-rpi3']).toMatchObject({ configured: { kiosk_url: 'https://k/3' } });
    expect(menderRequestStats().byEndpoint['GET /api/management/v1/deviceconfig/configurations/device/{id}']).toBe(
      hosts.length,
    );
  });

  test('mender_os_update: one deployment for an artifact naming many devices; missing artifact fails the host; a second run changes nothing', async () => {
    const hosts = ['dev-rpi4-a', 'dev-rpi4-b', 'dev-rpi3', 'dev-rpi2', 'dev-imx8'];
    const s1 = sink();
    const out = await menderOsUpdateBatch(
      hosts.map((h) => os(h, 'os-1.1')),
      s1.task,
    );
    expect(
      Object.fromEntries([...out].map(([h, r]) => [h, r.failed ? 'failed' : r.changed ? 'changed' : 'ok'])),
    ).toEqual({
      'dev-rpi4-a': 'changed',
      'dev-rpi4-b': 'ok',
      'dev-rpi3': 'changed',
      'dev-rpi2': 'failed',
      'dev-imx8': 'changed',
    });
    expect(out.get('dev-rpi2')!.msg).toMatch(/no artifact named os-1.1 fits device type raspberrypi2/);
    expect(s1.entries.map((e) => [e.host, e.kind, e.from, e.to])).toContainEqual([
      'dev-rpi3',
      'os',
      'os-1.0',
      'os-1.1',
    ]);
    const deps = value(await srv.client().listDeployments());
    expect(deps.map((d) => [d.artifact_name, d.device_count])).toEqual([['os-1.1', 3]]);

    await srv.admin('DELETE', 'requests');
    const s2 = sink();
    const again = await menderOsUpdateBatch(
      hosts.map((h) => os(h, 'os-1.1')),
      s2.task,
    );
    expect([...again.values()].filter((r) => r.changed)).toEqual([]);
    expect(again.get('dev-rpi3')!.msg).toMatch(/already pending/);
    expect(await writesSeen(srv)).toEqual([]);
    expect(value(await srv.client().listDeployments()).length).toBe(1);
  });

  test('mender_os_update: a deployment of another artifact is aborted (whole when all its devices are ours) and replaced', async () => {
    const c = srv.client();
    const old = value(await c.createDeployment({ name: 'old', artifact_name: 'os-0.9', devices: ['dev-rpi4-a'] }));
    const out = await menderOsUpdateBatch([os('dev-rpi4-a', 'os-1.1')], sink().task);
    expect(out.get('dev-rpi4-a')).toMatchObject({
      changed: true,
      action: 'deploy',
      msg: expect.stringMatching(/aborting the deployment of os-0.9/),
    });
    const deps = value(await c.listDeployments());
    expect(deps.find((d) => d.id === old.id)!.status).toBe('finished');
    expect(deps.filter((d) => d.status !== 'finished').map((d) => d.artifact_name)).toEqual(['os-1.1']);
    expect((await writesSeen(srv)).filter((w) => w.startsWith('PUT'))).toEqual([
      `PUT /api/management/v1/deployments/deployments/${old.id}/status 204`,
    ]);
  });

  test('mender_os_update: a shared deployment is aborted for our device only', async () => {
    const c = srv.client();
    const shared = value(
      await c.createDeployment({ name: 'shared', artifact_name: 'os-0.9', devices: ['dev-rpi4-a', 'dev-rpi4-b'] }),
    );
    await menderOsUpdateBatch([os('dev-rpi4-a', 'os-1.1')], sink().task);
    const devs = value(await c.deploymentDevices(shared.id));
    expect(Object.fromEntries(devs.map((d) => [d.id, d.status]))).toEqual({
      'dev-rpi4-a': 'aborted',
      'dev-rpi4-b': 'pending',
    });
  });

  test('mender_os_update: a device whose deployment of the artifact failed is held back; retry_failed deploys again', async () => {
    const c = srv.client();
    const dep = value(await c.createDeployment({ name: 'doomed', artifact_name: 'os-1.1', devices: ['dev-rpi3'] }));
    await srv.admin('PUT', 'devices/dev-rpi3', { fail: true });
    await srv.admin('POST', 'clock/advance', { seconds: 3600 });
    expect(value(await c.deploymentDevices(dep.id)).map((d) => d.status)).toEqual(['failure']);
    await srv.admin('DELETE', 'requests');
    const held = await menderOsUpdateBatch([os('dev-rpi3', 'os-1.1')], sink().task);
    expect(held.get('dev-rpi3')).toMatchObject({
      changed: false,
      action: 'held',
      msg: expect.stringMatching(/failed on this device/),
    });
    expect(await writesSeen(srv)).toEqual([]);
    const retried = await menderOsUpdateBatch(
      [item('dev-rpi3', OsArgs.parse({ artifact: 'os-1.1', retry_failed: true }))],
      sink().task,
    );
    expect(retried.get('dev-rpi3')).toMatchObject({ changed: true, action: 'deploy' });
  });

  test('dry-run plans and writes nothing', async () => {
    await srv.admin('DELETE', 'requests');
    const s = sink();
    const out = await menderOsUpdateBatch([os('dev-rpi3', 'os-1.1', 'dry-run')], s.task);
    const cfg = await menderConfigBatch(
      [item('dev-rpi3', ConfigArgs.parse({ config: { kiosk_enabled: true } }), 'dry-run')],
      s.task,
    );
    expect(out.get('dev-rpi3')).toMatchObject({ changed: true, msg: expect.stringMatching(/^would: /) });
    expect(cfg.get('dev-rpi3')).toMatchObject({ changed: true, msg: expect.stringMatching(/^would: /) });
    expect(s.entries.map((e) => e.kind)).toEqual(['os', 'config']);
    expect(await writesSeen(srv)).toEqual([]);
  });

  test('mender_config: set and deploy when different, wait while deploying, nothing once the device reports it', async () => {
    const args = ConfigArgs.parse({
      config: { kiosk_url: 'https://kiosk', kiosk_enabled: true, INFLUX_TOKEN: 'influx-secret-1' },
    });
    const s = sink();
    const first = await menderConfigBatch([item('dev-rpi3', args)], s.task);
    expect(first.get('dev-rpi3')).toMatchObject({ changed: true, action: 'deploy' });
    expect(s.entries[0].to).toEqual({ INFLUX_TOKEN: '********', kiosk_enabled: 'true', kiosk_url: 'https://kiosk' });
    const cfg = value(await srv.client().getDeviceConfig('dev-rpi3'));
    expect(cfg.configured).toEqual({
      INFLUX_TOKEN: 'influx-secret-1',
      kiosk_enabled: 'true',
      kiosk_url: 'https://kiosk',
    });

    closeMenderSessions();
    configureMender({ server: srv.url, token: TOKEN });
    const second = await menderConfigBatch([item('dev-rpi3', args)], sink().task);
    expect(second.get('dev-rpi3')).toMatchObject({ changed: false, action: 'wait' });

    await srv.admin('POST', 'clock/advance', { seconds: 600 });
    await srv.admin('DELETE', 'requests');
    const third = await menderConfigBatch([item('dev-rpi3', args)], sink().task);
    expect(third.get('dev-rpi3')).toMatchObject({ changed: false, action: 'none' });
    expect(await writesSeen(srv)).toEqual([]);
  });

  test('facts set by mender_facts are reused: mender_os_update does not search again', async () => {
    const facts = await menderFactsBatch([item('dev-rpi3', FactsArgs.parse({ config: false }))]);
    const mender = (facts.get('dev-rpi3')!.ansible_facts as { mender: unknown }).mender;
    closeMenderSessions();
    configureMender({ server: srv.url, token: TOKEN });
    const out = await menderOsUpdateBatch(
      [item('dev-rpi3', OsArgs.parse({ artifact: 'os-1.0' }), 'run', { mender })],
      sink().task,
    );
    expect(out.get('dev-rpi3')).toMatchObject({ changed: false, action: 'none' });
    expect(menderRequestStats().byEndpoint['POST /api/management/v2/inventory/filters/search']).toBeUndefined();
  });

  test('hosts are grouped by server from the variables as set: a mender_server without a template is not rendered per host', async () => {
    closeMenderSessions();
    configureMender({ token: TOKEN, baseDelayMs: 5, maxDelayMs: 20 });
    // The engine's per-host views over one shared group_vars layer; every render of the URL counted.
    // Rendering it per host left a memo in each of 100k views: +100 MB peak RSS of the main job.
    const shared = { mender_server: srv.url, mender_api: { max_retries: 3 } };
    let renders = 0;
    const templar = new (class extends Templar {
      override template(value: unknown, vars: Vars, ctx?: TemplateContext): unknown {
        if (value === srv.url) renders++;
        return super.template(value, vars, ctx);
      }
    })();
    const hosts = ['dev-rpi4-a', 'dev-rpi4-b', 'dev-rpi3'];
    const items = hosts.map((host) => ({
      host,
      args: FactsArgs.parse({ config: false }),
      ctx: {
        vars: lazyVars([shared, { inventory_hostname: host }], templar),
        checkMode: false,
        mode: 'run',
        env: {},
        templar,
        run,
      },
    }));
    const out = await menderFactsBatch(items);
    expect(hosts.map((h) => (out.get(h)!.ansible_facts as { mender: MenderFacts }).mender.id)).toEqual(hosts);
    expect(renders).toBe(0);
    expect(menderRequestStats().byEndpoint['POST /api/management/v2/inventory/filters/search']).toBe(1);
  });

  test('5xx storm during a run: hosts succeed, one deployment, no duplicate', async () => {
    closeMenderSessions();
    configureMender({ server: srv.url, token: TOKEN, baseDelayMs: 5, maxDelayMs: 20, maxRetries: 12 });
    await srv.faults({ error_rate: 0.4, error_status: 502, seed: 11 });
    const out = await menderOsUpdateBatch(
      ['dev-rpi4-a', 'dev-rpi3', 'dev-imx8'].map((h) => os(h, 'os-1.1')),
      sink().task,
    );
    await srv.faults(undefined);
    expect([...out.values()].map((r: Result_) => r.failed ?? false)).toEqual([false, false, false]);
    expect(menderRequestStats().retries).toBeGreaterThan(0);
    expect(value(await srv.client().listDeployments()).map((d) => d.device_count)).toEqual([3]);
  });

  test('wrong token: every host fails with a clear message and nothing is written', async () => {
    closeMenderSessions();
    configureMender({ server: srv.url, token: 'not-the-token' });
    await srv.admin('DELETE', 'requests');
    const facts = await menderFactsBatch([item('dev-rpi3', FactsArgs.parse({}))]);
    const upd = await menderOsUpdateBatch([os('dev-rpi3', 'os-1.1')], sink().task);
    expect(facts.get('dev-rpi3')!.msg).toMatch(/token wrong or lacking permission/);
    expect(upd.get('dev-rpi3')!.failed).toBe(true);
    expect(menderFatalError()?.code).toBe('ota.unauthorized');
    expect(await writesSeen(srv)).toEqual([]);
  });

  test('an unreachable server marks every host unreachable (exit code 4) and records the fatal error', async () => {
    const other = await testServer();
    const url = other.url;
    await other.close();
    closeMenderSessions();
    configureMender({ server: url, token: TOKEN, maxRetries: 1, baseDelayMs: 1 });
    const out = await menderOsUpdateBatch([os('dev-rpi3', 'os-1.1'), os('dev-imx8', 'os-1.1')], sink().task);
    expect([...out.values()].map((r) => [r.failed, r.unreachable])).toEqual([
      [true, true],
      [true, true],
    ]);
    expect(out.get('dev-rpi3')!.msg).toMatch(/could not be reached: connection refused \(ECONNREFUSED\)/);
    expect(menderFatalError()?.code).toBe('ota.unreachable');
  });
});
