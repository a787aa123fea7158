#!/usr/bin/env node
// `fleetplay monitor` of a large fleet mid-rollout, the embedded server in a separate process
// (manual clock): fleet-os-1.1.0 scheduled to every device, the clock moved so devices are
// downloading, installing, rebooting (and in report mode also pending, converged, 1% failed).
// Two modes, one look each:
//   report  the desired state from a run report (--report), as after `fleetplay run --report`;
//           the report is built with the engine's own emptyReport and written by writeReport,
//           which validates it against the RunReport schema (it cannot drift from it unnoticed).
//   engine  the default path of workflows/monitor-fleet.yml: no --report, the desired state
//           recomputed by an engine dry-run of playbooks/manage-fleet.yml in a fleet repository
//           (OS image and kiosk configuration per device), after a real `fleetplay run`.
// Wall time of the monitor process (median of runs), its peak RSS, requests and states.
// Usage: npm run build && node bench/monitor.mjs [devices=100000] [runs=3] [modes=report,engine]
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { watchPeakRss } from './peak-rss.mjs';
import { adminCall, cli, spawnServer, TOKEN } from './server-process.mjs';
import { fleetRepo, TYPES } from './fleet-repo.mjs';
import { emptyReport } from '../dist/engine/run.js';
import { writeReport } from '../dist/engine/report-file.js';
import { MenderClient } from '../dist/ota/client.js';
import { generatedDeviceId } from '../dist/server/spec.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const n = Number(process.argv[2] ?? 100_000);
const runs = Number(process.argv[3] ?? 3);
const modes = (process.argv[4] ?? 'report,engine').split(',');

const OLD = 'fleet-os-1.0.0';
const NEW = 'fleet-os-1.1.0';
const ids = Array.from({ length: n }, (_, i) => generatedDeviceId(i + 1));

async function startServer() {
  const dir = mkdtempSync(join(tmpdir(), 'fleetplay-bench-monitor-'));
  const spec = {
    artifacts: [OLD, NEW].map((name) => ({ name, device_types_compatible: TYPES })),
    generate: { count: n, device_types: TYPES, artifact_name: OLD },
    failures: { rate: 0.01, devices: [], artifacts: [] },
    start_time: '2026-03-01T00:00:00Z',
  };
  writeFileSync(join(dir, 'spec.json'), JSON.stringify(spec));
  const { child, url } = await spawnServer(['--memory', '--clock', 'manual', '--spec', join(dir, 'spec.json')]);
  return { child, url, dir };
}

const advance = (url, seconds) => adminCall(url, 'POST', 'clock/advance', { seconds });

/**
 * report mode: deployments of 1000 devices in 5 waves 25 simulated seconds apart (a device needs
 * ~100 s: poll, download, install, reboot), so at the look the early waves have converged or
 * failed and the late ones are pending or in progress; and the report of a run scheduling them.
 */
async function reportSetup(srv) {
  const client = new MenderClient({ url: srv.url, auth: { kind: 'token', token: TOKEN } });
  const batches = [];
  for (let i = 0; i < n; i += 1000) batches.push(ids.slice(i, i + 1000));
  const waves = 5;
  for (let w = 0; w < waves; w++) {
    const wave = batches.map((devices, i) => ({ devices, i })).filter(({ i }) => i % waves === w);
    await Promise.all(
      wave.map(({ devices, i }) =>
        client.createDeployment({ name: `bench ${NEW} ${i + 1}/${batches.length}`, artifact_name: NEW, devices }),
      ),
    );
    if (w < waves - 1) await advance(srv.url, 25);
  }
  client.close();
  const report = emptyReport(
    { playbook: join(root, 'playbooks/manage-fleet.yml'), inventory: [], branch: 'production', commit: 'a'.repeat(40) },
    'run',
    false,
    false,
    new Date(),
  );
  report.exitCode = 0;
  report.plan = ids.map((host) => ({
    host,
    device_id: host,
    os: { action: 'deploy', from: OLD, to: NEW, why: `${OLD} is installed, the repository wants ${NEW}` },
    config: { action: 'none' },
  }));
  const file = join(srv.dir, 'report.json');
  writeReport(file, report);
  return { cwd: srv.dir, args: ['--report', file, '--repo', srv.dir] };
}

