/**
 * A fleet large enough (2,500 devices) that the configurations are read by the worker thread,
 * through the built CLI and with the environment the update workflow gives it: the path a big
 * fleet takes in CI, end to end — first run schedules every device, second run changes nothing.
 */
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { testServer, TOKEN, type TestServer } from '../ota/helpers.js';
import { literalEnv, load, stepRunning } from '../workflows/steps.js';
import { ROOT, SECRETS, ensureBuilt, generatedFleetDir, serverWrites } from './helpers.js';

const N = 2500;
const cli = join(ROOT, 'dist/cli/main.js');
const CONFIG_READ = 'GET /api/management/v1/deviceconfig/configurations/device/{id}';
// The literal env of the workflow's run step (NODE_OPTIONS, ANSIBLE_DISPLAY_*).
const WORKFLOW_ENV = literalEnv(stepRunning(load('update-fleet.yml'), 'fleetplay run'));

let srv: TestServer;
let dir: string;
beforeAll(async () => {
  ensureBuilt();
  srv = await testServer({
    spec: {
      artifacts: [
        { name: 'fleet-os-1.1.0', device_types_compatible: ['raspberrypi4'] },
        { name: 'fleet-os-1.0.0', device_types_compatible: ['raspberrypi4'] },
      ],
      generate: { count: N, device_types: ['raspberrypi4'], artifact_name: 'fleet-os-1.0.0' },
    },
  });
  dir = generatedFleetDir('fleetplay-large-', N);
  writeFileSync(
    join(dir, 'inventory', 'group_vars', 'all.yml'),
    [
      'subscribed_branch: production',
      'os_image:',
      '  raspberrypi4: fleet-os-1.1.0',
      'kiosk_enabled: true',
      'kiosk_url: https://kiosk.example.org/{{ inventory_hostname }}',
      '',
    ].join('\n'),
  );
  const git = (...a: string[]) =>
    execFileSync('git', a, {
      cwd: dir,
      env: {
        ...process.env,
        GIT_AUTHOR_NAME: 't',
        GIT_AUTHOR_EMAIL: 't@e',
        GIT_COMMITTER_NAME: 't',
        GIT_COMMITTER_EMAIL: 't@e',
      },
    });
  git('init', '-q', '-b', 'production');
  git('add', '-A');
  git('commit', '-qm', 'a large fleet');
});
afterAll(async () => {
  await srv.close();
  rmSync(dir, { recursive: true, force: true });
});

function run(): Promise<{
  code: number | null;
  out: string;
  report: {
    exitCode: number;
    stage: Record<string, unknown>;
    api: { byEndpoint: Record<string, number>; writes: number };
    recap: Record<string, { changed: number; failed: number }>;
  };
}> {
  return new Promise((resolve) => {
    const args = [
      cli,
      '--log-level',
      'debug',
      'run',
      '--mode',
      'run',
      '--report',
      'report.json',
      '-e',
      `mender_server=${srv.url}`,
    ];
    const child = spawn(process.execPath, args, {
      cwd: dir,
      env: { PATH: process.env.PATH ?? '', ...WORKFLOW_ENV, MENDER_ACCESS_TOKEN: TOKEN, ...SECRETS },
    });
    let out = '';
    child.stdout.on('data', (c) => (out += String(c)));
    child.stderr.on('data', (c) => (out += String(c)));
    child.on('close', (code) =>
      resolve({ code, out, report: JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) }),
    );
  });
}

test(`${N} devices: the worker thread reads the configurations; every device is scheduled once, then nothing changes`, async () => {
  const first = await run();
  expect(first.code).toBe(0);
  expect(first.out).toContain('debug: reading device configurations in a worker thread {"devices":2500}');
  expect(first.report.stage).toMatchObject({
    subscribed: N,
    failed: 0,
    os: { deploy: N },
    config: { deploy: N },
    artifacts: { 'fleet-os-1.1.0': N },
  });
  expect(first.report.api.byEndpoint[CONFIG_READ]).toBe(N);
  const writes = await serverWrites(srv);
  // One deployment per 1000 devices, one PUT and one deploy of the configuration per device.
  expect(writes.filter((w) => w.path === '/api/management/v1/deployments/deployments')).toHaveLength(3);
  expect(writes.filter((w) => w.method === 'PUT' && w.path.includes('/deviceconfig/'))).toHaveLength(N);
  // The workflow's display settings: changed lines only, no ok/skipped line per device.
  expect(first.out).not.toMatch(/^ok: \[/m);
  expect(first.out).not.toMatch(/^skipping: \[/m);
  expect(first.out.match(/^changed: \[/gm)?.length).toBe(2 * N);
  for (const secret of [TOKEN, ...Object.values(SECRETS)]) expect(first.out).not.toContain(secret);

  await srv.admin('DELETE', 'requests');
  const second = await run();
  expect(second.code).toBe(0);
  expect(Object.values(second.report.recap).reduce((n, s) => n + s.changed, 0)).toBe(0);
  expect(await serverWrites(srv)).toEqual([]);
  expect(second.report.api.byEndpoint[CONFIG_READ]).toBe(N);
  expect(second.out).toMatch(/reading device configurations in a worker thread/);
}, 120_000);
