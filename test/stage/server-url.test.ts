/**
 * The OTA server URL through the built CLI, on the sample fleet: `--server` on run and monitor,
 * MENDER_SERVER_URL beating the inventory's (unreachable) `mender_server`, the flag beating the
 * environment, per-group servers, and the errors naming the URL and where it came from.
 */
import { ExitCode } from '../../src/errors/index.js';
import {
  allVarsWithImage,
  DEV,
  eachTestFleet,
  ensureBuilt,
  fleetplayCli,
  fleetServer,
  SECRETS,
  serverWrites,
  TOKEN,
} from './helpers.js';
import type { TestServer } from '../ota/helpers.js';

beforeAll(ensureBuilt, 120_000);

const fleet = eachTestFleet();
let closed: string;

/** A URL nothing listens on: a server's port, closed again. */
beforeAll(async () => {
  const s = await fleetServer();
  closed = s.url;
  await s.close();
});

/**
 * canary wants 1.1.0 and the repository's `mender_server` is the closed URL (retries kept short);
 * `extra` adds files, e.g. a group's own server.
 */
function commitCanary(extra: Record<string, string> = {}): void {
  const all = allVarsWithImage('1.1.0').replace(
    'mender_server: http://127.0.0.1:8080',
    `mender_server: ${closed}\nmender_api: {base_delay_ms: 5, max_delay_ms: 40}`,
  );
  fleet.repo.commit('canary', { 'inventory/group_vars/all.yml': all, ...extra }, 'canary wants 1.1.0');
}

const ENV = { MENDER_ACCESS_TOKEN: TOKEN, ...SECRETS };
const cli = (args: string[], env: Record<string, string> = {}) =>
  fleetplayCli(fleet.repo.dir, args, { ...ENV, ...env });
const run = (args: string[] = [], env: Record<string, string> = {}) => cli(['run', '--mode', 'run', ...args], env);
const monitor = (args: string[] = [], env: Record<string, string> = {}) => cli(['monitor', '--json', ...args], env);

/** Devices named by the deployments this server was asked to create. */
async function deployed(srv: TestServer): Promise<string[]> {
  const w = await serverWrites(srv);
  return w
    .filter((x) => x.method === 'POST' && x.path === '/api/management/v1/deployments/deployments')
    .flatMap((x) => (x.body as { devices: string[] }).devices);
}

const unreachable = (url: string, from: string) =>
  `OTA server ${url} (from ${from}) could not be reached: connection refused (ECONNREFUSED) after 7 attempts — check --server / MENDER_SERVER_URL / mender_server`;

describe('fleetplay run: which OTA server', () => {
  it("MENDER_SERVER_URL beats the inventory's mender_server", async () => {
    commitCanary();
    const r = await run([], { MENDER_SERVER_URL: fleet.srv.url });
    expect(r.code).toBe(ExitCode.ok);
    expect(await deployed(fleet.srv)).toEqual([DEV.kioskCampus]);
  });

  it('--server beats MENDER_SERVER_URL', async () => {
    commitCanary();
    const r = await run(['--server', fleet.srv.url], { MENDER_SERVER_URL: closed });
    expect(r.code).toBe(ExitCode.ok);
    expect(await deployed(fleet.srv)).toEqual([DEV.kioskCampus]);
  });

  it('unreachable: exit 4, the URL tried and the file it came from, once below the recap; no token printed', async () => {
    commitCanary();
    const r = await run();
    expect(r.code).toBe(ExitCode.otaUnreachable);
    const closing = `ERROR! ${unreachable(closed, 'inventory/group_vars/all.yml mender_server')}`;
    expect(r.out.trimEnd().endsWith(closing)).toBe(true);
    expect(r.out.indexOf('PLAY RECAP')).toBeLessThan(r.out.indexOf(closing));
    expect(r.out).not.toContain(TOKEN);
    expect(await fleet.srv.requests()).toEqual([]);
  });

  it('unreachable through MENDER_SERVER_URL names the environment variable', async () => {
    commitCanary();
    const r = await run([], { MENDER_SERVER_URL: closed });
    expect(r.code).toBe(ExitCode.otaUnreachable);
    expect(r.out).toContain(`ERROR! ${unreachable(closed, 'MENDER_SERVER_URL')}`);
  });

  it('--server foo: exit 1, the URL and what to write, nothing sent', async () => {
    commitCanary();
    const r = await run(['--server', 'foo'], { MENDER_SERVER_URL: fleet.srv.url });
    expect(r.code).toBe(ExitCode.usage);
    expect(r.out).toContain('ERROR! the OTA server URL "foo" (from --server) is not a URL');
    expect(r.out).toContain(
      'hint: write it as https://host[:port] — check --server / MENDER_SERVER_URL / mender_server',
    );
    expect(await fleet.srv.requests()).toEqual([]);
  });

  it("without flag and environment each group's mender_server is used: canary's devices on their own server", async () => {
    const canarySrv = await fleetServer();
    try {
      const canaryVars = fleet.repo.git('show', 'canary:inventory/group_vars/canary.yml');
      commitCanary({ 'inventory/group_vars/canary.yml': `${canaryVars}\nmender_server: ${canarySrv.url}\n` });
      const r = await run();
      // The other groups' server is the closed one: exit 4, and canary's device is scheduled on its own server.
      expect(r.code).toBe(ExitCode.otaUnreachable);
      expect(await deployed(canarySrv)).toEqual([DEV.kioskCampus]);
      const searched = (await canarySrv.requests()).filter((q) => q.path.endsWith('/filters/search'));
      expect(searched.length).toBeGreaterThan(0);
      expect(JSON.stringify(searched.map((q) => q.body))).not.toContain(DEV.legacy);
      expect(r.out).toContain(unreachable(closed, 'inventory/group_vars/all.yml mender_server'));
    } finally {
      await canarySrv.close();
    }
  });
});

