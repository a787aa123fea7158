/**
 * The default playbook (playbooks/manage-fleet.yml) through `fleetplay run`'s stage layer: a real
 * fleet repository in a temp dir (the sample inventory, branches main/canary/production) and the
 * embedded server seeded with the sample fleet. Writes are counted from the server's own log.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { runPlaybook } from '../../src/engine/index.js';
import { ExitCode } from '../../src/errors/index.js';
import { value } from '../ota/helpers.js';
import {
  DEV,
  NAME,
  allVarsWithImage,
  changedCount,
  failedHosts,
  eachTestFleet,
  planned,
  runIn,
  serverWrites,
  SECRETS,
} from './helpers.js';

const fleet = eachTestFleet();

const PRODUCTION = [DEV.legacy, DEV.hotspot, DEV.kioskCentral, DEV.runner, DEV.prototype].sort();
const DEPLOYMENTS_PATH = '/api/management/v1/deployments/deployments';
const CONFIG_PATH = '/api/management/v1/deviceconfig/configurations/device';
const deployments = async () =>
  (await serverWrites(fleet.srv)).filter((w) => w.method === 'POST' && w.path === DEPLOYMENTS_PATH);
const configDeploys = async () =>
  (await serverWrites(fleet.srv)).filter((w) => /deviceconfig\/configurations\/device\/[^/]+\/deploy$/.test(w.path));
/** The deployments of this name as the server lists them. */
const deploymentsNamed = async (name: string) => value(await fleet.srv.client().listDeployments({ names: [name] }));
/** A device as the server simulates it (admin API). */
const device = (id: string) =>
  fleet.srv.admin<{ check_in_time: string; deployments: { deployment_id: string; status: string }[] }>(
    'GET',
    `devices/${id}`,
  );
const devicesOf = (w: { body: unknown }) => [...((w.body as { devices: string[] }).devices ?? [])].sort();

describe('branch filtering', () => {
  it('on main only ⑦ is handled; the others are left alone, ok and not changed', async () => {
    fleet.repo.commit('main', { 'inventory/group_vars/all.yml': allVarsWithImage('1.1.0') }, 'release 1.1.0');
    const r = await runIn(fleet.repo, fleet.srv);
    expect(r.exitCode).toBe(ExitCode.ok);
    expect(r.stage).toMatchObject({
      branch: 'main',
      subscribed: 1,
      otherBranch: 6,
      failed: 0,
      os: { deploy: 1 },
      artifacts: { 'fleet-os-1.1.0-raspberrypi4': 1 },
    });
    const deps = await deployments();
    expect(deps.map(devicesOf)).toEqual([[DEV.kioskNext]]);
    expect((deps[0].body as { artifact_name: string }).artifact_name).toBe('fleet-os-1.1.0-raspberrypi4');
    for (const h of Object.values(NAME).filter((h) => h !== NAME.kioskNext))
      expect(r.recap[h]).toMatchObject({ changed: 0, failed: 0 });
    expect(r.recap[NAME.kioskNext].changed).toBe(2);
    expect(r.text).toContain('follows canary (inventory), not main: left alone');
    // Configurations are read only for the device that stays in the play.
    expect(r.report.api.byEndpoint['GET /api/management/v1/deviceconfig/configurations/device/{id}']).toBe(1);
  });

  it('on production the four production devices and the prototype (default branch) get the new image, grouped by artifact', async () => {
    fleet.repo.commit('production', { 'inventory/group_vars/all.yml': allVarsWithImage('1.1.0') });
    const r = await runIn(fleet.repo, fleet.srv);
    expect(r.exitCode).toBe(ExitCode.ok);
    expect(planned(r, 'os', 'deploy')).toEqual(PRODUCTION);
    const deps = await deployments();
    // One deployment per artifact (device type), never one per device of the same image.
    expect(deps).toHaveLength(new Set(deps.map((d) => (d.body as { artifact_name: string }).artifact_name)).size);
    expect(deps.flatMap(devicesOf).sort()).toEqual(PRODUCTION);
    expect(r.stage.otherBranch).toBe(2);
  });

  it('a device-reported subscribed_branch overrides the inventory', async () => {
    await fleet.srv.admin('PUT', `devices/${DEV.legacy}`, { attributes: { subscribed_branch: 'canary' } });
    fleet.repo.commit('canary', { 'inventory/group_vars/all.yml': allVarsWithImage('1.1.0') });
    const r = await runIn(fleet.repo, fleet.srv);
    expect(planned(r, 'os', 'deploy')).toEqual([DEV.legacy, DEV.kioskCampus].sort());
    fleet.repo.commit('production', { 'inventory/group_vars/all.yml': allVarsWithImage('1.1.0') });
    const p = await runIn(fleet.repo, fleet.srv);
    expect(planned(p, 'os', 'deploy')).not.toContain(DEV.legacy);
    expect(p.recap[NAME.legacy]).toMatchObject({ changed: 0, failed: 0 });
    expect(p.text).toContain('follows canary (device attribute), not production: left alone');
  });
});

