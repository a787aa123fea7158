/**
 * Wave membership with --limit: the waves are cut from the whole stage (inventory and server),
 * never from the hosts a --limit leaves, so a limited run, an unlimited run and the monitor agree
 * on every device's wave. 200 devices on the embedded server (manual clock), the default playbook;
 * what was written is counted from the server's request log.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { StageRunResult } from '../../src/stage/index.js';
import { testServer, type TestServer } from '../ota/helpers.js';
import { generatedFleetDir, git as gitIn } from '../stage/helpers.js';
import { expectedWaves, runFleet } from './fleet-helpers.js';

const N = 200;
const CONFIG_DEPLOY = /^\/api\/management\/v1\/deviceconfig\/configurations\/device\/([^/]+)\/deploy$/;
const OS_DEPLOY = '/api/management/v1/deployments/deployments';
const MIN = 60;
const HOUR = 3600;

let srv: TestServer;
let dir: string;

function commit(o: { image: string; kiosk: boolean; waves: boolean }): void {
  const policy = ['rollout:', '  production:', '    waves: [1%, 10%, 50%, 100%]', '    max_failed: 1', '    soak: 2h'];
  writeFileSync(join(dir, 'fleetplay.yml'), ['stages: [main, production]', ...(o.waves ? policy : []), ''].join('\n'));
  const kiosk = o.kiosk ? ['kiosk_enabled: true', 'kiosk_url: https://kiosk.example.org/'] : [];
  writeFileSync(
    join(dir, 'inventory', 'group_vars', 'all.yml'),
    ['subscribed_branch: production', 'os_image:', `  raspberrypi4: ${o.image}`, ...kiosk, ''].join('\n'),
  );
  gitIn(dir, 'add', '-A');
  gitIn(dir, 'commit', '-qm', `release ${o.image}`);
}

beforeEach(async () => {
  srv = await testServer({
    spec: {
      artifacts: ['1.0.0', '1.1.0'].map((v) => ({ name: `fleet-os-${v}`, device_types_compatible: ['raspberrypi4'] })),
      generate: { count: N, device_types: ['raspberrypi4'], artifact_name: 'fleet-os-1.0.0' },
      start_time: '2026-03-01T00:00:00Z',
    },
  });
  dir = generatedFleetDir('fleetplay-limit-waves-', N);
  gitIn(dir, 'init', '-q', '-b', 'production');
}, 60_000);

afterEach(async () => {
  await srv.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Devices given an OS deployment and a configuration deployment since the last look. */
async function written(): Promise<{ os: string[]; config: string[] }> {
  const log = (await srv.requests()).filter((r) => r.method === 'POST' && r.status < 300);
  await srv.admin('DELETE', 'requests');
  return {
    os: log
      .filter((r) => r.path === OS_DEPLOY)
      .flatMap((r) => (r.body as { devices: string[] }).devices)
      .sort(),
    config: log.flatMap((r) => CONFIG_DEPLOY.exec(r.path)?.slice(1, 2) ?? []).sort(),
  };
}

async function run(limit?: string): Promise<StageRunResult & { step: Awaited<ReturnType<typeof written>> }> {
  const r = await runFleet(dir, srv.url, limit ? { limit } : {});
  return { ...r, step: await written() };
}

const advance = (seconds: number) => srv.admin('POST', 'clock/advance', { seconds });
const planOf = (r: StageRunResult, device: string) => r.report.plan.find((d) => d.device_id === device)!;

describe('wave membership with --limit', () => {
  it('a limited run schedules only the limited devices of the current wave; a limited device of a later wave gets later', async () => {
    commit({ image: 'fleet-os-1.0.0', kiosk: false, waves: false });
    expect((await run()).step.config).toHaveLength(N);
    await advance(10 * MIN);
    await written();

    commit({ image: 'fleet-os-1.1.0', kiosk: true, waves: true });
    const waves = expectedWaves(dir, N);
    expect(waves.map((w) => w.length)).toEqual([2, 18, 80, 100]);
    const [a, b] = waves[0];
    const [c, d] = [waves[1][0], waves[2][0]];

    // --limit names one device of wave 1, one of wave 2 and one of wave 3: only the first is written.
    const limited = await run([a, c, d].join(','));
    expect(limited.exitCode).toBe(0);
    expect(limited.step).toEqual({ os: [a], config: [a] });
    expect(planOf(limited, a)).toMatchObject({ wave: 1, os: { action: 'deploy' }, config: { action: 'set' } });
    const wait2 = 'wave 2 starts after wave 1 has finished and been healthy for 2h (2 of 2 devices not finished)';
    expect(planOf(limited, c)).toMatchObject({
      wave: 2,
      os: { action: 'later', wave: 2, why: wait2 },
      config: { action: 'later', wave: 2, why: wait2 },
    });
    expect(planOf(limited, d)).toMatchObject({ wave: 3, os: { action: 'later', why: `in wave 3; ${wait2}` } });
    expect(limited.report.plan.filter((p) => p.wave !== undefined)).toHaveLength(3);

    // The unlimited run agrees: the rest of wave 1, nothing of wave 2.
    const full = await run();
    expect(full.step).toEqual({ os: [b], config: [b] });
    expect(planOf(full, c).wave).toBe(2);
    expect(planOf(full, d).wave).toBe(3);

    // Wave 1 finished and soaked: a limited run naming wave 2 and wave 3 devices schedules wave 2's only.
    await advance(10 * MIN + 2 * HOUR);
    const next = await run([c, d].join(','));
    expect(next.step).toEqual({ os: [c], config: [c] });
    expect(planOf(next, d).os).toMatchObject({ action: 'later', wave: 3 });
  }, 300_000);
});
