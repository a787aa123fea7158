/**
 * Waves end to end: 1,000 devices on the embedded server (manual clock), the default playbook,
 * `rollout: production: {waves: [1%, 10%, 50%, 100%], max_failed: 1, soak: 2h}` in fleetplay.yml.
 * Every OS deployment the server was asked to create is counted from its request log (collected
 * after each run, as the log is bounded), so "no device of a later wave was ever scheduled" is
 * the server's word, not the plan's.
 */
import { spawn } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ExitCode } from '../../src/errors/index.js';
import { type StageRunResult } from '../../src/stage/index.js';
import { testServer, TOKEN, type TestServer } from '../ota/helpers.js';
import { BAD, GOOD, policyWaves, release as rel, waveFleetSpec } from './wave-fleet.js';
import { monitorOnce, runFleet } from './fleet-helpers.js';
import { ROOT, SECRETS, ensureBuilt, generatedFleetDir, git as gitIn } from '../stage/helpers.js';

const N = 1000;
const DEPLOYMENTS = '/api/management/v1/deployments/deployments';
const POLICY = ['  production:', '    waves: [1%, 10%, 50%, 100%]', '    max_failed: 1', '    soak: 2h'];

let srv: TestServer;
let dir: string;

const git = (...a: string[]) => gitIn(dir, ...a);

/** Commits production wanting `image` on every device. */
const release = (image: string, onHalt = 'keep') => rel(dir, image, [...POLICY, `    on_halt: ${onHalt}`]);

beforeEach(async () => {
  srv = await testServer({ spec: waveFleetSpec(N) });
  dir = generatedFleetDir('fleetplay-waves-', N);
  git('init', '-q', '-b', 'production');
}, 60_000);

