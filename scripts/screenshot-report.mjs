#!/usr/bin/env node
// A picture of `fleetplay monitor --html` for a stage rolling out in waves, taken by hand (not part
// of npm test): the embedded server (manual clock) with 1,000 kiosks, production's policy
// `waves: [1%, 10%, 50%, 100%]`, `max_failed: 1`, `soak: 2h`, the shipped playbook run as the update
// job runs it, then the monitor writes the HTML and Debian's headless Chromium takes the PNG.
//   good: a good release mid-rollout — waves 1 and 2 done, wave 3 installing, wave 4 waiting.
//   soak: a good release between waves — wave 2 done and soaking, the time left until wave 3.
//   bad:  a release that fails on every device — halted after wave 1.
// Usage: npm run build && node scripts/screenshot-report.mjs good|soak|bad OUT.png
// (the HTML is kept beside it, OUT.html; needs /usr/bin/chromium: apt-get install chromium)
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer } from '../dist/server/index.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const CHROMIUM = '/usr/bin/chromium';
const CLI = join(root, 'dist', 'cli', 'main.js');
const N = 1000;
const [scenario, out] = process.argv.slice(2);
if (!['good', 'soak', 'bad'].includes(scenario) || !out?.endsWith('.png')) {
  console.error('usage: node scripts/screenshot-report.mjs good|soak|bad OUT.png');
  process.exit(1);
}
if (!existsSync(CHROMIUM)) {
  console.error(`${CHROMIUM} is missing: apt-get install -y chromium`);
  process.exit(1);
}

const TOKEN = 'screenshot-token-0123456789';
const ADMIN = 'screenshot-admin-0123456789';
const GOOD = 'fleet-os-2.4.0';
const BAD = 'fleet-os-2.5.0';
const SITES = ['zurich', 'bern', 'basel', 'geneva', 'lausanne'];
const MIN = 60;
const HOUR = 3600;

const NAMES = Array.from(
  { length: N },
  (_, i) => `kiosk-${SITES[i % SITES.length]}-${String(Math.floor(i / SITES.length) + 1).padStart(3, '0')}`,
);
/** A Mender-like device id (a UUID) per kiosk, the same on every run. */
const idOf = (name) => {
  const h = createHash('sha256').update(name).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
};

const srv = await startServer({
  memory: true,
  clock: 'manual',
  tokens: [TOKEN],
  adminToken: ADMIN,
  spec: {
    artifacts: ['2.3.1', '2.4.0', '2.5.0'].map((v) => ({
      name: `fleet-os-${v}`,
      device_types_compatible: ['raspberrypi4'],
    })),
    devices: NAMES.map((name) => ({ id: idOf(name), device_type: 'raspberrypi4', artifact_name: 'fleet-os-2.3.1' })),
    failures: { rate: 0, devices: [], artifacts: [BAD] },
    start_time: '2026-03-02T06:00:00Z',
  },
});
const admin = (method, path, body) =>
  fetch(`${srv.url}/api/admin/v1/${path}`, {
    method,
    headers: { Authorization: `Bearer ${ADMIN}`, 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
const advance = (seconds) => admin('POST', 'clock/advance', { seconds });

// The fleet repository: the shipped playbooks, kiosks named by site with their Mender device ids.
const work = mkdtempSync(join(tmpdir(), 'fleetplay-screenshot-'));
const dir = join(work, 'fleet');
cpSync(join(root, 'playbooks'), join(dir, 'playbooks'), { recursive: true });
mkdirSync(join(dir, 'inventory', 'group_vars'), { recursive: true });
const hosts = NAMES.map((name) => `        ${name}: {mender_device_id: ${idOf(name)}}`);
writeFileSync(
  join(dir, 'inventory', 'hosts.yml'),
  ['all:', '  children:', '    production:', '      hosts:', ...hosts, ''].join('\n'),
);
writeFileSync(
  join(dir, 'fleetplay.yml'),
  [
    'stages: [main, production]',
    'rollout:',
    '  production:',
    '    waves: [1%, 10%, 50%, 100%]',
    '    max_failed: 1',
    '    soak: 2h',
    '',
  ].join('\n'),
);
writeFileSync(
  join(dir, 'inventory', 'group_vars', 'all.yml'),
  ['subscribed_branch: production', 'os_image:', `  raspberrypi4: ${scenario === 'bad' ? BAD : GOOD}`, ''].join('\n'),
);
const git = (...args) =>
  execFileSync('git', ['-c', 'user.name=ops', '-c', 'user.email=ops@example.org', ...args], { cwd: dir });
git('init', '-q', '-b', 'production');
git('add', '-A');
git('commit', '-qm', 'release');

// The device configuration template wants these secrets (the roles that use them are off here).
const env = {
  PATH: process.env.PATH,
  MENDER_ACCESS_TOKEN: TOKEN,
  GHRUNNER_TOKEN: 'ghr-screenshot',
  INFLUXDB_TOKEN: 'influx-screenshot',
};
/** A fleetplay command as the workflows run it: the built CLI in the fleet repository (the server answers meanwhile). */
const fleetplay = (...args) =>
  new Promise((done) => {
    const child = spawn(process.execPath, [CLI, ...args, '--server', srv.url], { cwd: dir, env, stdio: 'ignore' });
    child.on('close', (code) => {
      console.log(`fleetplay ${args[0]}: exit ${code}`);
      done(code);
    });
  });
const update = () => fleetplay('run', '--mode', 'run');

// The steps: each wave is scheduled by a run once the wave before has soaked.
await update();
if (scenario === 'bad') await advance(10 * MIN);
else {
  await advance(10 * MIN + 2 * HOUR);
  await update();
  await advance(10 * MIN);
  if (scenario === 'good') {
    await advance(2 * HOUR);
    // Some kiosks of wave 3 are switched off: their deployment waits for them.
    const off = NAMES.filter((_, i) => i % 7 === 3).map(idOf);
    for (const id of off) await admin('PUT', `devices/${id}`, { online: false });
    await update();
    // Four minutes in: the kiosks that are on have installed it, the others have not checked in.
    await advance(4 * MIN);
  }
}

const html = out.replace(/\.png$/, '.html');
await fleetplay('monitor', '--html', html);
await srv.close();

const profile = mkdtempSync(join(tmpdir(), 'fleetplay-chromium-'));
execFileSync(
  CHROMIUM,
  [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    `--user-data-dir=${profile}`,
    `--screenshot=${resolve(out)}`,
    '--window-size=1280,1600',
    `file://${resolve(html)}`,
  ],
  { stdio: 'ignore', timeout: 120_000 },
);
console.log(`screenshot: ${out}`);
rmSync(profile, { recursive: true, force: true });
rmSync(work, { recursive: true, force: true });
