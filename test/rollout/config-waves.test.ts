/**
 * Configuration changes in waves, end to end: 1,000 devices on the embedded server (manual
 * clock), the default playbook, `rollout: production: {waves: [1%, 10%, 50%, 100%], max_failed:
 * 1, soak: 2h}`. The server fails every configuration deployment that sets the bad kiosk URL
 * (failures.configurations), and every configuration deployment it was asked for is counted from
 * its request log: "no device of a later wave was ever configured" is the server's word.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ExitCode } from '../../src/errors/index.js';
import { waveRows } from '../../src/plan/index.js';
import type { StageRunResult } from '../../src/stage/index.js';
import { summaryMarkdown } from '../../src/stage/summary.js';
import { expectedWaves as wavesOf, monitorHalted, runFleet } from './fleet-helpers.js';
import { testServer, type TestServer } from '../ota/helpers.js';
import { generatedFleetDir, git as gitIn } from '../stage/helpers.js';

const N = 1000;
const CONFIG_DEPLOY = /^\/api\/management\/v1\/deviceconfig\/configurations\/device\/([^/]+)\/deploy$/;
const OS_DEPLOY = '/api/management/v1/deployments/deployments';
const BAD_URL = 'https://kiosk.invalid/broken';
const GOOD_URL = 'https://kiosk.example.org/';
const POLICY = ['rollout:', '  production:', '    waves: [1%, 10%, 50%, 100%]', '    max_failed: 1', '    soak: 2h'];
const MIN = 60;
const HOUR = 3600;

let srv: TestServer;
let dir: string;

/** Commits production wanting `image` and (with `kiosk`) the kiosk at that URL; `waves`: with the policy. */
function commit(o: { image?: string; kiosk?: string; waves: boolean }): void {
  writeFileSync(join(dir, 'fleetplay.yml'), ['stages: [main, production]', ...(o.waves ? POLICY : []), ''].join('\n'));
  const kiosk = o.kiosk ? ['kiosk_enabled: true', `kiosk_url: ${o.kiosk}`] : [];
  writeFileSync(
    join(dir, 'inventory', 'group_vars', 'all.yml'),
    ['subscribed_branch: production', 'os_image:', `  raspberrypi4: ${o.image ?? 'fleet-os-1.0.0'}`, ...kiosk, ''].join(
      '\n',
    ),
  );
  gitIn(dir, 'add', '-A');
  gitIn(dir, 'commit', '-qm', `release ${o.image ?? ''} ${o.kiosk ?? ''}`);
}

beforeEach(async () => {
  srv = await testServer({
    spec: {
      artifacts: ['1.0.0', '1.1.0'].map((v) => ({
        name: `fleet-os-${v}`,
        device_types_compatible: ['raspberrypi4'],
      })),
      generate: { count: N, device_types: ['raspberrypi4'], artifact_name: 'fleet-os-1.0.0' },
      failures: { configurations: [{ kiosk_url: BAD_URL }] },
      start_time: '2026-03-01T00:00:00Z',
    },
  });
  dir = generatedFleetDir('fleetplay-config-waves-', N);
  gitIn(dir, 'init', '-q', '-b', 'production');
}, 60_000);

afterEach(async () => {
  await srv.close();
  rmSync(dir, { recursive: true, force: true });
});

/** What a step wrote, from the server's request log (emptied after each step: it is bounded). */
async function collect(): Promise<{ config: string[]; os: string[]; writes: number }> {
  const log = await srv.requests();
  await srv.admin('DELETE', 'requests');
  const w = log.filter((r) => r.method !== 'GET' && !/filters\/search$|statistics\/list$|auth\/login$/.test(r.path));
  const config = w.flatMap((r) => {
    const m = r.method === 'POST' && r.status < 300 ? CONFIG_DEPLOY.exec(r.path) : null;
    return m ? [m[1]] : [];
  });
  const os = w
    .filter((r) => r.method === 'POST' && r.path === OS_DEPLOY && r.status < 300)
    .flatMap((r) => (r.body as { devices: string[] }).devices);
  return { config, os, writes: w.length };
}

async function run(): Promise<StageRunResult & { step: Awaited<ReturnType<typeof collect>>; text: string }> {
  const r = await runFleet(dir, srv.url);
  return { ...r, step: await collect() };
}

const advance = (seconds: number) => srv.admin('POST', 'clock/advance', { seconds });
const sorted = (xs: readonly string[]) => [...xs].sort();
const count = (r: StageRunResult, kind: 'os' | 'config') => {
  const n: Record<string, number> = {};
  for (const d of r.report.plan) n[d[kind].action] = (n[d[kind].action] ?? 0) + 1;
  return n;
};
const whys = (r: StageRunResult, kind: 'os' | 'config') => [
  ...new Set(r.report.plan.flatMap((d) => (d[kind].action === 'later' ? [d[kind].why] : []))),
];

