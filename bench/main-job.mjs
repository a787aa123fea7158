#!/usr/bin/env node
// The main job (default playbook via `fleetplay run`) on generated fleets: wall time, requests per
// device, OS deployments created and peak RSS of the fleetplay process alone (the server runs in
// another process). Scenarios: `converged` (a warm-up run, the clock moved until every device
// reports, then the measured run) and `update` (every device needs a new OS image and config).
// Usage: npm run build && node bench/main-job.mjs [sizes=1000,10000,100000] [scenarios=converged,update] [--no-report]
// BENCH_CPU_PROF=DIR adds node --cpu-prof to the fleetplay runs.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { watchPeakRss } from './peak-rss.mjs';
import { adminCall, cli, spawnServer, TOKEN } from './server-process.mjs';
import { commitAll, fleetRepo, TYPES, writeFleetVars } from './fleet-repo.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const withReport = !process.argv.includes('--no-report');
const sizes = (args[0] ?? '1000,10000,100000').split(',').map(Number);
const scenarios = (args[1] ?? 'converged,update').split(',');
// The environment workflows/update-fleet.yml gives `fleetplay run` (its literal values: NODE_OPTIONS,
// ANSIBLE_DISPLAY_*), so the bench measures what CI runs. BENCH_NODE_OPTIONS= measures without.
const workflow = parse(readFileSync(join(root, 'workflows/update-fleet.yml'), 'utf8'));
const runStep = Object.values(workflow.jobs)
  .flatMap((j) => j.steps ?? [])
  .find((s) => /fleetplay run/.test(s.run ?? ''));
const WORKFLOW_ENV = Object.fromEntries(
  Object.entries(runStep.env).filter(([, v]) => typeof v === 'string' && !v.includes('${{')),
);
if (process.env.BENCH_NODE_OPTIONS !== undefined) WORKFLOW_ENV.NODE_OPTIONS = process.env.BENCH_NODE_OPTIONS;
const id = (i) => `00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`;

function startServer(n) {
  const spec = {
    artifacts: ['1.0.0', '1.1.0'].map((v) => ({ name: `fleet-os-${v}`, device_types_compatible: TYPES })),
    generate: { count: n, device_types: TYPES, artifact_name: 'fleet-os-1.0.0' },
  };
  const dir = mkdtempSync(join(tmpdir(), 'fleetplay-bench-spec-'));
  writeFileSync(join(dir, 'spec.json'), JSON.stringify(spec));
  return spawnServer(['--memory', '--clock', 'manual', '--spec', join(dir, 'spec.json')], { stderr: 'ignore' });
}

/** Runs fleetplay; peak RSS is the kernel's high-water mark (VmHWM) of that process. */
function fleetplay(dir) {
  return new Promise((ok) => {
    const t0 = performance.now();
    const extra = withReport ? ['--report', 'report.json'] : [];
    const prof = process.env.BENCH_CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_CPU_PROF] : [];
    const child = spawn(process.execPath, [...prof, cli, 'run', '--mode', 'run', ...extra], {
      cwd: dir,
      stdio: 'ignore',
      env: { ...process.env, ...WORKFLOW_ENV, MENDER_ACCESS_TOKEN: TOKEN },
    });
    const peakRss = watchPeakRss(child.pid);
    child.on('close', (code) => {
      ok({ code, seconds: (performance.now() - t0) / 1000, rss: peakRss() });
    });
  });
}

for (const n of sizes) {
  for (const scenario of scenarios) {
    const srv = await startServer(n);
    const ids = Array.from({ length: n }, (_, i) => id(i + 1));
    const dir = fleetRepo({ ids, url: srv.url, artifact: 'fleet-os-1.0.0', playbooks: join(root, 'playbooks') });
    if (scenario === 'converged') {
      const warm = await fleetplay(dir);
      await adminCall(srv.url, 'POST', 'clock/advance', { seconds: 3600 });
      console.error(`  warm-up ${n}: ${warm.seconds.toFixed(1)}s exit ${warm.code}`);
    } else {
      writeFleetVars(dir, srv.url, 'fleet-os-1.1.0');
      commitAll(dir, 'release 1.1.0');
    }
    const r = await fleetplay(dir);
    const rep = withReport ? JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) : undefined;
    const created = rep?.api.byEndpoint['POST /api/management/v1/deployments/deployments'] ?? 0;
    console.log(
      `${scenario.padEnd(9)} devices=${String(n).padStart(6)} exit=${r.code} wall=${r.seconds.toFixed(2)}s peakRSS=${(r.rss / 2 ** 20).toFixed(0)}MB` +
        (rep
          ? ` requests=${rep.api.requests} requests/device=${rep.api.perDevice.requests} writes=${rep.api.writes} osDeploymentsCreated=${created} changed=${Object.values(rep.recap).reduce((a, s) => a + s.changed, 0)}`
          : ''),
    );
    srv.child.kill();
    rmSync(dir, { recursive: true, force: true });
  }
}
