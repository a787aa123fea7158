#!/usr/bin/env node
// The cap of active deployments at scale: N devices (default 10,000) across 12 artifacts while 790
// deployments from elsewhere are active (created directly on the embedded server, to offline
// devices, so they stay active; the server caps at hosted Mender's 800). Successive `fleetplay run`s
// of the built CLI, the manual clock moved between them so the fleet's deployments finish, until a
// run defers no device. Per run: wall time, deployments created and requests refused (422) per
// the server's request tally, devices deferred; at the end the fleet devices with a deployment of
// their image and the most deployments active at once (the server's peak). The fleet is
// src/server/board-fleet.ts, as in test/stage/cap.test.ts.
// Usage: npm run build && node bench/cap.mjs [devices=10000]
import { execFileSync, spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { boardFleet } from '../dist/server/index.js';
import { adminCall, cli, spawnServer, TOKEN } from './server-process.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const N = Number(process.argv[2] ?? 10_000);
const DEPLOYMENTS = '/api/management/v1/deployments/deployments';
const work = mkdtempSync(join(tmpdir(), 'fleetplay-bench-cap-'));
const fleet = boardFleet({ devices: N, boards: 12, elsewhere: 790, stage: 'production' });

writeFileSync(join(work, 'spec.json'), JSON.stringify(fleet.spec));
const srv = await spawnServer(['--memory', '--clock', 'manual', '--spec', join(work, 'spec.json')], {
  stderr: 'ignore',
});
const api = (method, path, body) =>
  fetch(`${srv.url}${path}`, {
    method,
    headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
for (const body of fleet.elsewhere) {
  const r = await api('POST', DEPLOYMENTS, body);
  if (r.status !== 201) throw new Error(`deployment from elsewhere: HTTP ${r.status}`);
}

const dir = join(work, 'fleet');
cpSync(join(root, 'playbooks'), join(dir, 'playbooks'), { recursive: true });
for (const [path, text] of Object.entries(fleet.files)) {
  mkdirSync(dirname(join(dir, path)), { recursive: true });
  writeFileSync(join(dir, path), text);
}
const env = {
  ...process.env,
  GIT_AUTHOR_NAME: 'b',
  GIT_AUTHOR_EMAIL: 'b@e',
  GIT_COMMITTER_NAME: 'b',
  GIT_COMMITTER_EMAIL: 'b@e',
};
execFileSync('git', ['init', '-q', '-b', 'production'], { cwd: dir });
execFileSync('git', ['add', '-A'], { cwd: dir });
execFileSync('git', ['commit', '-qm', 'fleet'], { cwd: dir, env });

function fleetplay() {
  return new Promise((ok) => {
    const t0 = performance.now();
    const child = spawn(
      process.execPath,
      [cli, 'run', '--mode', 'run', '--server', srv.url, '--report', 'report.json'],
      {
        cwd: dir,
        stdio: 'ignore',
        env: { ...process.env, MENDER_ACCESS_TOKEN: TOKEN },
      },
    );
    child.on('close', (code) => ok({ code, seconds: (performance.now() - t0) / 1000 }));
  });
}

/** The fleet's deployments on the server, and the devices they name. */
async function ours() {
  const out = [];
  for (let page = 1; ; page++) {
    const q = `per_page=500&page=${page}&type=software`;
    const list = await (await api('GET', `/api/management/v2/deployments/deployments?${q}`)).json();
    out.push(...list.filter((d) => d.name.startsWith('fleetplay production')));
    if (list.length < 500) return out;
  }
}

// The server's request tally counts every request of a run (its log keeps the last 10,000 only):
// creates made (201) and refused (422, of any request) per run.
let refusedTotal = 0;
for (let run = 1; run <= 6; run++) {
  await adminCall(srv.url, 'DELETE', 'requests');
  const r = await fleetplay();
  const tally = await adminCall(srv.url, 'GET', 'requests/tally');
  const made = tally[`POST ${DEPLOYMENTS}`]?.['201'] ?? 0;
  const refused = Object.values(tally).reduce((n, byStatus) => n + (byStatus['422'] ?? 0), 0);
  refusedTotal += refused;
  const rep = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8'));
  const deferred = rep.plan.filter((p) => p.os.action === 'deferred');
  console.log(
    `run ${run}: devices=${N} exit=${r.code} wall=${r.seconds.toFixed(1)}s created=${made} refused=${refused} deferred=${deferred.length} requests=${rep.api.requests}` +
      (deferred.length ? ` why="${deferred[0].os.why}"` : ''),
  );
  if (deferred.length === 0) break;
  await adminCall(srv.url, 'POST', 'clock/advance', { seconds: 3600 });
}

const scheduled = (await ours()).reduce((n, d) => n + d.device_count, 0);
const { cap, peak } = await adminCall(srv.url, 'GET', 'deployments/active');
console.log(`scheduled=${scheduled} of ${N}; refused over all runs=${refusedTotal}; peak active=${peak} (cap ${cap})`);
srv.child.kill();
rmSync(work, { recursive: true, force: true });
