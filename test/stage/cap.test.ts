/**
 * Within the OTA server's cap of active deployments (hosted Mender: 800), end to end and at the
 * issue's scale: 10,000 devices across 12 artifacts while 790 deployments from elsewhere are in
 * flight (created directly on the embedded server, to offline devices, so they stay active).
 * Successive `fleetplay run`s on the manual clock never get the server's refusal (counted from its
 * request tally, which unlike its log holds every request of a 30,000-request run), never have
 * more than the cap active at once (the server's peak), and end with every device holding a
 * deployment of its board's image; the plan says which devices wait for room and why. The fleet is
 * src/server/board-fleet.ts, as in bench/cap.mjs (docs/performance.md).
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { boardFleet, generatedDeviceId, generatedDeviceType } from '../../src/server/index.js';
import { testServer, type TestServer } from '../ota/helpers.js';
import { RunReport } from '../../src/engine/index.js';
import { ensureBuilt, fleetplayCli, git, planned, ROOT, SECRETS, TOKEN } from './helpers.js';

const N = 10_000;
const CAP = 800; // the server's default and the client's: hosted Mender's
const ELSEWHERE = 790;
const BATCH = 1000; // mender_os_update's default batch_size: devices one deployment names at most
const fleet = boardFleet({ devices: N, boards: 12, elsewhere: ELSEWHERE, stage: 'production' });
const DEPLOYMENTS = '/api/management/v1/deployments/deployments';
const RPS_BUDGET = 1000;
/** The fleet's device ids, in order (also sorted: the ids are zero-padded). */
const IDS = Array.from({ length: N }, (_, i) => generatedDeviceId(i + 1));

// Why two runs: the fleet needs one deployment per board and batch (834 devices a board: one), 12
// in all; the cap leaves 800 - 790 = 10 places, and a place frees only when a deployment finishes
// (between runs here: the clock moves). So the runs that schedule create 10, then 2.
const NEEDED = fleet.boards.length * Math.ceil(Math.ceil(N / fleet.boards.length) / BATCH);
const ROOM = CAP - ELSEWHERE;
const PER_RUN = Array.from({ length: Math.ceil(NEEDED / ROOM) }, (_, k) => Math.min(ROOM, NEEDED - k * ROOM));

let srv: TestServer;
let work: string;
let repo: string;
beforeAll(async () => {
  // The runs are the built CLI's: the fleetplay process apart from the test's server, and its report.json.
  ensureBuilt();
  srv = await testServer({ spec: fleet.spec });
  const client = srv.client();
  for (const body of fleet.elsewhere) {
    const r = await client.createDeployment(body);
    if (!r.ok) throw new Error(r.error.message);
  }
  work = mkdtempSync(join(tmpdir(), 'fleetplay-cap-'));
  repo = fleetDir(join(work, 'fleet'));
}, 180_000);
afterAll(async () => {
  await srv.close();
  rmSync(work, { recursive: true, force: true });
});

