#!/usr/bin/env node
// `fleetplay monitor` of a large fleet, the embedded server in a separate process (manual clock).
// The fleet is mid-rollout: os-1.1 scheduled to every device in deployments of 1000, the clock
// moved so devices are pending, downloading, installing, rebooting, converged, and 1% failed.
// The desired state comes from a run report (--report), as after `fleetplay run --report`.
// Usage: npm run build && node bench/monitor.mjs [devices=100000] [runs=3]
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { MenderClient } from '../dist/ota/client.js';
import { generatedDeviceId } from '../dist/server/spec.js';

const n = Number(process.argv[2] ?? 100_000);
const runs = Number(process.argv[3] ?? 3);
const token = 'bench-token-0123456789';
const dir = mkdtempSync(join(tmpdir(), 'fleetplay-bench-monitor-'));
const cli = new URL('../dist/cli/main.js', import.meta.url).pathname;

const spec = {
  artifacts: [{ name: 'os-1.1', device_types_compatible: ['raspberrypi4'] }],
  generate: { count: n, device_types: ['raspberrypi4'], artifact_name: 'os-1.0' },
  failures: { rate: 0.01, devices: [], artifacts: [] },
  start_time: '2026-03-01T00:00:00Z',
};
writeFileSync(join(dir, 'spec.json'), JSON.stringify(spec));

const server = spawn(process.execPath, [cli, 'server', '--memory', '--clock', 'manual', '--port', '0', '--token', token, '--spec', join(dir, 'spec.json')], { stdio: ['ignore', 'pipe', 'inherit'] });
const url = await new Promise((resolve) => createInterface({ input: server.stdout }).once('line', (l) => resolve(l.trim())));

const ids = Array.from({ length: n }, (_, i) => generatedDeviceId(i + 1));
const client = new MenderClient({ url, auth: { kind: 'token', token } });
const batches = [];
for (let i = 0; i < n; i += 1000) batches.push(ids.slice(i, i + 1000));
await Promise.all(batches.map((devices, i) => client.createDeployment({ name: `bench os-1.1 ${i + 1}/${batches.length}`, artifact_name: 'os-1.1', devices })));
client.close();
await fetch(`${url}/api/admin/v1/clock/advance`, { method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }, body: JSON.stringify({ seconds: 75 }) });

const now = new Date().toISOString();
const report = {
  schema: 'fleetplay.run-report/1', playbook: 'playbooks/manage-fleet.yml', mode: 'run', checkMode: false, diff: false,
  branch: 'canary', commit: 'a'.repeat(40), startedAt: now, finishedAt: now, durationMs: 0, exitCode: 0,
  recap: {}, results: [], errors: [], api: { requests: 0, byEndpoint: {} },
  plan: ids.map((host) => ({ host, kind: 'os', from: 'os-1.0', to: 'os-1.1', why: 'os-1.0 is installed, the repository wants os-1.1', task: 'OS image' })),
};
writeFileSync(join(dir, 'report.json'), JSON.stringify(report));

const args = [cli, 'monitor', '--report', join(dir, 'report.json'), '--repo', dir, '--max-failed', '2%', '--json'];
const env = { ...process.env, MENDER_SERVER_URL: url, MENDER_ACCESS_TOKEN: token, GITHUB_TOKEN: '', GITHUB_STEP_SUMMARY: '' };
const times = [];
let last;
for (let r = 0; r < runs; r++) {
  const t0 = performance.now();
  const p = spawnSync(process.execPath, args, { env, encoding: 'utf8', maxBuffer: 1 << 30 });
  times.push(performance.now() - t0);
  if (p.status !== 0 && p.status !== 3) throw new Error(`monitor exited ${p.status}: ${p.stderr}`);
  last = JSON.parse(p.stdout);
}
server.kill();
times.sort((a, b) => a - b);
const counts = Object.entries(last.counts).filter(([, v]) => v > 0).map(([k, v]) => `${k}=${v}`).join(' ');
console.log(`devices=${n} runs=${runs} median=${(times[Math.floor(runs / 2)] / 1000).toFixed(2)}s min=${(times[0] / 1000).toFixed(2)}s max=${(times[runs - 1] / 1000).toFixed(2)}s requests=${last.api.requests} (${(last.api.requests / n).toFixed(4)}/device) states: ${counts}`);
console.log(`requests by endpoint: ${JSON.stringify(last.api.byEndpoint)}`);