afterEach(async () => {
  await srv.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Devices named by the OS deployments the server created, over the whole test. */
const scheduled: string[] = [];
beforeEach(() => {
  scheduled.length = 0;
});

/** Moves the server's log into `scheduled` and `writes`: what this step wrote. */
async function collect(): Promise<{ os: string[]; writes: number; list: string[] }> {
  const log = await srv.requests();
  await srv.admin('DELETE', 'requests');
  const w = log.filter((r) => r.method !== 'GET' && !/filters\/search$|statistics\/list$|auth\/login$/.test(r.path));
  const os = w
    .filter((r) => r.method === 'POST' && r.path === DEPLOYMENTS && r.status < 300)
    .flatMap((r) => (r.body as { devices: string[] }).devices);
  scheduled.push(...os);
  return { os, writes: w.length, list: w.map((r) => `${r.method} ${r.path}`) };
}

async function run(): Promise<StageRunResult & { step: Awaited<ReturnType<typeof collect>>; text: string }> {
  const r = await runFleet(dir, srv.url);
  return { ...r, step: await collect() };
}

const advance = (seconds: number) => srv.admin('POST', 'clock/advance', { seconds });
const sorted = (xs: readonly string[]) => [...xs].sort();
const osActions = (r: StageRunResult) => {
  const n: Record<string, number> = {};
  for (const d of r.report.plan) n[d.os.action] = (n[d.os.action] ?? 0) + 1;
  return n;
};
const laterWhys = (r: StageRunResult) => [
  ...new Set(r.report.plan.flatMap((d) => (d.os.action === 'later' ? [d.os.why] : []))),
];

/** The waves as the policy cuts the fleet (the sizes are checked against the shares below). */
const expectedWaves = () => policyWaves(dir, N);

const MIN = 60;
const HOUR = 3600;

describe('rollout waves at 1,000 devices', () => {
  it('a bad policy stops the run before any request, with file, line and what to write', async () => {
    release(GOOD);
    writeFileSync(
      join(dir, 'fleetplay.yml'),
      'stages: [main, production]\nrollout:\n  production:\n    waves: [1%, 50%]\n',
    );
    git('commit', '-qam', 'a policy that never reaches every device');
    const r = await run();
    expect(r.exitCode).toBe(ExitCode.usage);
    expect(r.text).toContain(
      `ERROR! ${join(dir, 'fleetplay.yml')}:4:17: fleetplay.yml: rollout.production.waves.1: the last wave must be 100%`,
    );
    expect(r.text).toContain('hint: write e.g. "rollout: {production: {waves: [1%, 10%, 50%, 100%]');
    expect(await srv.requests()).toEqual([]);
  }, 60_000);

  it('a good release goes wave by wave, each after its soak; reruns write nothing', async () => {
    release(GOOD);
    const waves = expectedWaves();
    expect(waves.map((w) => w.length)).toEqual([10, 90, 400, 500]);

    for (const [k, wave] of waves.entries()) {
      const first = await run();
      expect(first.exitCode).toBe(ExitCode.ok);
      // Exactly this wave's devices get their deployment, in this run.
      expect(sorted(first.step.os)).toEqual(sorted(wave));
      expect(first.report.plan.filter((d) => d.os.action === 'deploy').map((d) => d.wave)).toEqual(
        wave.map(() => k + 1),
      );
      const later = waves.slice(k + 1).flat().length;
      expect(osActions(first).later ?? 0).toBe(later);
      // A rerun while the wave installs writes nothing; so does update-fleet.yml's hourly run, which
      // is this same `fleetplay run --mode run` on the stage branch (started by `fleetplay advance`).
      const again = await run();
      expect(again.step.writes).toBe(0);
      if (k === waves.length - 1) break;
      expect(laterWhys(again)).toContain(
        `wave ${k + 2} starts after wave ${k + 1} has finished and been healthy for 2h (${wave.length} of ${wave.length} devices not finished)`,
      );
      // The wave finishes (a few simulated minutes); the soak counts from its last finish.
      await advance(10 * MIN);
      const soaking = await run();
      expect(soaking.step.writes).toBe(0);
      expect(osActions(soaking).none).toBe(waves.slice(0, k + 1).flat().length);
      expect(laterWhys(soaking).find((w) => w.startsWith(`wave ${k + 2} `))).toMatch(
        new RegExp(`^wave ${k + 2} starts after wave ${k + 1} has been healthy for 2h; 1 h 5\\d min to go$`),
      );
      // Just before the soak ends: still nothing.
      await advance(HOUR + 45 * MIN);
      expect((await run()).step.writes).toBe(0);
      await advance(10 * MIN);
    }
    // Every device was scheduled exactly once, and runs after the last wave write nothing.
    expect(sorted(scheduled)).toEqual(sorted(waves.flat()));
    expect(new Set(scheduled).size).toBe(N);
    await advance(10 * MIN);
    const done = await run();
    expect(done.step.writes).toBe(0);
    expect(osActions(done)).toEqual({ none: N });
  }, 600_000);

  it('a bad release halts after wave 1: no device of a later wave is ever scheduled', async () => {
    release(BAD);
    const [wave1] = expectedWaves();
    const first = await run();
    expect(sorted(first.step.os)).toEqual(sorted(wave1));
    await advance(10 * MIN);
    const halted = await run();
    expect(halted.step.writes).toBe(0);
    expect(laterWhys(halted)).toEqual(['halted at wave 1: 10 of 10 failed (at most 1)']);
    expect(osActions(halted)).toEqual({ held: 10, later: N - 10 });
    // Hours later, and again: the halt holds, nothing is written.
    await advance(5 * HOUR);
    expect((await run()).step.writes).toBe(0);
    expect(sorted(scheduled)).toEqual(sorted(wave1));

    // The monitor fails the stage's commit status with the halt's own words.
    const look = await monitorOnce(dir, srv.url);
    expect(look.code).toBe(ExitCode.hostFailed);
    expect(look.statuses).toEqual([
      expect.objectContaining({
        state: 'failure',
        context: 'fleetplay/production',
        description: 'halted at wave 1: 10 of 10 failed (at most 1)',
      }),
    ]);
    expect(look.text).toContain('halted at wave 1: 10 of 10 failed (at most 1)');
    // The monitor's dry run wrote nothing either.
    expect((await collect()).writes).toBe(0);
  }, 300_000);

  it('on_halt: abort aborts the deployment of the halted wave still pending, in one request', async () => {
    release(BAD, 'abort');
    const [wave1] = expectedWaves();
    // Three devices of wave 1 never check in: their deployment stays pending while the rest fail.
    const silent = sorted(wave1).slice(0, 3);
    for (const id of silent) await srv.admin('PUT', `devices/${id}`, { online: false });
    expect(sorted((await run()).step.os)).toEqual(sorted(wave1));
    await advance(10 * MIN);
    const halted = await run();
    expect(laterWhys(halted)).toEqual([
      'halted at wave 1: 7 of 10 failed (at most 1)',
      'halted at wave 1: 7 of 10 failed (at most 1); aborting its deployment',
    ]);
    expect(halted.step.writes).toBe(1);
    const aborted = halted.report.plan.flatMap((d) => (d.os.action === 'later' ? (d.os.abort ?? []) : []));
    expect(new Set(aborted).size).toBe(1);
    expect(halted.step.list).toEqual([`PUT ${DEPLOYMENTS}/${aborted[0]}/status`]);
    expect(halted.step.os).toEqual([]);
    expect(
      halted.report.plan
        .filter((d) => d.os.action === 'later' && d.os.abort?.length)
        .map((d) => d.device_id)
        .sort(),
    ).toEqual(silent);
    // Aborted: the rerun has nothing left to abort or deploy.
    expect((await run()).step.writes).toBe(0);
  }, 300_000);

  it.each([
    { name: 'the server makes the held deployment after the kill', fault: {} },
    { name: 'the held deployment never reaches the server', fault: { drop_rate: 1 } },
  ])(
    'SIGKILL between waves, then a rerun: $name; wave 2 is scheduled once',
    async ({ fault }) => {
      ensureBuilt();
      release(GOOD);
      const [wave1, wave2] = expectedWaves();
      expect(sorted((await run()).step.os)).toEqual(sorted(wave1));
      await advance(10 * MIN + 2 * HOUR);
      // The run that would schedule wave 2 is killed while the server holds its deployment.
      await srv.faults({ method: 'POST', path_prefix: DEPLOYMENTS, hold: true, ...fault });
      expect(await killedRun()).toBe('SIGKILL');
      await srv.faults(undefined);
      await until(async () => (await srv.admin<unknown>('GET', 'faults')) === null);
      await new Promise((r) => setTimeout(r, 200));
      const sent = (await collect()).os;
      expect(sent).toEqual('drop_rate' in fault ? [] : expect.arrayContaining(wave2));
      // The rerun reaches the state an uninterrupted run would have: wave 2 scheduled, once.
      const rerun = await run();
      expect(sorted(scheduled)).toEqual(sorted([...wave1, ...wave2]));
      expect(rerun.report.plan.filter((d) => d.os.action === 'wait').length).toBe(sent.length);
      expect(osActions(rerun).later).toBe(N - wave1.length - wave2.length);
      expect((await run()).step.writes).toBe(0);
    },
    300_000,
  );
});

/** `fleetplay run --mode run` (the built CLI), SIGKILLed once the server holds one of its requests. */
async function killedRun(): Promise<NodeJS.Signals | null> {
  const child = spawn(
    process.execPath,
    [join(ROOT, 'dist/cli/main.js'), 'run', '--mode', 'run', '-e', `mender_server=${srv.url}`],
    { cwd: dir, env: { PATH: process.env.PATH ?? '', MENDER_ACCESS_TOKEN: TOKEN, ...SECRETS }, stdio: 'ignore' },
  );
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_c, signal) => resolve(signal)));
  await until(async () => (await srv.admin<{ held: number }>('GET', 'faults')).held === 1);
  child.kill('SIGKILL');
  return exited;
}

/** Polls until `ready` holds, 60 s at most. */
async function until(ready: () => Promise<boolean>): Promise<void> {
  for (let waited = 0; waited < 60_000; waited += 50) {
    if (await ready()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('timed out');
}
