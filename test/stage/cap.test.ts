/**
 * Within the OTA server's cap of active deployments (hosted Mender: 800), end to end: 1,000
 * devices across 12 artifacts while 790 deployments from elsewhere are in flight (created directly
 * on the embedded server, to offline devices, so they stay active). Successive `fleetplay run`s on
 * the manual clock never get the server's refusal (counted from its request log) and end with every
 * device scheduled; the plan says which devices wait for room and why. The 10k version is
 * bench/cap.mjs (docs/performance.md).
 */
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generatedDeviceId } from '../../src/server/index.js';
import { testServer, type TestServer } from '../ota/helpers.js';
import { git, planned, ROOT, runIn, type FleetRepo } from './helpers.js';

const N = 1000;
const ELSEWHERE = 790;
const TYPES = Array.from({ length: 12 }, (_, k) => `board${String(k).padStart(2, '0')}`);
const image = (t: string) => `fleet-os-2-${t}`;
const DEPLOYMENTS = '/api/management/v1/deployments/deployments';

let srv: TestServer;
let repo: FleetRepo;
beforeAll(async () => {
  srv = await testServer({
    spec: {
      artifacts: [
        ...TYPES.map((t) => ({ name: image(t), device_types_compatible: [t] })),
        { name: 'fleet-os-1', device_types_compatible: TYPES },
      ],
      generate: { count: N, device_types: TYPES, artifact_name: 'fleet-os-1' },
      devices: Array.from({ length: ELSEWHERE }, (_, i) => ({
        id: `elsewhere-${i}`,
        device_type: TYPES[0],
        artifact_name: 'fleet-os-1',
        online: false,
      })),
    },
  });
  const client = srv.client();
  for (let i = 0; i < ELSEWHERE; i++) {
    const r = await client.createDeployment({
      name: `other team ${i}`,
      artifact_name: image(TYPES[0]),
      devices: [`elsewhere-${i}`],
    });
    if (!r.ok) throw new Error(r.error.message);
  }
  repo = { dir: fleetDir() } as FleetRepo;
});
afterAll(async () => {
  await srv.close();
  rmSync(repo.dir, { recursive: true, force: true });
});

/** The fleet repository on branch production: every device in production, one group per board. */
function fleetDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'fleetplay-cap-'));
  cpSync(join(ROOT, 'playbooks'), join(dir, 'playbooks'), { recursive: true });
  mkdirSync(join(dir, 'inventory/group_vars'), { recursive: true });
  const ids = Array.from({ length: N }, (_, i) => generatedDeviceId(i + 1));
  const lines = ['all:', '  children:', '    production:', '      hosts:', ...ids.map((id) => `        ${id}:`)];
  TYPES.forEach((t, k) =>
    lines.push(
      `    ${t}:`,
      `      vars: {device_type: ${t}}`,
      '      hosts:',
      ...ids.filter((_, i) => i % TYPES.length === k).map((id) => `        ${id}:`),
    ),
  );
  writeFileSync(join(dir, 'inventory/hosts.yml'), `${lines.join('\n')}\n`);
  const all = ['subscribed_branch: production', 'os_image:', ...TYPES.map((t) => `  ${t}: ${image(t)}`)];
  writeFileSync(join(dir, 'inventory/group_vars/all.yml'), `${all.join('\n')}\n`);
  git(dir, 'init', '-q', '-b', 'production');
  git(dir, 'add', '-A');
  git(dir, 'commit', '-qm', 'a fleet of twelve boards');
  return dir;
}

/** One `fleetplay run`, and the deployment creates the server answered during it (its own request log). */
async function run(mender_api: Record<string, unknown> = {}) {
  await srv.admin('DELETE', 'requests');
  const r = await runIn(repo, srv, {
    extraVars: { mender_server: srv.url, mender_api: { base_delay_ms: 5, max_delay_ms: 40, ...mender_api } },
  });
  const creates = (await srv.requests()).filter((q) => q.method === 'POST' && q.path === DEPLOYMENTS);
  return {
    r,
    created: creates.filter((q) => q.status === 201).length,
    refused: creates.filter((q) => q.status !== 201),
  };
}

/** Fleet devices the server has a deployment of their image for, in any state. */
async function scheduled(): Promise<number> {
  const c = srv.client();
  const deps = await c.listDeployments({ type: 'software' });
  if (!deps.ok) throw new Error(deps.error.message);
  const ours = deps.value.filter((d) => d.name.startsWith('fleetplay production'));
  let n = 0;
  for (const d of ours) {
    const devs = await c.deploymentDevices(d.id);
    if (!devs.ok) throw new Error(devs.error.message);
    n += devs.value.length;
  }
  return n;
}

test('successive runs stay within the cap of 800 with 790 active from elsewhere and schedule every device', async () => {
  const perBoard = N / TYPES.length;
  // Run 1: room for 10 of the 12 deployments; the devices of the last two boards (by artifact name) wait.
  const first = await run();
  expect(first.refused).toEqual([]);
  expect(first.created).toBe(800 - ELSEWHERE);
  const deferred = planned(first.r, 'os', 'deferred');
  expect(deferred.length).toBeGreaterThanOrEqual(2 * Math.floor(perBoard));
  expect(deferred.length).toBeLessThanOrEqual(2 * Math.ceil(perBoard));
  const why = first.r.report.plan.find((p) => p.os.action === 'deferred')!.os.why;
  expect(why).toBe(
    'cap: 800 active deployments (790 from elsewhere, 0 of this fleet); 10 of 12 new deployments fit, the rest next run',
  );
  expect(first.r.text).toContain(`${deferred.length} deferred`);
  expect(first.r.exitCode).toBe(0);

  // Run 2 before anything finished: no room, nothing created, the same devices wait.
  const second = await run();
  expect([second.created, second.refused]).toEqual([0, []]);
  expect(planned(second.r, 'os', 'deferred')).toEqual(deferred);
  expect(second.r.report.plan.find((p) => p.os.action === 'deferred')!.os.why).toContain(
    '(790 from elsewhere, 10 of this fleet); 0 of 2 new deployments fit',
  );

  // The fleet's deployments finish (the ones from elsewhere stay: their devices are offline).
  await srv.admin('POST', 'clock/advance', { seconds: 600 });
  const third = await run();
  expect([third.created, third.refused]).toEqual([2, []]);
  expect(planned(third.r, 'os', 'deferred')).toEqual([]);
  expect(planned(third.r, 'os', 'deploy')).toEqual(deferred);
  expect(await scheduled()).toBe(N);

  // Converged: nothing to deploy, so the cap is not even asked; the report says what the rps budget saw.
  await srv.admin('POST', 'clock/advance', { seconds: 600 });
  const last = await run({ rps: 500 });
  expect([last.created, last.refused]).toEqual([0, []]);
  expect(planned(last.r, 'os', 'none')).toHaveLength(N);
  const budget = last.r.report.api.budget!;
  expect(budget).toEqual([
    {
      server: srv.url,
      rps_budget: 500,
      requests: last.r.report.api.requests,
      seconds: expect.any(Number),
      peak_rps: expect.any(Number),
    },
  ]);
  expect(budget[0].peak_rps).toBeGreaterThan(0);
  expect(budget[0].peak_rps).toBeLessThanOrEqual(500);
  // n requests 2 ms apart span at least (n - 1) × 2 ms (less a little: the first may wait for a connection).
  expect(budget[0].seconds).toBeGreaterThanOrEqual((0.95 * (budget[0].requests - 1)) / 500);
}, 120_000);