/** The fleet repository on branch production, with this checkout's playbooks. */
function fleetDir(dir: string): string {
  cpSync(join(ROOT, 'playbooks'), join(dir, 'playbooks'), { recursive: true });
  for (const [path, text] of Object.entries(fleet.files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  git(dir, 'init', '-q', '-b', 'production');
  git(dir, 'add', '-A');
  git(dir, 'commit', '-qm', 'a fleet of twelve boards');
  return dir;
}

type Tally = Record<string, Record<string, number>>;
interface Active {
  cap: number;
  active: number;
  peak: number;
}

/** One `fleetplay run --report`, and what the server answered during it (its request tally: every request). */
async function run(mender_api: Record<string, unknown> = {}) {
  await srv.admin('DELETE', 'requests');
  const file = join(work, 'report.json');
  const vars = JSON.stringify({ mender_api: { base_delay_ms: 5, max_delay_ms: 40, ...mender_api } });
  const args = ['run', '--mode', 'run', '--server', srv.url, '-e', vars, '--report', file];
  const cli = await fleetplayCli(repo, args, { MENDER_ACCESS_TOKEN: TOKEN, ...SECRETS });
  const report = RunReport.parse(JSON.parse(readFileSync(file, 'utf8')));
  const tally = await srv.admin<Tally>('GET', 'requests/tally');
  const refused = Object.entries(tally).filter(([, byStatus]) => byStatus['422'] !== undefined);
  return { code: cli.code, stdout: cli.stdout, report, created: tally[`POST ${DEPLOYMENTS}`]?.['201'] ?? 0, refused };
}

const deferredWhy = (r: Awaited<ReturnType<typeof run>>) =>
  r.report.plan.find((p) => p.os.action === 'deferred')?.os.why;

/** Each device a deployment of this fleet names, with the image it carries and the device's type as the server knows it. */
async function deployedImages(): Promise<{ id: string; artifact: string; type?: string }[]> {
  const c = srv.client();
  const deps = await c.listDeployments({ type: 'software' });
  if (!deps.ok) throw new Error(deps.error.message);
  const out: { id: string; artifact: string; type?: string }[] = [];
  for (const d of deps.value.filter((d) => d.name.startsWith('fleetplay production'))) {
    const devs = await c.deploymentDevices(d.id);
    if (!devs.ok) throw new Error(devs.error.message);
    out.push(...devs.value.map((dev) => ({ id: dev.id, artifact: d.artifact_name, type: dev.device_type })));
  }
  return out;
}

test('10k devices, 12 artifacts, 790 active from elsewhere: no refusal, never above the cap, every device scheduled in two runs', async () => {
  expect(PER_RUN).toEqual([10, 2]);
  expect(await srv.admin<Active>('GET', 'deployments/active')).toEqual({
    cap: CAP,
    active: ELSEWHERE,
    peak: ELSEWHERE,
  });

  // Run 1: room for 10 of the 12 deployments; the devices of the last two boards (by artifact name) wait.
  const first = await run();
  expect([first.created, first.refused]).toEqual([PER_RUN[0], []]);
  const deferred = planned(first, 'os', 'deferred');
  const waiting = new Set(fleet.boards.slice(PER_RUN[0]));
  expect(deferred).toEqual(IDS.filter((_, i) => waiting.has(generatedDeviceType(fleet.boards, i + 1))).sort());
  expect(deferredWhy(first)).toBe(
    `cap: ${CAP} active deployments (${ELSEWHERE} from elsewhere, 0 of this fleet); 10 of 12 new deployments fit, the rest next run`,
  );
  // The plan's summary line (the whole text lists 10,000 devices: too much to print when this fails).
  const summary = first.stdout.split('\n').find((l) => l.includes('PLAN:'));
  expect(summary).toContain(`${deferred.length.toLocaleString('en-US')} deferred`);
  expect(first.code).toBe(0);
  expect(await srv.admin<Active>('GET', 'deployments/active')).toEqual({ cap: CAP, active: CAP, peak: CAP });

  // A rerun before anything finished: the fleet's own 10 count too, so no room, nothing sent, the same devices wait.
  const rerun = await run();
  expect([rerun.created, rerun.refused]).toEqual([0, []]);
  expect(planned(rerun, 'os', 'deferred')).toEqual(deferred);
  expect(deferredWhy(rerun)).toContain(`(${ELSEWHERE} from elsewhere, 10 of this fleet); 0 of 2 new deployments fit`);

  // The fleet's deployments finish (the ones from elsewhere stay: their devices are offline); run 2
  // schedules the rest within the requests-per-second budget.
  await srv.admin('POST', 'clock/advance', { seconds: 3600 });
  const second = await run({ rps: RPS_BUDGET });
  expect([second.created, second.refused]).toEqual([PER_RUN[1], []]);
  expect(planned(second, 'os', 'deferred')).toEqual([]);
  expect(planned(second, 'os', 'deploy')).toEqual(deferred);
  expect(second.code).toBe(0);
  expect(await srv.admin<Active>('GET', 'deployments/active')).toEqual({
    cap: CAP,
    active: ELSEWHERE + PER_RUN[1],
    peak: CAP,
  });

  // Every fleet device, and only those, has one deployment, of its own board's image.
  const images = await deployedImages();
  expect(images.map((d) => d.id).sort()).toEqual(IDS);
  expect(images.filter((d) => d.type === undefined || d.artifact !== fleet.image(d.type))).toEqual([]);

  // The report says how much of the budget run 2 used, and the budget held: n requests at most
  // RPS_BUDGET a second span at least (n - 1) / RPS_BUDGET seconds (less a little: the first may wait for a connection).
  const budget = second.report.api.budget!;
  expect(budget).toEqual([
    {
      server: srv.url,
      rps_budget: RPS_BUDGET,
      requests: second.report.api.requests,
      seconds: expect.any(Number),
      peak_rps: expect.any(Number),
    },
  ]);
  expect(budget[0].requests).toBeGreaterThan(N);
  expect(budget[0].peak_rps).toBeGreaterThan(0);
  expect(budget[0].peak_rps).toBeLessThanOrEqual(RPS_BUDGET);
  expect(budget[0].seconds).toBeGreaterThanOrEqual((0.95 * (budget[0].requests - 1)) / RPS_BUDGET);
}, 240_000);
