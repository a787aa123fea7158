/**
 * `fleetplay run` end to end: the built CLI (dist/cli/main.js) spawned in a fleet repository
 * checkout, as GitHub Actions runs it (detached HEAD, GITHUB_REF_NAME, GITHUB_STEP_SUMMARY).
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pyWrap } from '../../src/engine/start-at.js';
import type { RunReport } from '../../src/engine/report.js';
import { ExitCode } from '../../src/errors/index.js';
import {
  DEV,
  fleetplayCli,
  NAME,
  SECRETS,
  TOKEN,
  allVarsWithImage,
  eachTestFleet,
  ensureBuilt,
  serverWrites,
} from './helpers.js';

beforeAll(ensureBuilt, 120_000);

const fleet = eachTestFleet();

const readReport = () => JSON.parse(readFileSync(join(fleet.repo.dir, 'report.json'), 'utf8')) as RunReport;
const fleetplay = (args: string[], env: Record<string, string>) => fleetplayCli(fleet.repo.dir, args, env);

const ciEnv = (branch: string, sha: string, summary: string) => ({
  GITHUB_ACTIONS: 'true',
  GITHUB_REF_NAME: branch,
  GITHUB_REF_TYPE: 'branch',
  GITHUB_SHA: sha,
  GITHUB_STEP_SUMMARY: summary,
  MENDER_ACCESS_TOKEN: TOKEN,
  ...SECRETS,
});

describe('fleetplay run (built CLI)', () => {
  it('in a detached CI checkout of canary: schedules ④, writes report.json and the job summary, exit 0, no secret anywhere', async () => {
    const sha = fleet.repo.commit(
      'canary',
      { 'inventory/group_vars/all.yml': allVarsWithImage('1.1.0') },
      'promote 1.1.0',
    );
    fleet.repo.checkout(sha); // actions/checkout leaves HEAD detached
    const summary = join(mkdtempSync(join(tmpdir(), 'fleetplay-summary-')), 'summary.md');
    const r = await fleetplay(
      ['run', '--mode', 'run', '--report', 'report.json', '-e', `mender_server=${fleet.srv.url}`],
      ciEnv('canary', sha, summary),
    );
    expect(r.code).toBe(ExitCode.ok);
    const report = readReport();
    expect(report).toMatchObject({ branch: 'canary', commit: sha, mode: 'run', exitCode: 0 });
    expect(report.stage).toMatchObject({
      subscribed: 1,
      otherBranch: 6,
      os: { deploy: 1 },
      config: { deploy: 1 },
      artifacts: { 'fleet-os-1.1.0-raspberrypi3': 1 },
    });
    expect(report.api.perDevice?.devices).toBe(7);
    expect(report.api.writes).toBe((await serverWrites(fleet.srv)).length);
    const md = readFileSync(summary, 'utf8');
    expect(md).toContain(`fleetplay run on \`canary\` at \`${sha.slice(0, 12)}\``);
    expect(md).toContain('| OS updates scheduled | 1 |');
    expect(md).toContain('`fleet-os-1.1.0-raspberrypi3`: 1 device');
    // Devices by inventory name with their Mender id: job summary, report.json, task lines and recap.
    expect(md).toMatch(
      new RegExp(
        `\\| kiosk-campus \\(\`${DEV.kioskCampus}\`\\) \\| fleet-os-1\\.0\\.0-raspberrypi3 → fleet-os-1\\.1\\.0-raspberrypi3 \\| [+~a-z_ ]+ \\| ok \\|`,
      ),
    );
    expect(report.devices).toEqual(
      Object.fromEntries(Object.keys(DEV).map((k) => [NAME[k as keyof typeof DEV], DEV[k as keyof typeof DEV]])),
    );
    const campusPlan = report.plan.filter((p) => p.host === 'kiosk-campus');
    expect(campusPlan.map((p) => [p.device_id, p.os.action, p.config.action])).toEqual([
      [DEV.kioskCampus, 'deploy', 'set'],
    ]);
    expect(r.out).toMatch(/^changed: \[kiosk-campus\]$/m);
    expect(r.out).toMatch(/^kiosk-campus +: ok=\d+ +changed=2 +unreachable=0 +failed=0 /m);
    expect(r.out).not.toContain(`[${DEV.kioskCampus}]`);
    for (const secret of [TOKEN, ...Object.values(SECRETS)]) {
      expect(r.out).not.toContain(secret);
      expect(JSON.stringify(report)).not.toContain(secret);
      expect(md).not.toContain(secret);
    }
    const deps = (await serverWrites(fleet.srv)).filter((w) => w.path === '/api/management/v1/deployments/deployments');
    expect(deps.map((d) => (d.body as { devices: string[] }).devices)).toEqual([[DEV.kioskCampus]]);
  });

  it('--branch wins over git; a missing secret exits 2', async () => {
    fleet.repo.commit('main', { 'inventory/group_vars/all.yml': allVarsWithImage('1.1.0') });
    const r = await fleetplay(
      ['run', '--mode', 'run', '--branch', 'production', '-e', `mender_server=${fleet.srv.url}`],
      { MENDER_ACCESS_TOKEN: TOKEN, INFLUXDB_TOKEN: SECRETS.INFLUXDB_TOKEN },
    );
    expect(r.code).toBe(ExitCode.hostFailed);
    expect(r.out).toContain('GHRUNNER_TOKEN is empty');
    expect((await serverWrites(fleet.srv)).filter((w) => JSON.stringify(w).includes(DEV.runner))).toEqual([]);
  });

  it('a detached HEAD with no branch known exits 1 before any request', async () => {
    fleet.repo.checkout(fleet.repo.git('rev-parse', 'HEAD'));
    const r = await fleetplay(
      ['run', '--mode', 'run', '--report', 'report.json', '-e', `mender_server=${fleet.srv.url}`],
      { MENDER_ACCESS_TOKEN: TOKEN, ...SECRETS },
    );
    expect(r.code).toBe(ExitCode.usage);
    expect(r.out).toContain('HEAD is detached');
    expect(r.out).toContain('pass --branch');
    expect(await fleet.srv.requests()).toEqual([]);
    expect(readReport().errors[0].code).toBe('git.no-branch');
  });

  it('a device whose update failed is held back with a warning (no -v); -e retry_failed=true deploys it again', async () => {
    fleet.repo.commit('canary', { 'inventory/group_vars/all.yml': allVarsWithImage('1.1.0') });
    fleet.repo.checkout('canary');
    await fleet.srv.admin('PUT', `devices/${DEV.kioskCampus}`, { fail: true });
    const env = { MENDER_ACCESS_TOKEN: TOKEN, ...SECRETS };
    const run = (...extra: string[]) =>
      fleetplay(['run', '--mode', 'run', '-e', `mender_server=${fleet.srv.url}`, ...extra], env);
    const creates = async () =>
      (await serverWrites(fleet.srv)).filter((w) => w.path === '/api/management/v1/deployments/deployments');
    expect((await run()).code).toBe(ExitCode.ok);
    expect(await creates()).toHaveLength(1);
    await fleet.srv.admin('POST', 'clock/advance', { seconds: 600 });
    const client = fleet.srv.client();
    const failed = await client.listDeployments({ status: 'finished', type: 'software' });
    const dep = failed.ok ? failed.value.find((d) => d.artifact_name === 'fleet-os-1.1.0-raspberrypi3') : undefined;
    const device = dep ? await client.deploymentDevices(dep.id, 'failure') : undefined;
    client.close();
    const finished = device?.ok ? device.value[0]?.finished : undefined;
    expect(finished).toBeDefined();

    const held = await run();
    expect(held.code).toBe(ExitCode.ok);
    const warning = `[WARNING]: held back: ${NAME.kioskCampus} (${DEV.kioskCampus}): deployment ${dep!.id} of fleet-os-1.1.0-raspberrypi3 failed on ${finished}; retry with: fleetplay run -e retry_failed=true`;
    // Wrapped at 79 columns as ansible's warnings are.
    expect(held.out).toContain(pyWrap(warning, 79).join('\n'));
    expect(await creates()).toHaveLength(1);

    const retried = await run('-e', 'retry_failed=true');
    expect(retried.code).toBe(ExitCode.ok);
    expect(retried.out).not.toContain('held back');
    const after = await creates();
    expect(after).toHaveLength(2);
    expect((after[1].body as { devices: string[] }).devices).toEqual([DEV.kioskCampus]);
  });
});