describe('what is scheduled', () => {
  it('a configuration change only: a config deployment for ③, no OS deployment', async () => {
    await runIn(fleet.repo, fleet.srv, { branch: undefined, envOverride: {} });
    await fleet.srv.admin('DELETE', 'requests');
    fleet.repo.commit('production', {
      'inventory/host_vars/kiosk-central-station.yml':
        'mender_device_id: 20b41a8a-ef2d-4afd-9587-2aad65b28605\nkiosk_enabled: true\nkiosk_url: https://kiosk.example.org/new-page\n',
    });
    // The first run (on main) set nothing for production devices: converge them first.
    const first = await runIn(fleet.repo, fleet.srv);
    expect(planned(first, 'config', 'set')).toEqual(PRODUCTION);
    await fleet.srv.admin('POST', 'clock/advance', { seconds: 600 });
    fleet.repo.commit('production', {
      'inventory/host_vars/kiosk-central-station.yml':
        'mender_device_id: 20b41a8a-ef2d-4afd-9587-2aad65b28605\nkiosk_enabled: true\nkiosk_url: https://kiosk.example.org/newer-page\n',
    });
    await fleet.srv.admin('DELETE', 'requests');
    const r = await runIn(fleet.repo, fleet.srv);
    expect(r.exitCode).toBe(ExitCode.ok);
    expect(planned(r, 'config', 'set')).toEqual([DEV.kioskCentral]);
    expect(await deployments()).toHaveLength(0);
    const deploys = await configDeploys();
    expect(deploys.map((d) => d.path)).toEqual([
      `/api/management/v1/deviceconfig/configurations/device/${DEV.kioskCentral}/deploy`,
    ]);
    const set = (await serverWrites(fleet.srv)).find((w) => w.method === 'PUT');
    expect(set?.body).toMatchObject({
      kiosk_url: 'https://kiosk.example.org/newer-page',
      kiosk_enabled: 'true',
      os_image: 'fleet-os-1.0.0-raspberrypi3',
    });
  });

  it('both: a new image and a new configuration for ⑦ in one run', async () => {
    fleet.repo.commit('main', {
      'inventory/group_vars/all.yml': allVarsWithImage('1.1.0'),
      'inventory/host_vars/kiosk-next.yml':
        'mender_device_id: 854df144-28aa-4e50-9225-ca5d348354b7\nkiosk_enabled: true\nkiosk_url: https://kiosk.example.org/next-2\n',
    });
    const r = await runIn(fleet.repo, fleet.srv);
    expect(planned(r, 'os', 'deploy')).toEqual([DEV.kioskNext]);
    expect(planned(r, 'config', 'set')).toEqual([DEV.kioskNext]);
    const set = r.report.plan.find((p) => p.config.action === 'set')!.config;
    const cfg = set.action === 'set' ? set.values : undefined;
    // The configuration names the image the repository wants, not the one installed.
    expect(cfg).toMatchObject({
      os_image: 'fleet-os-1.1.0-raspberrypi4',
      kiosk_url: 'https://kiosk.example.org/next-2',
    });
    // What the server received, not only what the report planned.
    expect((await deployments()).map((d) => d.body)).toEqual([
      expect.objectContaining({ artifact_name: 'fleet-os-1.1.0-raspberrypi4', devices: [DEV.kioskNext] }),
    ]);
    const config = `${CONFIG_PATH}/${DEV.kioskNext}`;
    const sets = (await serverWrites(fleet.srv)).filter((w) => w.method === 'PUT' && w.path === config);
    expect(sets.map((w) => w.body)).toEqual([
      expect.objectContaining({
        os_image: 'fleet-os-1.1.0-raspberrypi4',
        kiosk_url: 'https://kiosk.example.org/next-2',
      }),
    ]);
    expect((await configDeploys()).map((d) => `${d.method} ${d.path}`)).toEqual([`POST ${config}/deploy`]);
  });

  it('nothing to do: the second run on the same commit has 0 changed and 0 writes, also after the devices converged', async () => {
    fleet.repo.commit('production', { 'inventory/group_vars/all.yml': allVarsWithImage('1.1.0') });
    const first = await runIn(fleet.repo, fleet.srv);
    expect(changedCount(first)).toBeGreaterThan(0);
    expect((await serverWrites(fleet.srv)).length).toBeGreaterThan(0);
    for (const wait of [0, 3600]) {
      if (wait) await fleet.srv.admin('POST', 'clock/advance', { seconds: wait });
      await fleet.srv.admin('DELETE', 'requests');
      const again = await runIn(fleet.repo, fleet.srv);
      expect(again.exitCode).toBe(ExitCode.ok);
      expect(changedCount(again)).toBe(0);
      expect(await serverWrites(fleet.srv)).toEqual([]);
      expect(again.report.api.writes).toBe(0);
      // In flight first (left alone), installed after the clock moved.
      expect(planned(again, 'os', wait ? 'none' : 'wait')).toEqual(PRODUCTION);
    }
  });
});

