/**
 * The monitor left waiting on a stage that rolls out in waves, against the embedded server on its
 * manual clock (each look advances it) and the local GitHub stand-in: a wave that fails during the
 * wait halts the stage's status there and then; a wave whose soak ends during the wait starts the
 * update workflow on the stage branch, once; that run schedules the next wave.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { ExitCode } from '../../src/errors/index.js';
import { MONITOR_DEFAULTS, runMonitor } from '../../src/monitor/command.js';
import type { Snapshot } from '../../src/monitor/model.js';
import { runStage } from '../../src/stage/index.js';
import { startFakeGitHub, type FakeGitHub } from '../github/fake-github.js';
import { GitHubContract } from '../github/openapi.js';
import { testServer, TOKEN, type TestServer } from '../ota/helpers.js';
import { BAD, GOOD, policyWaves, waveFleetSpec } from './wave-fleet.js';
import { SECRETS, generatedFleetDir, git as gitIn } from '../stage/helpers.js';

const N = 200;
const DEPLOYMENTS = '/api/management/v1/deployments/deployments';
const DISPATCH = '/api/v3/repos/acme/fleet/actions/workflows/update-fleet.yml/dispatches';
const OP = 'actions/create-workflow-dispatch';
const MIN = 60_000;
const HOUR = 60 * MIN;
const contract = new GitHubContract();

let srv: TestServer;
let gh: FakeGitHub;
let dir: string;
/** Simulated ms since the monitor started (its `now`), and when each dispatch arrived. */
let clock = 0;
let dispatchedAt: number[] = [];

beforeEach(async () => {
  srv = await testServer({ spec: waveFleetSpec(N) });
  clock = 0;
  dispatchedAt = [];
  gh = await startFakeGitHub({
    prefix: '/api/v3',
    respond: (q) => void (q.path === DISPATCH && dispatchedAt.push(clock)),
  });
  dir = generatedFleetDir('fleetplay-monitor-waves-', N);
  gitIn(dir, 'init', '-q', '-b', 'production');
}, 60_000);

afterEach(async () => {
  await Promise.all([srv.close(), gh.close()]);
  rmSync(dir, { recursive: true, force: true });
});

/** Commits production wanting `image`, in waves [1%, 10%, 50%, 100%], at most 1 failure a wave, 2 h soak. */
function release(image: string): string[][] {
  writeFileSync(
    join(dir, 'fleetplay.yml'),
    'stages: [main, production]\nrollout:\n  production:\n    waves: [1%, 10%, 50%, 100%]\n    max_failed: 1\n    soak: 2h\n',
  );
  writeFileSync(
    join(dir, 'inventory', 'group_vars', 'all.yml'),
    `subscribed_branch: production\nos_image:\n  raspberrypi4: ${image}\n`,
  );
  gitIn(dir, 'add', '-A');
  gitIn(dir, 'commit', '-qm', `release ${image}`);
  return policyWaves(dir, N);
}

/** `fleetplay run` of the stage (what update-fleet.yml runs); the devices its OS deployments named. */
async function updateRun(): Promise<string[]> {
  await srv.admin('DELETE', 'requests');
  const r = await runStage({
    playbook: join(dir, 'playbooks/manage-fleet.yml'),
    inventory: [join(dir, 'inventory')],
    cwd: dir,
    mode: 'run',
    stdout: new Writable({ write: (_c, _e, cb) => cb() }),
    extraVars: { mender_server: srv.url, mender_api: { base_delay_ms: 5, max_delay_ms: 40 } },
    env: { PATH: process.env.PATH, MENDER_ACCESS_TOKEN: TOKEN, ...SECRETS },
  });
  expect(r.exitCode).toBe(ExitCode.ok);
  return (await srv.requests())
    .filter((q) => q.method === 'POST' && q.path === DEPLOYMENTS && q.status < 300)
    .flatMap((q) => (q.body as { devices: string[] }).devices)
    .sort();
}

interface Watched {
  code: number;
  out: string;
  snapshot: Snapshot;
}

/**
 * `fleetplay monitor --wait --json` in GitHub Actions (token, repository, the stand-in's URL), each
 * look `interval` apart on the server's clock; `between` runs after each sleep.
 */
async function watch(o: { interval: string; timeout: string; advance?: boolean; between?: () => Promise<void> }) {
  let out = '';
  let json = '';
  const code = await runMonitor(
    {
      inventory: [join(dir, 'inventory')],
      playbook: join(dir, 'playbooks/manage-fleet.yml'),
      repo: dir,
      server: srv.url,
      ...MONITOR_DEFAULTS,
      wait: true,
      json: true,
      interval: o.interval,
      timeout: o.timeout,
      ...(o.advance === false ? { advance: false } : {}),
    },
    {
      stdout: new Writable({ write: (c, _e, cb) => ((json += String(c)), cb()) }),
      stderr: new Writable({ write: (c, _e, cb) => ((out += String(c)), cb()) }),
      env: {
        PATH: process.env.PATH,
        MENDER_ACCESS_TOKEN: TOKEN,
        ...SECRETS,
        GITHUB_TOKEN: 'ghs_monitorWaves0123456789',
        GITHUB_REPOSITORY: 'acme/fleet',
        GITHUB_API_URL: gh.url,
      },
      sleep: async (ms) => {
        clock += ms;
        await srv.admin('POST', 'clock/advance', { seconds: Math.ceil(ms / 1000) });
        await o.between?.();
      },
      now: () => clock,
    },
  );
  return { code, out, snapshot: JSON.parse(json) as Snapshot } satisfies Watched;
}