describe('a templated mender_server', () => {
  /** group_vars/all.yml names the server through another variable, as Ansible allows. */
  function commitTemplated(): void {
    const all = allVarsWithImage('1.1.0').replace(
      'mender_server: http://127.0.0.1:8080',
      'mender_server: "http://127.0.0.1:{{ ota_port }}"\nmender_api: {base_delay_ms: 5, max_delay_ms: 40}',
    );
    fleet.repo.commit('canary', { 'inventory/group_vars/all.yml': all }, 'the server by port');
  }

  it('is rendered with the host variables before it is used', async () => {
    commitTemplated();
    const r = await run(['-e', `ota_port=${new URL(fleet.srv.url).port}`]);
    expect(r.code).toBe(ExitCode.ok);
    expect(await deployed(fleet.srv)).toEqual([DEV.kioskCampus]);
  });

  it('a variable it needs is undefined: each host fails saying which, nothing is sent', async () => {
    commitTemplated();
    const r = await run([], {});
    expect(r.code).toBe(ExitCode.hostFailed);
    expect(r.out).toContain("'ota_port' is undefined");
    expect(await fleet.srv.requests()).toEqual([]);
  });
});

describe('fleetplay monitor: which OTA server, also for the desired state', () => {
  /** The update job's run on the live server, then the monitor's look. */
  async function scheduled(): Promise<void> {
    commitCanary();
    expect((await run(['--server', fleet.srv.url])).code).toBe(ExitCode.ok);
  }
  const devices = (r: { stdout: string }) =>
    (JSON.parse(r.stdout) as { devices: { device: string; state: string }[] }).devices;

  it("--server is used for the dry run and the look, though the inventory's server is unreachable", async () => {
    await scheduled();
    const before = (await fleet.srv.requests()).length;
    const r = await monitor(['--server', fleet.srv.url]);
    expect(r.code).not.toBe(ExitCode.otaUnreachable);
    expect(devices(r).map((d) => [d.device, d.state])).toEqual([[DEV.kioskCampus, 'pending']]);
    // The dry run's searches and the look's reads both reached the --server.
    expect((await fleet.srv.requests()).length).toBeGreaterThan(before + 2);
  });

  it("MENDER_SERVER_URL beats the inventory's mender_server, and --server beats MENDER_SERVER_URL", async () => {
    await scheduled();
    const byEnv = await monitor([], { MENDER_SERVER_URL: fleet.srv.url });
    const byFlag = await monitor(['--server', fleet.srv.url], { MENDER_SERVER_URL: closed });
    for (const r of [byEnv, byFlag]) {
      expect(r.code).not.toBe(ExitCode.otaUnreachable);
      expect(devices(r).map((d) => d.device)).toEqual([DEV.kioskCampus]);
    }
  });

  it('the desired state cannot be computed: exit 4 with the URL, its source and the cause', async () => {
    commitCanary();
    const r = await monitor();
    expect(r.code).toBe(ExitCode.otaUnreachable);
    expect(r.out).toContain(
      `ERROR! the OTA server could not be used while computing the desired state (dry run of playbooks/manage-fleet.yml): ${unreachable(closed, 'inventory/group_vars/all.yml mender_server')}`,
    );
    expect(r.out).not.toContain(TOKEN);
  });
});