describe('the default playbook outside `fleetplay run`', () => {
  it('without fleetplay_branch the play stops at its first task with one message; the server is not asked', async () => {
    let text = '';
    const stdout = new Writable({ write: (c, _e, cb) => ((text += String(c)), cb()) });
    await fleet.srv.admin('DELETE', 'requests');
    const r = await runPlaybook({
      playbook: join(fleet.repo.dir, 'playbooks/manage-fleet.yml'),
      inventory: [join(fleet.repo.dir, 'inventory')],
      mode: 'run',
      stdout,
      extraVars: { mender_server: fleet.srv.url },
      env: { PATH: process.env.PATH, MENDER_ACCESS_TOKEN: 'x'.repeat(20), ...SECRETS },
    });
    expect(r.exitCode).toBe(ExitCode.hostFailed);
    // The check runs once for the play (run_once) and its failure ends the play for every device.
    expect(text.match(/fleetplay_branch is not set/g)).toHaveLength(1);
    expect(Object.keys(r.recap)).toHaveLength(1);
    expect(Object.values(r.recap)[0]).toMatchObject({ failed: 1, ok: 0 });
    expect(text).not.toContain('TASK [subscription : Read what the OTA server knows');
    expect(await fleet.srv.requests()).toEqual([]);
  });
});