const statuses = () =>
  gh.requests
    .filter((q) => q.path.includes('/statuses/'))
    .map((q) => JSON.parse(q.body) as { state: string; description: string });
const dispatches = () => gh.requests.filter((q) => q.path === DISPATCH);

test('a wave that fails while the monitor waits halts the stage at that look: failure with the halt in its words', async () => {
  const [wave1] = release(BAD);
  expect(await updateRun()).toEqual([...wave1].sort());
  const w = await watch({ interval: '5m', timeout: '3h' });
  expect(w.code).toBe(ExitCode.hostFailed);
  // It stopped at the first look after the failures, not at the timeout.
  expect(clock).toBeLessThan(HOUR);
  expect(statuses().map((s) => s.state)).toEqual(['pending', 'failure']);
  expect(statuses()[1].description).toBe('halted at wave 1: 2 of 2 failed (at most 1)');
  expect(w.snapshot.verdict.summary).toBe('halted at wave 1: 2 of 2 failed (at most 1)');
  expect(w.snapshot.rollout).toMatchObject({ halted: 'halted at wave 1: 2 of 2 failed (at most 1)' });
  expect(w.snapshot.rollout!.waves.map((r) => [r.failed, r.later])).toEqual([
    [2, 0],
    [0, 18],
    [0, 80],
    [0, 100],
  ]);
  expect(dispatches()).toEqual([]);
}, 300_000);

test.each([
  { advance: true, name: 'starts update-fleet.yml on the stage branch once' },
  { advance: false, name: 'with --no-advance only says so, once' },
])(
  'the soak of wave 1 ends while the monitor waits: it $name',
  async ({ advance }) => {
    const [wave1, wave2] = release(GOOD);
    expect(await updateRun()).toEqual([...wave1].sort());
    // Wave 1 installs within minutes, soaks 2 h; the monitor keeps looking for 2 h more.
    const w = await watch({ interval: '10m', timeout: '270m', advance });
    expect(w.code).toBe(ExitCode.inProgress);
    const said = w.out.split('\n').filter((l) => l.includes('may start'));
    if (!advance) {
      expect(dispatches()).toEqual([]);
      expect(said).toEqual(['fleetplay: wave 2 of production may start; update-fleet.yml not started (--no-advance)']);
      return;
    }
    expect(said).toEqual(['fleetplay: wave 2 of production may start; started update-fleet.yml on production']);
    const sent = dispatches();
    expect(sent).toHaveLength(1);
    expect(JSON.parse(sent[0].body)).toEqual({ ref: 'production', inputs: { mode: 'run' } });
    expect(contract.checkRequest(sent[0], OP, '/api/v3')).toEqual([]);
    const reply = gh.replies[gh.requests.indexOf(sent[0])];
    expect(contract.checkResponse(OP, reply.status, reply.body)).toEqual([]);
    // At the first look after the soak: 2 h after wave 1's last finish, within one interval.
    expect(dispatchedAt[0]).toBeGreaterThanOrEqual(2 * HOUR);
    expect(dispatchedAt[0]).toBeLessThanOrEqual(2 * HOUR + 30 * MIN);
    // No run came: wave 2 is due (pending, not drift), the commit stays pending.
    const due = w.snapshot.devices.filter((d) => wave2.includes(d.device));
    expect(new Set(due.map((d) => `${d.state}: ${d.why}`))).toEqual(
      new Set(['pending: wave 2 has started; the next update run schedules it']),
    );
    expect(w.snapshot.rollout!.waves[1]).toMatchObject({ wave: 2, scheduled: 18, later: 0 });
    expect(statuses().every((s) => s.state === 'pending')).toBe(true);
  },
  300_000,
);

test('monitor and update run together roll out every wave: one dispatch per wave, each run schedules the next wave', async () => {
  const waves = release(GOOD);
  expect(await updateRun()).toEqual([...waves[0]].sort());
  const runs: { at: number; scheduled: string[] }[] = [];
  // The dispatched workflow: a run of the stage after each dispatch the stand-in received.
  const between = async () => {
    if (dispatchedAt.length > runs.length) runs.push({ at: clock, scheduled: await updateRun() });
  };
  const w = await watch({ interval: '10m', timeout: '12h', between });
  expect(w.code).toBe(ExitCode.ok);
  expect(w.snapshot.counts.converged).toBe(N);
  expect(dispatches()).toHaveLength(3);
  expect(runs.map((r) => r.scheduled)).toEqual(waves.slice(1).map((x) => [...x].sort()));
  // Each wave after the soak of the one before: at least 2 h between dispatches.
  for (let k = 1; k < dispatchedAt.length; k++)
    expect(dispatchedAt[k] - dispatchedAt[k - 1]).toBeGreaterThanOrEqual(2 * HOUR);
  expect(statuses().at(-1)).toMatchObject({ state: 'success' });
}, 600_000);
