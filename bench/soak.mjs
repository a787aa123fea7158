#!/usr/bin/env node
// SIGKILL soak: `fleetplay run` killed at a random moment under injected faults, then run again
// without faults until it exits 0, then a third time, which must write nothing. Each trial has its
// own embedded server (a separate process, manual clock: no deployment finishes, so a duplicate
// stays visible) and its own git repository, every device due a new OS image and configuration.
// Counted from the server's state after the trial, device by device:
//   duplicates — two unfinished OS deployments of the same artifact for one device, or two
//                configuration deployments of the same configuration;
//   lost       — a device without an OS deployment of the desired image, or whose configured
//                configuration is not the desired one (a dry run's plan before any fault) or was
//                never deployed.
// The kill comes at a moment drawn over a whole faulty run (odd trials) or after a drawn number of
// served writes (even trials: the apply phase is short, and it is where a kill could duplicate).
// Usage: npm run build && node bench/soak.mjs [--trials 50] [--devices 200] [--fault-rate 0.2] [--seed 1]
//   [--window-seconds S: kill moments drawn in [0, S] instead of measuring a whole faulty run first]
//   [--plant duplicate|lost|both: make one of each after every trial, to show the counts see them]
// Prints a table on stderr and one JSON line on stdout; exits 1 when a count is not 0.
import { execFileSync, spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { adminCall, cli, spawnServer, TOKEN } from './server-process.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { values: opt } = parseArgs({
  options: {
    trials: { type: 'string', default: '50' },
    devices: { type: 'string', default: '200' },
    'fault-rate': { type: 'string', default: '0.2' },
    seed: { type: 'string', default: '1' },
    plant: { type: 'string' },
    'window-seconds': { type: 'string' },
  },
});
const TRIALS = Number(opt.trials);
const DEVICES = Number(opt.devices);
const FAULT_RATE = Number(opt['fault-rate']);
const TYPE = 'raspberrypi4';
const FROM = 'fleet-os-1.0.0';
const TO = 'fleet-os-1.1.0';
const M = '/api/management/v1';
/** Recovery runs after the kill before the trial counts as stuck. */
const MAX_RECOVERY_RUNS = 5;

/** xorshift32 from the seed: the same kill moments and fault draws for the same --seed. */
let rng = Number(opt.seed) >>> 0 || 1;
const random = () => {
  rng ^= rng << 13;
  rng ^= rng >>> 17;
  rng ^= rng << 5;
  rng >>>= 0;
  return rng / 2 ** 32;
};

