#!/usr/bin/env node
// What deciding the waves again at every look costs the monitor: N devices (default 1,000) in
// waves [1%, 10%, 50%, 100%] on the embedded server (in-process, manual clock), wave 1 installed
// and soaked, wave 2 scheduled and installing. The desired state comes from one dry run (timed:
// what re-planning by the playbook at every look would cost); then `looks` looks each without and
// with the wave watcher (src/monitor/waves.ts), alternating: wall time per look (median) and
// requests per look.
// Usage: npm run build && node bench/monitor-waves.mjs [devices=1000] [looks=9]
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { desiredFromEngine } from '../dist/monitor/desired.js';
import { snapshot } from '../dist/monitor/run.js';
import { waveWatch } from '../dist/monitor/waves.js';
import { MenderClient } from '../dist/ota/client.js';
import { rolloutPolicyOf } from '../dist/rollout/policy.js';
import { generatedDeviceId, startServer } from '../dist/server/index.js';
import { runStage } from '../dist/stage/index.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const n = Number(process.argv[2] ?? 1000);
const looks = Number(process.argv[3] ?? 9);
const TOKEN = 'bench-monitor-waves-token';
const ADMIN = 'bench-monitor-waves-admin';

const srv = await startServer({
  memory: true,
  clock: 'manual',
  tokens: [TOKEN],
  adminToken: ADMIN,
  spec: {
    artifacts: ['1.0.0', '1.1.0'].map((v) => ({ name: `fleet-os-${v}`, device_types_compatible: ['raspberrypi4'] })),
    generate: { count: n, device_types: ['raspberrypi4'], artifact_name: 'fleet-os-1.0.0' },
    start_time: '2026-03-01T00:00:00Z',
  },
});
const advance = (seconds) =>
  fetch(`${srv.url}/api/admin/v1/clock/advance`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${ADMIN}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ seconds }),
  });

const dir = mkdtempSync(join(tmpdir(), 'fleetplay-bench-monitor-waves-'));
cpSync(join(root, 'playbooks'), join(dir, 'playbooks'), { recursive: true });
mkdirSync(join(dir, 'inventory', 'group_vars'), { recursive: true });
const hosts = Array.from({ length: n }, (_, i) => `        ${generatedDeviceId(i + 1)}:`);
writeFileSync(
  join(dir, 'inventory/hosts.yml'),
  ['all:', '  children:', '    production:', '      hosts:', ...hosts, ''].join('\n'),
);
writeFileSync(
  join(dir, 'inventory/group_vars/all.yml'),
  'subscribed_branch: production\nos_image:\n  raspberrypi4: fleet-os-1.1.0\n',
);
writeFileSync(
  join(dir, 'fleetplay.yml'),
  'stages: [main, production]\nrollout:\n  production:\n    waves: [1%, 10%, 50%, 100%]\n    max_failed: 1\n    soak: 2h\n',
);
const git = (...a) => execFileSync('git', a, { cwd: dir, encoding: 'utf8' });
git('init', '-q', '-b', 'production');
git('add', '-A');
git('-c', 'user.email=b@example.com', '-c', 'user.name=bench', 'commit', '-qm', 'release');

const env = { PATH: process.env.PATH, MENDER_ACCESS_TOKEN: TOKEN };
const quiet = new Writable({ write: (_c, _e, cb) => cb() });
const run = () =>
  runStage({
    playbook: join(dir, 'playbooks/manage-fleet.yml'),
    inventory: [join(dir, 'inventory')],
    cwd: dir,
    mode: 'run',
    stdout: quiet,
    stderr: quiet,
    extraVars: { mender_server: srv.url },
    env,
  });
await run(); // wave 1
await advance(10 * 60 + 2 * 3600);
await run(); // wave 2
await advance(60);

const policy = rolloutPolicyOf(dir, 'production');
const t0 = performance.now();
const desired = await desiredFromEngine({
  playbook: join(dir, 'playbooks/manage-fleet.yml'),
  inventory: [join(dir, 'inventory')],
  branch: 'production',
  commit: null,
  server: srv.url,
  env,
  rollout: policy.value,
});
const dryRunMs = performance.now() - t0;
if (!desired.ok) throw new Error(desired.error.message);

const client = new MenderClient({ url: srv.url, auth: { kind: 'token', token: TOKEN } });
const opts = { branch: 'production', commit: null, offlineAfterMs: 3_600_000, maxFailed: { kind: 'count', n: 0 } };
const watch = waveWatch(client, policy.value, desired.value, async () => true);
const times = { plain: [], waves: [] };
const requests = { plain: [], waves: [] };
for (let i = 0; i < looks; i++) {
  for (const mode of ['plain', 'waves']) {
    const before = client.stats.snapshot().requests;
    const t = performance.now();
    const s = await snapshot(client, desired.value, opts, mode === 'waves' ? watch : undefined);
    times[mode].push(performance.now() - t);
    requests[mode].push(client.stats.snapshot().requests - before);
    if (!s.ok) throw new Error(s.error.message);
  }
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(
  JSON.stringify(
    {
      devices: n,
      looks,
      dry_run_ms: Math.round(dryRunMs),
      look_ms: { plain: Math.round(median(times.plain)), waves: Math.round(median(times.waves)) },
      requests_per_look: { plain: median(requests.plain), waves: median(requests.waves) },
      first_look_requests_with_waves: requests.waves[0],
    },
    null,
    2,
  ),
);
client.close();
await srv.close();
rmSync(dir, { recursive: true, force: true });
