#!/usr/bin/env node
// The cap of active deployments at scale: N devices (default 10,000) across 12 artifacts while 790
// deployments from elsewhere are active (created directly on the embedded server, to offline
// devices, so they stay active; the server caps at hosted Mender's 800). Successive `fleetplay run`s
// of the built CLI, the manual clock moved between them so the fleet's deployments finish, until a
// run defers no device. Per run: wall time, deployments created, creates the server refused
// (sent per the report, less made per the server's list), devices deferred; at the end the fleet devices with a deployment of their image.
// Usage: npm run build && node bench/cap.mjs [devices=10000]
import { execFileSync, spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { adminCall, cli, spawnServer, TOKEN } from './server-process.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const N = Number(process.argv[2] ?? 10_000);
const ELSEWHERE = 790;
const TYPES = Array.from({ length: 12 }, (_, k) => `board${String(k).padStart(2, '0')}`);
const image = (t) => `fleet-os-2-${t}`;
const id = (i) => `00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`;
const DEPLOYMENTS = '/api/management/v1/deployments/deployments';
const work = mkdtempSync(join(tmpdir(), 'fleetplay-bench-cap-'));

const spec = {
  artifacts: [
    ...TYPES.map((t) => ({ name: image(t), device_types_compatible: [t] })),
    { name: 'fleet-os-1', device_types_compatible: TYPES },
  ],
  generate: { count: N, device_types: TYPES, artifact_name: 'fleet-os-1' },
  devices: Array.from({ length: ELSEWHERE }, (_, i) => ({
    id: `elsewhere-${i}`,
    device_type: TYPES[0],
    artifact_name: 'fleet-os-1',
    online: false,
  })),
};
writeFileSync(join(work, 'spec.json'), JSON.stringify(spec));
const srv = await spawnServer(['--memory', '--clock', 'manual', '--spec', join(work, 'spec.json')], {
  stderr: 'ignore',
});
const api = (method, path, body) =>
  fetch(`${srv.url}${path}`, {
    method,
    headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
for (let i = 0; i < ELSEWHERE; i++) {
  const r = await api('POST', DEPLOYMENTS, {
    name: `other team ${i}`,
    artifact_name: image(TYPES[0]),
    devices: [`elsewhere-${i}`],
  });
  if (r.status !== 201) throw new Error(`deployment from elsewhere: HTTP ${r.status}`);
}

const dir = join(work, 'fleet');
cpSync(join(root, 'playbooks'), join(dir, 'playbooks'), { recursive: true });
mkdirSync(join(dir, 'inventory/group_vars'), { recursive: true });
const lines = ['all:', '  children:', '    production:', '      hosts:'];
for (let i = 1; i <= N; i++) lines.push(`        ${id(i)}:`);
TYPES.forEach((t, k) => {
  lines.push(`    ${t}:`, `      vars: {device_type: ${t}}`, '      hosts:');
  for (let i = k; i < N; i += TYPES.length) lines.push(`        ${id(i + 1)}:`);
});
writeFileSync(join(dir, 'inventory/hosts.yml'), `${lines.join('\n')}\n`);
writeFileSync(
  join(dir, 'inventory/group_vars/all.yml'),
  [
    `mender_server: ${srv.url}`,
    'subscribed_branch: production',
    'os_image:',
    ...TYPES.map((t) => `  ${t}: ${image(t)}`),
    '',
  ].join('\n'),
);
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
    const child = spawn(process.execPath, [cli, 'run', '--mode', 'run', '--report', 'report.json'], {
      cwd: dir,
      stdio: 'ignore',
      env: { ...process.env, MENDER_ACCESS_TOKEN: TOKEN },
    });
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

// The server's request log keeps the last 10,000 requests only: creates are counted from the
// report (sent) and the server's list (made); a refused create is one sent and not made.
let refusedTotal = 0;
for (let run = 1; run <= 6; run++) {
  const before = (await ours()).length;
  const r = await fleetplay();
  const made = (await ours()).length - before;
  const rep = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8'));
  const sent = rep.api.byEndpoint[`POST ${DEPLOYMENTS}`] ?? 0;
  refusedTotal += sent - made;
  const deferred = rep.plan.filter((p) => p.os.action === 'deferred');
  console.log(
    `run ${run}: devices=${N} exit=${r.code} wall=${r.seconds.toFixed(1)}s created=${made} refused=${sent - made} deferred=${deferred.length} requests=${rep.api.requests}` +
      (deferred.length ? ` why="${deferred[0].os.why}"` : ''),
  );
  if (deferred.length === 0) break;
  await adminCall(srv.url, 'POST', 'clock/advance', { seconds: 3600 });
}

const scheduled = (await ours()).reduce((n, d) => n + d.device_count, 0);
console.log(`scheduled=${scheduled} of ${N}; refused over all runs=${refusedTotal}`);
srv.child.kill();
rmSync(work, { recursive: true, force: true });