const id = (i) => `00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s[(s.length - 1) >> 1] + s[s.length >> 1]) / 2 : 0;
};
/** JSON with sorted keys: two configurations are equal when their texts are. */
const canonical = (v) =>
  v && typeof v === 'object' && !Array.isArray(v)
    ? `{${Object.keys(v)
        .sort()
        .map((k) => `${JSON.stringify(k)}:${canonical(v[k])}`)
        .join(',')}}`
    : JSON.stringify(v);

/** A fresh server process: DEVICES devices of one type running FROM, the artifact TO uploaded. */
async function startFleetServer(dir) {
  const spec = {
    artifacts: [FROM, TO].map((name) => ({ name, device_types_compatible: [TYPE] })),
    generate: { count: DEVICES, device_types: [TYPE], artifact_name: FROM },
  };
  writeFileSync(join(dir, 'spec.json'), JSON.stringify(spec));
  return spawnServer(['--memory', '--clock', 'manual', '--spec', join(dir, 'spec.json')], { stderr: 'ignore' });
}

/** A fleet repository on branch production: every device wants TO and a kiosk configuration. */
function fleetRepo(dir, url) {
  cpSync(join(root, 'playbooks'), join(dir, 'playbooks'), { recursive: true });
  mkdirSync(join(dir, 'inventory/group_vars'), { recursive: true });
  const hosts = Array.from({ length: DEVICES }, (_, i) => `        ${id(i + 1)}:`);
  writeFileSync(
    join(dir, 'inventory/hosts.yml'),
    ['all:', '  children:', '    production:', '      hosts:', ...hosts, ''].join('\n'),
  );
  writeFileSync(
    join(dir, 'inventory/group_vars/all.yml'),
    [
      `mender_server: ${url}`,
      'subscribed_branch: production',
      `device_type: ${TYPE}`,
      `os_image: ${TO}`,
      'kiosk_enabled: true',
      'kiosk_url: https://kiosk.example.org/{{ inventory_hostname }}',
      '',
    ].join('\n'),
  );
  const env = { ...process.env, GIT_AUTHOR_NAME: 's', GIT_AUTHOR_EMAIL: 's@example.org' };
  Object.assign(env, { GIT_COMMITTER_NAME: 's', GIT_COMMITTER_EMAIL: 's@example.org' });
  execFileSync('git', ['init', '-q', '-b', 'production'], { cwd: dir });
  execFileSync('git', ['add', '-A'], { cwd: dir });
  execFileSync('git', ['commit', '-qm', 'fleet'], { cwd: dir, env });
}

/** Starts `fleetplay run`; `done` resolves with its exit code (null when killed) and seconds. */
function fleetplay(dir, mode) {
  const t0 = performance.now();
  const child = spawn(process.execPath, [cli, 'run', '--mode', mode, '--report', `report-${mode}.json`], {
    cwd: dir,
    stdio: 'ignore',
    env: { PATH: process.env.PATH ?? '', MENDER_ACCESS_TOKEN: TOKEN },
  });
  const done = new Promise((ok) => child.on('exit', (code) => ok({ code, seconds: (performance.now() - t0) / 1000 })));
  return { child, done };
}

/** GET on the management API, retried: the faults are off by then, but the checks must not guess. */
async function get(url, path) {
  const r = await fetch(url + path, { headers: { Authorization: `Bearer ${TOKEN}` } });
  if (!r.ok) throw new Error(`GET ${path}: HTTP ${r.status}`);
  return r.json();
}

/** Writes in a request log: searches and statistics lists are reads sent as POST. */
const writesIn = (log) =>
  log.filter((r) => r.method !== 'GET' && !/filters\/search$|statistics\/list$|auth\/login$/.test(r.path));

/** Where the killed run was, from the requests the server answered before and around the kill. */
function phaseOf(log) {
  const ok = writesIn(log).filter((r) => r.status < 300);
  if (ok.some((r) => r.path.startsWith(`${M}/deviceconfig/`))) return 'configuration';
  if (ok.some((r) => r.path === `${M}/deployments/deployments`)) return 'os-deployments';
  if (log.length) return 'reading';
  return 'starting';
}

/** The faults of one trial: 20% of management requests split over 5xx, 429 and dropped connections. */
const faultsFor = (trial) => ({
  error_rate: FAULT_RATE * 0.4,
  error_status: [500, 502, 503, 504][trial % 4],
  throttle_rate: FAULT_RATE * 0.3,
  retry_after: 1,
  drop_rate: FAULT_RATE * 0.3,
  seed: 1 + Math.floor(random() * 1e6),
});

/** What the dry run before any fault wants of each device's configuration, by device id. */
function desiredConfigs(dir) {
  const report = JSON.parse(readFileSync(join(dir, 'report-dry-run.json'), 'utf8'));
  const want = new Map();
  for (const p of report.plan) if (!p.other_stage && p.config.action === 'set') want.set(p.device_id, p.config.values);
  return want;
}

/** Duplicates and lost updates of every device, from the server's state. */
async function count(url, want) {
  const c = { duplicateOs: 0, duplicateConfig: 0, lostOs: 0, lostConfig: 0 };
  const check = async (device) => {
    const history = await get(url, `${M}/deployments/deployments/devices/${device}?per_page=20`);
    const deps = history.map((h) => h.deployment);
    const os = deps.filter((d) => d.type !== 'configuration' && d.artifact_name === TO && d.status !== 'finished');
    c.duplicateOs += Math.max(0, os.length - 1);
    if (os.length === 0) c.lostOs++;
    const configs = deps.filter((d) => d.type === 'configuration').map((d) => canonical(JSON.parse(d.configuration)));
    c.duplicateConfig += configs.length - new Set(configs).size;
    const configured = canonical((await get(url, `${M}/deviceconfig/configurations/device/${device}`)).configured);
    const wanted = canonical(want.get(device));
    if (configured !== wanted || !configs.includes(wanted)) c.lostConfig++;
  };
  const devices = Array.from({ length: DEVICES }, (_, i) => id(i + 1));
  for (let i = 0; i < devices.length; i += 16) await Promise.all(devices.slice(i, i + 16).map(check));
  return c;
}

/**
 * When to kill the run of trial `n`: odd trials at a moment drawn from the length of a whole run
 * (most of it is reading and planning), even ones once a number of writes drawn from the writes a
 * whole run makes has been served (the apply phase, which is short but where a kill can duplicate).
 */
function killMoment(n, windowSeconds) {
  if (n % 2) return { ms: Math.round(random() * windowSeconds * 1000) };
  return { writes: 1 + Math.floor(random() * (1 + 2 * DEVICES)) };
}

/** Resolves when the kill moment has come: the time has passed, or the server has served that many writes. */
async function reached(url, at) {
  if (at.writes === undefined) return sleep(at.ms);
  for (;;) {
    const served = writesIn(await adminCall(url, 'GET', 'requests')).filter((r) => r.status < 300).length;
    if (served >= at.writes) return;
    await sleep(20);
  }
}

/**
 * --plant duplicate|lost|both: after the trial, makes one of what the counts look for (a second OS
 * deployment for the first device, a second deployment of the second device's configuration; or
 * another configuration for the third device), to show that the counts see it.
 */
async function plant(url, what) {
  const call = (method, path, body) =>
    fetch(url + path, {
      method,
      headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
  const device = (i) => `${M}/deviceconfig/configurations/device/${id(i)}`;
  if (!['duplicate', 'lost', 'both'].includes(what)) throw new Error(`--plant ${what}: duplicate, lost or both`);
  if (what !== 'lost') {
    await call('POST', `${M}/deployments/deployments`, { name: 'planted', artifact_name: TO, devices: [id(1)] });
    await call('POST', `${device(2)}/deploy`, {});
  }
  if (what !== 'duplicate') await call('PUT', device(3), { kiosk_url: 'https://elsewhere.example.org' });
}

/** The length of a whole run under faults, without a kill: the window the kill moments are drawn from. */
async function calibrate() {
  const dir = mkdtempSync(join(tmpdir(), 'fleetplay-soak-'));
  const srv = await startFleetServer(dir);
  try {
    fleetRepo(dir, srv.url);
    await adminCall(srv.url, 'PUT', 'faults', faultsFor(0));
    return (await fleetplay(dir, 'run').done).seconds;
  } finally {
    srv.child.kill();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function trial(n, windowSeconds) {
  const t0 = performance.now();
  const dir = mkdtempSync(join(tmpdir(), 'fleetplay-soak-'));
  const srv = await startFleetServer(dir);
  try {
    fleetRepo(dir, srv.url);
    const dry = await fleetplay(dir, 'dry-run').done;
    if (dry.code !== 0) throw new Error(`trial ${n}: the dry run exited ${dry.code}`);
    const want = desiredConfigs(dir);
    await adminCall(srv.url, 'DELETE', 'requests');

    await adminCall(srv.url, 'PUT', 'faults', faultsFor(n));
    const killAt = killMoment(n, windowSeconds);
    const first = fleetplay(dir, 'run');
    const t1 = performance.now();
    const exited = await Promise.race([first.done.then(() => true), reached(srv.url, killAt).then(() => false)]);
    if (!exited) first.child.kill('SIGKILL');
    const killAfterMs = Math.round(performance.now() - t1);
    await first.done;
    // Requests in flight at the kill are still served (their client is gone): let them land.
    await sleep(300);
    const phase = exited ? 'exited-before-kill' : phaseOf(await adminCall(srv.url, 'GET', 'requests'));

    await adminCall(srv.url, 'DELETE', 'faults');
    const recovery = [];
    while (recovery.length < MAX_RECOVERY_RUNS && recovery.at(-1)?.code !== 0)
      recovery.push(await fleetplay(dir, 'run').done);
    await adminCall(srv.url, 'DELETE', 'requests');
    const third = await fleetplay(dir, 'run').done;
    const thirdWrites = writesIn(await adminCall(srv.url, 'GET', 'requests')).length;
    if (opt.plant) await plant(srv.url, opt.plant);
    const counts = await count(srv.url, want);
    return {
      trial: n,
      killAt: killAt.writes === undefined ? `${killAt.ms} ms` : `${killAt.writes} writes`,
      killAfterMs,
      phase,
      recoveryRuns: recovery.length,
      recovered: recovery.at(-1)?.code === 0,
      recoverySeconds: recovery.reduce((s, r) => s + r.seconds, 0),
      thirdCode: third.code,
      thirdWrites,
      ...counts,
      seconds: (performance.now() - t0) / 1000,
    };
  } finally {
    srv.child.kill();
    rmSync(dir, { recursive: true, force: true });
  }
}

const COLUMNS = [
  ['trial', 5],
  ['killAt', 11],
  ['killAfterMs', 11],
  ['phase', 18],
  ['recoveryRuns', 12],
  ['thirdWrites', 11],
  ['duplicateOs', 11],
  ['duplicateConfig', 15],
  ['lostOs', 6],
  ['lostConfig', 10],
  ['seconds', 7],
];
const row = (cells) => cells.map((c, i) => String(c).padStart(COLUMNS[i][1])).join(' ');

const windowSeconds = opt['window-seconds'] ? Number(opt['window-seconds']) : await calibrate();
console.error(
  `soak: ${TRIALS} trials, ${DEVICES} devices, ${FAULT_RATE * 100}% faults; a whole faulty run takes ${windowSeconds.toFixed(1)} s: kills drawn in [0, ${windowSeconds.toFixed(1)}] s`,
);
console.error(row(COLUMNS.map(([name]) => name)));
const results = [];
for (let n = 1; n <= TRIALS; n++) {
  const r = await trial(n, windowSeconds);
  results.push(r);
  console.error(row(COLUMNS.map(([name]) => (name === 'seconds' ? r.seconds.toFixed(1) : r[name]))));
}

const sum = (k) => results.reduce((s, r) => s + r[k], 0);
const killsByPhase = {};
for (const r of results) killsByPhase[r.phase] = (killsByPhase[r.phase] ?? 0) + 1;
const summary = {
  trials: TRIALS,
  devices: DEVICES,
  fault_rate: FAULT_RATE,
  seed: Number(opt.seed),
  kills: results.filter((r) => r.phase !== 'exited-before-kill').length,
  kills_by_phase: killsByPhase,
  duplicates: sum('duplicateOs') + sum('duplicateConfig'),
  duplicates_os: sum('duplicateOs'),
  duplicates_config: sum('duplicateConfig'),
  lost: sum('lostOs') + sum('lostConfig'),
  lost_os: sum('lostOs'),
  lost_config: sum('lostConfig'),
  not_recovered: results.filter((r) => !r.recovered).length,
  third_run_writes: sum('thirdWrites'),
  third_run_failed: results.filter((r) => r.thirdCode !== 0).length,
  median_recovery_runs: median(results.map((r) => r.recoveryRuns)),
  median_recovery_s: Number(median(results.map((r) => r.recoverySeconds)).toFixed(2)),
  median_trial_s: Number(median(results.map((r) => r.seconds)).toFixed(2)),
};
console.log(JSON.stringify(summary));
const bad =
  summary.duplicates + summary.lost + summary.not_recovered + summary.third_run_writes + summary.third_run_failed;
process.exitCode = bad ? 1 : 0;