/** The waves as the policy cuts the fleet. */
const expectedWaves = () => wavesOf(dir, N);

/** Every device configured (kiosk off) at once, before the stage had a policy. */
async function baseline(): Promise<void> {
  commit({ waves: false });
  expect((await run()).step.config).toHaveLength(N);
  await advance(10 * MIN);
  expect((await run()).step.writes).toBe(0);
}

describe('configuration changes roll out in waves (1,000 devices)', () => {
  it('a bad configuration halts after wave 1: no device of a later wave is ever configured; a fix starts again at wave 1', async () => {
    await baseline();
    commit({ kiosk: BAD_URL, waves: true });
    const [wave1] = expectedWaves();
    const first = await run();
    expect(first.exitCode).toBe(ExitCode.ok);
    expect(sorted(first.step.config)).toEqual(sorted(wave1));
    expect(count(first, 'config')).toEqual({ set: 10, later: N - 10 });
    expect(first.report.plan.find((d) => d.config.action === 'later')?.config).toMatchObject({
      action: 'later',
      added: ['kiosk_url'],
      changed: ['kiosk_enabled'],
    });
    expect(whys(first, 'config')[0]).toBe(
      'wave 2 starts after wave 1 has finished and been healthy for 2h (10 of 10 devices not finished)',
    );
    expect((await run()).step.writes).toBe(0);

    // The bad configuration fails on every device of wave 1: halted, nothing more is written.
    await advance(10 * MIN);
    const halted = await run();
    expect(halted.step.writes).toBe(0);
    expect(whys(halted, 'config')).toEqual(['halted at wave 1: 10 of 10 failed (at most 1)']);
    expect(count(halted, 'config')).toEqual({ later: N });
    expect(halted.report.plan.every((d) => d.config.action === 'later' && d.config.halted)).toBe(true);
    // The plan, the terminal and the job summary count wave 1's devices failed, the rest later.
    expect(waveRows(halted.report.plan).map((r) => [r.wave, r.devices, r.failed, r.later])).toEqual([
      [1, 10, 10, 0],
      [2, 90, 0, 90],
      [3, 400, 0, 400],
      [4, 500, 0, 500],
    ]);
    expect(halted.text).toContain(
      '  wave 1: 10 devices — 0 installed, 0 scheduled now, 0 in flight, 10 failed, 0 later',
    );
    expect(halted.text).toContain('  later: halted at wave 1: 10 of 10 failed (at most 1)');
    expect(summaryMarkdown(halted.report, halted.stage)).toContain('| 1 | 10 | 0 | 0 | 0 | 10 | 0 |');
    await advance(5 * HOUR);
    expect((await run()).step.writes).toBe(0);

    // The monitor fails the stage with the halt's words.
    await monitorHalted(dir, srv.url, 'halted at wave 1: 10 of 10 failed (at most 1)');
    expect((await collect()).writes).toBe(0);

    // A fixed configuration is a new commit: wave 1 again, and only wave 1.
    commit({ kiosk: GOOD_URL, waves: true });
    const fixed = await run();
    expect(sorted(fixed.step.config)).toEqual(sorted(wave1));
    expect(count(fixed, 'config')).toEqual({ set: 10, later: N - 10 });
  }, 600_000);

  it('an OS image and a bad configuration in one commit: one progression per device, the OS halts too', async () => {
    await baseline();
    commit({ image: 'fleet-os-1.1.0', kiosk: BAD_URL, waves: true });
    const [wave1] = expectedWaves();
    const first = await run();
    expect(sorted(first.step.os)).toEqual(sorted(wave1));
    expect(sorted(first.step.config)).toEqual(sorted(wave1));
    await advance(10 * MIN);
    // The image installed fine on wave 1, its configuration failed: the commit halts, OS included.
    const halted = await run();
    expect(halted.step.writes).toBe(0);
    expect(count(halted, 'os')).toEqual({ none: 10, later: N - 10 });
    expect(whys(halted, 'os')).toEqual(['halted at wave 1: 10 of 10 failed (at most 1)']);
    expect(count(halted, 'config')).toEqual({ later: N });
    expect(
      halted.report.plan
        .filter((d) => d.wave === 1)
        .map((d) => d.device_id)
        .sort(),
    ).toEqual(sorted(wave1));
  }, 600_000);
});