describe('deployments in flight', () => {
  it('a deployment of another image is aborted and replaced; one of the right image is left alone', async () => {
    fleet.repo.commit('main', { 'inventory/group_vars/all.yml': allVarsWithImage('1.1.0') });
    await runIn(fleet.repo, fleet.srv);
    const [oldPost, ...morePosts] = await deployments();
    expect(morePosts).toEqual([]);
    const oldBody = oldPost.body as { name: string; artifact_name: string };
    expect(oldBody.artifact_name).toBe('fleet-os-1.1.0-raspberrypi4');
    const [old] = await deploymentsNamed(oldBody.name);
    fleet.repo.commit('main', { 'inventory/group_vars/all.yml': allVarsWithImage('1.2.0') });
    await fleet.srv.admin('DELETE', 'requests');
    const r = await runIn(fleet.repo, fleet.srv);
    expect(r.exitCode).toBe(ExitCode.ok);
    const writes = await serverWrites(fleet.srv);
    const aborts = writes.filter((w) => w.method === 'PUT' && w.path.endsWith('/status'));
    const creates = writes.filter((w) => w.method === 'POST' && w.path === DEPLOYMENTS_PATH);
    // Exactly the old deployment is aborted, before its replacement is created.
    expect(aborts.map((w) => [w.path, w.body])).toEqual([
      [`${DEPLOYMENTS_PATH}/${old.id}/status`, { status: 'aborted' }],
    ]);
    expect(creates.map((w) => w.body)).toEqual([
      expect.objectContaining({ artifact_name: 'fleet-os-1.2.0-raspberrypi4', devices: [DEV.kioskNext] }),
    ]);
    expect(writes.indexOf(creates[0])).toBeGreaterThan(writes.indexOf(aborts[0]));
    expect((await deploymentsNamed(oldBody.name)).map((d) => [d.id, d.status])).toEqual([[old.id, 'finished']]);
    await fleet.srv.admin('DELETE', 'requests');
    const again = await runIn(fleet.repo, fleet.srv);
    expect(planned(again, 'os', 'wait')).toEqual([DEV.kioskNext]);
    expect(await serverWrites(fleet.srv)).toEqual([]);
  });
});