/** engine mode: a fleet repository (every device in production, half of each type) and a real run. */
async function engineSetup(srv) {
  const dir = fleetRepo({
    ids,
    url: srv.url,
    artifact: NEW,
    playbooks: join(root, 'playbooks'),
    prefix: 'fleetplay-bench-monitor-repo-',
    message: `release ${NEW}`,
  });
  const run = await fleetplay(['run', '--mode', 'run'], dir);
  console.error(`  engine setup: fleetplay run scheduled the release in ${run.seconds.toFixed(1)}s (exit ${run.code})`);
  if (run.code !== 0) throw new Error(`fleetplay run exited ${run.code}`);
  return { cwd: dir, args: [], dryRun: () => fleetplay(['run', '--mode', 'dry-run'], dir) };
}

/** One fleetplay process: wall time, exit code, stdout, peak RSS (the kernel's VmHWM of that process). */
function fleetplay(args, cwd) {
  return new Promise((ok) => {
    const t0 = performance.now();
    // NODE_OPTIONS as workflows/monitor-fleet.yml sets it (BENCH_NODE_OPTIONS= to measure without).
    const env = {
      ...process.env,
      NODE_OPTIONS: process.env.BENCH_NODE_OPTIONS ?? '--max-semi-space-size=64',
      MENDER_ACCESS_TOKEN: TOKEN,
      GITHUB_TOKEN: '',
      GITHUB_STEP_SUMMARY: '',
    };
    const child = spawn(process.execPath, [cli, ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const out = [];
    let err = '';
    child.stdout.on('data', (c) => out.push(c));
    child.stderr.on('data', (c) => (err += c));
    const peakRss = watchPeakRss(child.pid);
    child.on('close', (code) => {
      ok({
        code,
        seconds: (performance.now() - t0) / 1000,
        rss: peakRss(),
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: err,
      });
    });
  });
}

for (const mode of modes) {
  const srv = await startServer();
  const setup = mode === 'engine' ? await engineSetup(srv) : await reportSetup(srv);
  // report: waves 120, 95, 70, 45 and 20 s old (done … pending); engine: everything in progress.
  await advance(srv.url, mode === 'engine' ? 75 : 20);
  const times = [];
  let last;
  for (let r = 0; r < runs; r++) {
    const p = await fleetplay(
      ['monitor', ...setup.args, '--server', srv.url, '--max-failed', '2%', '--json'],
      setup.cwd,
    );
    if (![0, 2, 3].includes(p.code)) throw new Error(`monitor exited ${p.code}: ${p.stderr}`);
    times.push(p);
    last = JSON.parse(p.stdout);
  }
  // For scale: the engine dry-run alone, the same work as the monitor's desired state (its own process).
  const dry = setup.dryRun ? await setup.dryRun() : undefined;
  srv.child.kill();
  rmSync(srv.dir, { recursive: true, force: true });
  if (setup.cwd !== srv.dir) rmSync(setup.cwd, { recursive: true, force: true });
  const secs = times.map((t) => t.seconds).sort((a, b) => a - b);
  const rss = Math.max(...times.map((t) => t.rss));
  const counts = Object.entries(last.counts)
    .filter(([, v]) => v > 0)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  console.log(
    `${mode.padEnd(6)} devices=${n} runs=${runs} median=${secs[Math.floor(runs / 2)].toFixed(2)}s min=${secs[0].toFixed(2)}s max=${secs[runs - 1].toFixed(2)}s peakRSS=${(rss / 2 ** 20).toFixed(0)}MB` +
      ` exit=${times.at(-1).code} requests=${last.api.requests} (${(last.api.requests / n).toFixed(4)}/device, the look only) states: ${counts}`,
  );
  console.log(`  requests by endpoint: ${JSON.stringify(last.api.byEndpoint)}`);
  if (dry)
    console.log(
      `  of which the desired state: \`fleetplay run --mode dry-run\` alone took ${dry.seconds.toFixed(2)}s, peakRSS=${(dry.rss / 2 ** 20).toFixed(0)}MB (exit ${dry.code})`,
    );
}
