#!/usr/bin/env node
// The converged main job of two (or more) checkouts against ONE embedded server, interleaved:
// `fleetplay run --mode run --report` of each checkout, with that checkout's own playbooks/, in
// turn (the order alternating every round) on the same 100k-device fleet. The server's own cost
// and state are the same for all, so the figures differ by the client alone; on a shared, noisy
// machine that is what makes a before/after of a few per cent readable (bench/main-job.mjs starts
// a server per run). Prints each run and the medians: wall, CPU (all threads / main thread), peak RSS.
// Usage: node bench/main-job-ab.mjs [devices=100000] [rounds=5] DIR_A DIR_B ...
//   each DIR a built checkout (dist/); the server is DIR_A's. Every run must write nothing.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { adminCall, spawnServer, TOKEN } from './server-process.mjs';
import { fleetRepo, TYPES } from './fleet-repo.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const [devices, rounds, ...dirs] = process.argv.slice(2);
if (dirs.length < 2) throw new Error('usage: node bench/main-job-ab.mjs DEVICES ROUNDS DIR_A DIR_B ...');
const n = Number(devices);
const roots = dirs.map((d) => resolve(d));
const id = (i) => `00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`;

const work = mkdtempSync(join(tmpdir(), 'fleetplay-ab-'));
const spec = {
  artifacts: [{ name: 'fleet-os-1.0.0', device_types_compatible: TYPES }],
  generate: { count: n, device_types: TYPES, artifact_name: 'fleet-os-1.0.0' },
};
writeFileSync(join(work, 'spec.json'), JSON.stringify(spec));
const srv = await spawnServer(['--memory', '--clock', 'manual', '--spec', join(work, 'spec.json')], {
  stderr: 'ignore',
});

// The environment of workflows/update-fleet.yml's run step, as bench/main-job.mjs gives it.
const ENV = { ANSIBLE_DISPLAY_OK_HOSTS: 'false', ANSIBLE_DISPLAY_SKIPPED_HOSTS: 'false', MENDER_ACCESS_TOKEN: TOKEN };

function run(root, repo) {
  const log = join(work, 'usage.jsonl');
  rmSync(log, { force: true });
  const args = ['--max-semi-space-size=64', '--import', join(here, 'usage-preload.mjs')];
  const cli = join(root, 'dist/cli/main.js');
  return new Promise((ok) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, [...args, cli, 'run', '--mode', 'run', '--report', 'report.json'], {
      cwd: repo,
      stdio: 'ignore',
      env: { ...process.env, ...ENV, FLEETPLAY_USAGE_LOG: log },
    });
    child.on('close', (code) => {
      const usage = JSON.parse(readFileSync(log, 'utf8').trim());
      const report = JSON.parse(readFileSync(join(repo, 'report.json'), 'utf8'));
      ok({ code, wall: (performance.now() - t0) / 1000, writes: report.api.writes, ...usage });
    });
  });
}

const ids = Array.from({ length: n }, (_, i) => id(i + 1));
// The fleet of bench/main-job.mjs, each checkout's with its own playbooks/.
const repos = roots.map((r) =>
  fleetRepo({
    ids,
    url: srv.url,
    artifact: 'fleet-os-1.0.0',
    playbooks: join(r, 'playbooks'),
    prefix: 'fleetplay-ab-repo-',
  }),
);
// Warm-up: each checkout configures the devices as it wants them, then the clock moves on (every
// device reports), then once more each; from then on a run writes nothing.
for (const k of roots.keys()) await run(roots[k], repos[k]);
await adminCall(srv.url, 'POST', 'clock/advance', { seconds: 3600 });
for (const k of roots.keys()) await run(roots[k], repos[k]);

const runs = roots.map(() => []);
for (let r = 0; r < Number(rounds); r++) {
  const order = r % 2 ? [...roots.keys()].reverse() : [...roots.keys()];
  for (const k of order) {
    const x = await run(roots[k], repos[k]);
    runs[k].push(x);
    console.log(
      `round ${r + 1} ${dirs[k]}: exit=${x.code} wall=${x.wall.toFixed(2)}s cpu=${x.cpuS}s main=${x.mainCpuS}s peakRSS=${x.peakRssMb}MB writes=${x.writes}`,
    );
    if (x.writes !== 0)
      console.log('  (this run wrote: the fleet is not converged for this checkout; its figures are not comparable)');
  }
}
const median = (a) => {
  const s = [...a].sort((x, y) => x - y);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
for (const k of roots.keys()) {
  const m = (key) => median(runs[k].map((x) => x[key]));
  console.log(
    `median ${dirs[k]}: wall=${m('wall').toFixed(2)}s cpu=${m('cpuS').toFixed(2)}s main=${m('mainCpuS').toFixed(2)}s peakRSS=${m('peakRssMb')}MB`,
  );
}
srv.child.kill();
rmSync(work, { recursive: true, force: true });
for (const r of repos) rmSync(r, { recursive: true, force: true });