describe('devices that cannot be updated', () => {
  it('no artifact of that name for the device type fails that device only (exit 2)', async () => {
    fleet.repo.commit('production', {
      'inventory/group_vars/all.yml': allVarsWithImage('1.1.0'),
      'inventory/host_vars/legacy-pi2.yml':
        'mender_device_id: 6bfd5737-51b8-4e0b-ac3c-c0b36a1f00c3\nos_image_override: fleet-os-9.9.9-raspberrypi2\n',
    });
    const r = await runIn(fleet.repo, fleet.srv);
    expect(r.exitCode).toBe(ExitCode.hostFailed);
    expect(failedHosts(r)).toEqual([DEV.legacy]);
    expect(r.text).toContain('fleet-os-9.9.9-raspberrypi2');
    expect((await deployments()).flatMap(devicesOf)).not.toContain(DEV.legacy);
    expect(planned(r, 'os', 'deploy')).toEqual(PRODUCTION.filter((h) => h !== DEV.legacy));
  });

  it('a device type without an OS image fails with what to add where', async () => {
    fleet.repo.commit('production', {
      'inventory/group_vars/all.yml': allVarsWithImage('1.1.0').replace(/ {2}raspberrypi2: .*\n/, ''),
    });
    const r = await runIn(fleet.repo, fleet.srv);
    expect(failedHosts(r)).toEqual([DEV.legacy]);
    expect(r.text).toContain(
      'no OS image for device type raspberrypi2: add `raspberrypi2: ARTIFACT_NAME` under os_image',
    );
    expect((await serverWrites(fleet.srv)).filter((w) => JSON.stringify(w).includes(DEV.legacy))).toEqual([]);
  });

  it('an offline device is scheduled all the same: the run never waits for devices', async () => {
    await fleet.srv.admin('PUT', `devices/${DEV.kioskNext}`, { online: false });
    // A day without a check-in: the device is plainly gone.
    await fleet.srv.admin('POST', 'clock/advance', { seconds: 86_400 });
    const seen = await device(DEV.kioskNext);
    const { now } = await fleet.srv.admin<{ now: string }>('GET', 'clock');
    expect(Date.parse(now) - Date.parse(seen.check_in_time)).toBeGreaterThanOrEqual(86_400_000);
    fleet.repo.commit('main', { 'inventory/group_vars/all.yml': allVarsWithImage('1.1.0') });
    const r = await runIn(fleet.repo, fleet.srv);
    expect(r.exitCode).toBe(ExitCode.ok);
    expect(planned(r, 'os', 'deploy')).toEqual([DEV.kioskNext]);
    const created = await deployments();
    expect(created.map(devicesOf)).toEqual([[DEV.kioskNext]]);
    const [dep] = await deploymentsNamed((created[0].body as { name: string }).name);
    // An hour later it is still waiting for the device; back online, it installs.
    const osStatus = async () =>
      (await device(DEV.kioskNext)).deployments.find((d) => d.deployment_id === dep.id)?.status;
    await fleet.srv.admin('POST', 'clock/advance', { seconds: 3600 });
    expect(await osStatus()).toBe('pending');
    await fleet.srv.admin('PUT', `devices/${DEV.kioskNext}`, { online: true });
    await fleet.srv.admin('POST', 'clock/advance', { seconds: 3600 });
    expect(await osStatus()).toBe('success');
  });

  it('a device unknown to the server is unreachable, with a clear message; the others are written', async () => {
    const ghost = '0badc0de-0000-4000-8000-000000000001';
    const hosts = readFileSync(`${fleet.repo.dir}/inventory/hosts.yml`, 'utf8').replace(
      '    canary:\n      hosts:\n',
      `    canary:\n      hosts:\n        ${ghost}:  # not on the server\n`,
    );
    fleet.repo.commit('canary', {
      'inventory/hosts.yml': hosts,
      'inventory/group_vars/all.yml': allVarsWithImage('1.1.0'),
    });
    const r = await runIn(fleet.repo, fleet.srv);
    // As ansible for a host it cannot reach: unreachable (exit code 4), and it does not stop the others.
    expect(r.exitCode).toBe(ExitCode.otaUnreachable);
    expect(failedHosts(r)).toEqual([]);
    expect(r.recap[ghost]).toMatchObject({ unreachable: 1, failed: 0 });
    expect(r.text).toContain(`device ${ghost} is not known to the OTA server ${fleet.srv.url} (from -e mender_server)`);
    expect(planned(r, 'os', 'deploy')).toEqual([DEV.kioskCampus]);
    const writes = await serverWrites(fleet.srv);
    expect(writes.some((w) => JSON.stringify(w.body).includes(DEV.kioskCampus))).toBe(true);
    expect(writes.filter((w) => JSON.stringify(w).includes(ghost))).toEqual([]);
  });
});

describe('secrets and credentials', () => {
  it('an empty GHRUNNER_TOKEN fails the runner with what to create: the plan fails, nothing is written', async () => {
    fleet.repo.commit('production', { 'inventory/group_vars/all.yml': allVarsWithImage('1.1.0') });
    const r = await runIn(fleet.repo, fleet.srv, { envOverride: { GHRUNNER_TOKEN: '' } });
    expect(r.exitCode).toBe(ExitCode.hostFailed);
    expect(failedHosts(r)).toEqual([DEV.runner]);
    expect(r.text).toContain('PLAN FAILED: nothing was written');
    expect(r.text).toContain('GHRUNNER_TOKEN is empty');
    expect(await serverWrites(fleet.srv)).toEqual([]);
    expect(r.report.apply).toMatchObject({ applied: false });
  });

  it('with --max-failed 1 the others are written, nothing for the runner; the secret never shows', async () => {
    fleet.repo.commit('production', { 'inventory/group_vars/all.yml': allVarsWithImage('1.1.0') });
    const r = await runIn(fleet.repo, fleet.srv, {
      envOverride: { GHRUNNER_TOKEN: '' },
      maxFailed: { kind: 'count', n: 1 },
    });
    expect(r.exitCode).toBe(ExitCode.hostFailed);
    expect(failedHosts(r)).toEqual([DEV.runner]);
    expect(r.text).toContain('GHRUNNER_TOKEN is empty');
    expect(r.text).toContain('create the repository secret GHRUNNER_TOKEN');
    const writes = await serverWrites(fleet.srv);
    expect(writes.filter((w) => JSON.stringify(w).includes(DEV.runner))).toEqual([]);
    expect(writes.length).toBeGreaterThan(0);
    // The hotspot's InfluxDB token went to the server, and nowhere else.
    expect(JSON.stringify(writes)).toContain(SECRETS.INFLUXDB_TOKEN);
    expect(r.text).not.toContain(SECRETS.INFLUXDB_TOKEN);
    expect(JSON.stringify(r.report)).not.toContain(SECRETS.INFLUXDB_TOKEN);
  });

  it('a wrong token is a clear error and nothing is written', async () => {
    fleet.repo.commit('main', { 'inventory/group_vars/all.yml': allVarsWithImage('1.1.0') });
    const r = await runIn(fleet.repo, fleet.srv, { envOverride: { MENDER_ACCESS_TOKEN: 'not-the-token-123456' } });
    expect(r.exitCode).toBe(ExitCode.usage);
    expect(r.report.errors.map((e) => e.code)).toContain('ota.unauthorized');
    expect(r.text).toContain('token wrong or lacking permission');
    expect(r.text).not.toContain('not-the-token-123456');
    expect(await serverWrites(fleet.srv)).toEqual([]);
    expect(r.report.api.writes).toBe(0);
  });
});

describe('a flaky server', () => {
  it('5xx and 429 storms are retried (Retry-After honoured); every deployment is created exactly once', async () => {
    fleet.repo.commit('production', { 'inventory/group_vars/all.yml': allVarsWithImage('1.1.0') });
    await fleet.srv.faults({ error_rate: 0.3, error_status: 503, throttle_rate: 0.05, retry_after: 1, seed: 7 });
    const r = await runIn(fleet.repo, fleet.srv);
    await fleet.srv.faults(undefined);
    expect(r.exitCode).toBe(ExitCode.ok);
    // Both kinds of storm happened, and the run saw every answer the server gave.
    const log = await fleet.srv.requests();
    const served = (status: number) => log.filter((x) => x.status === status);
    const [throttled, unavailable] = [served(429).length, served(503).length];
    expect(throttled).toBeGreaterThan(0);
    expect(unavailable).toBeGreaterThan(0);
    // Every failed answer was retried once; the run counted what the server served.
    expect(r.report.api.retries).toBe(throttled + unavailable);
    expect(r.report.api.requests).toBe(log.length);
    // Retry-After was honoured: each throttled request came back a second later at the earliest.
    const same = (a: (typeof log)[number], b: (typeof log)[number]) =>
      JSON.stringify([a.method, a.path, a.query, a.body]) === JSON.stringify([b.method, b.path, b.query, b.body]);
    const waited = log.flatMap((x, i) =>
      x.status === 429 ? [Date.parse(log.slice(i + 1).find((y) => same(x, y))!.time) - Date.parse(x.time)] : [],
    );
    expect(waited).toHaveLength(throttled);
    for (const ms of waited) expect(ms).toBeGreaterThanOrEqual(990);
    expect(planned(r, 'os', 'deploy')).toEqual(PRODUCTION);
    const created = (await deployments()).filter((d) => (d as unknown as { status: number }).status === 201);
    expect(created.flatMap(devicesOf).sort()).toEqual(PRODUCTION);
    const configs = (await configDeploys()).filter((d) => (d as unknown as { status: number }).status < 300);
    expect(configs.map((d) => d.path).sort()).toEqual(
      PRODUCTION.map((h) => `/api/management/v1/deviceconfig/configurations/device/${h}/deploy`).sort(),
    );
    await fleet.srv.admin('DELETE', 'requests');
    const again = await runIn(fleet.repo, fleet.srv);
    expect(changedCount(again)).toBe(0);
    expect(await serverWrites(fleet.srv)).toEqual([]);
  });
});
