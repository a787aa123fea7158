/**
 * A real fleet repository (a temp git repo holding a copy of inventory/ and playbooks/, with the
 * stage branches) and the embedded server seeded with the sample fleet, for main-job tests.
 */
import { execFileSync, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { Writable } from 'node:stream';
import { loadInventory } from '../../src/inventory/index.js';
import { generatedDeviceId } from '../../src/server/index.js';
import { runStage, type StageRunOptions, type StageRunResult } from '../../src/stage/index.js';
import { testServer, TOKEN, type TestServer } from '../ota/helpers.js';

export { TOKEN };
export const ROOT = resolve('.');
export const SECRETS = { GHRUNNER_TOKEN: 'ghr-secret-runner-4242', INFLUXDB_TOKEN: 'influx-secret-7373' };

/** The sample fleet's devices: Mender device ids (what the server sees). */
export const DEV = {
  legacy: '6bfd5737-51b8-4e0b-ac3c-c0b36a1f00c3', // ① rpi2, production
  hotspot: '85159475-cc2e-4039-902c-b01fcb038e69', // ② iot-gate, production, monitoring
  kioskCentral: '20b41a8a-ef2d-4afd-9587-2aad65b28605', // ③ rpi3, production, kiosk
  kioskCampus: '9d4bcced-67df-4b98-84b6-645d3f2ec148', // ④ rpi3, canary, kiosk
  prototype: '1f452a5b-f08d-4506-9568-b6848e418487', // ⑤ imx8mn, prototypes
  runner: '4204953f-eb9a-4e7a-9370-79d888ab587b', // ⑥ rpi4, production, GitHub runner
  kioskNext: '854df144-28aa-4e50-9225-ca5d348354b7', // ⑦ rpi4, main (qualification)
} as const;

/** Their host names in the sample inventory (what the recap and task lines show). */
export const NAME: Record<keyof typeof DEV, string> = {
  legacy: 'legacy-pi2',
  hotspot: 'hotspot-wifi6',
  kioskCentral: 'kiosk-central-station',
  kioskCampus: 'kiosk-campus',
  prototype: 'prototype-desk',
  runner: 'gha-runner',
  kioskNext: 'kiosk-next',
};

export const VERSIONS = ['1.0.0', '1.1.0', '1.2.0'];

/** Device id → device type of the sample inventory, read from it (so the test follows the repository). */
function sampleDeviceTypes(): Map<string, string> {
  const inv = loadInventory([join(ROOT, 'inventory')]);
  if (!inv.ok) throw new Error(inv.error.map((e) => e.message).join('\n'));
  return new Map(inv.value.hosts.map((h) => [inv.value.deviceId(h), String(inv.value.hostVars(h).device_type)]));
}

/** Every sample device runs fleet-os-1.0.0-<type>; 1.1.0 and 1.2.0 exist for every type. `start_time`: the manual clock's. */
export async function fleetServer(o: { start_time?: string } = {}): Promise<TestServer> {
  const types = sampleDeviceTypes();
  const all = [...new Set(types.values())];
  const artifacts = VERSIONS.flatMap((v) =>
    all.map((t) => ({ name: `fleet-os-${v}-${t}`, device_types_compatible: [t] })),
  );
  const devices = [...types].map(([id, t]) => ({ id, device_type: t, artifact_name: `fleet-os-1.0.0-${t}` }));
  return testServer({ spec: { artifacts, devices, ...o } });
}

/** git in `dir` with a fixed identity (commits need one; CI has none). */
export const git = (dir: string, ...args: string[]) =>
  execFileSync('git', args, {
    cwd: dir,
    encoding: 'utf8',
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: 't',
      GIT_AUTHOR_EMAIL: 't@example.org',
      GIT_COMMITTER_NAME: 't',
      GIT_COMMITTER_EMAIL: 't@example.org',
    },
  }).trim();

export interface FleetRepo {
  dir: string;
  /** Writes files (path → text) on a branch and commits them; returns the commit. */
  commit(branch: string, files: Record<string, string>, message?: string): string;
  checkout(ref: string): void;
  git(...args: string[]): string;
  remove(): void;
}

/** main, canary and production at the same first commit; HEAD on main. */
export function fleetRepo(): FleetRepo {
  const dir = mkdtempSync(join(tmpdir(), 'fleetplay-stage-'));
  cpSync(join(ROOT, 'inventory'), join(dir, 'inventory'), { recursive: true });
  cpSync(join(ROOT, 'playbooks'), join(dir, 'playbooks'), { recursive: true });
  git(dir, 'init', '-q', '-b', 'main');
  git(dir, 'add', '-A');
  git(dir, 'commit', '-qm', 'the fleet');
  for (const b of ['canary', 'production']) git(dir, 'branch', b);
  return {
    dir,
    commit(branch, files, message = 'change') {
      git(dir, 'checkout', '-q', branch);
      for (const [p, text] of Object.entries(files)) {
        mkdirSync(dirname(join(dir, p)), { recursive: true });
        writeFileSync(join(dir, p), text);
      }
      git(dir, 'add', '-A');
      git(dir, 'commit', '-qm', message);
      return git(dir, 'rev-parse', 'HEAD');
    },
    checkout: (ref) => void git(dir, 'checkout', '-q', ref),
    git: (...args) => git(dir, ...args),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/**
 * A fleet repository folder (not yet a git repository) of `n` generated devices, all in the
 * production group, with this checkout's playbooks: the large-fleet and rollout tests' fleet.
 */
export function generatedFleetDir(prefix: string, n: number): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  cpSync(join(ROOT, 'playbooks'), join(dir, 'playbooks'), { recursive: true });
  mkdirSync(join(dir, 'inventory', 'group_vars'), { recursive: true });
  const hosts = Array.from({ length: n }, (_, i) => `        ${generatedDeviceId(i + 1)}:`);
  writeFileSync(
    join(dir, 'inventory', 'hosts.yml'),
    ['all:', '  children:', '    production:', '      hosts:', ...hosts, ''].join('\n'),
  );
  return dir;
}

/** group_vars/all.yml of the sample with every OS image at `version`. */
export function allVarsWithImage(version: string): string {
  const types = [...new Set(sampleDeviceTypes().values())];
  return [
    'mender_server: http://127.0.0.1:8080',
    'subscribed_branch: production',
    'os_image:',
    ...types.map((t) => `  ${t}: fleet-os-${version}-${t}`),
    'kiosk_enabled: false',
    'gharunner_enabled: false',
    'monitoring_enabled: false',
    '',
  ].join('\n');
}

export type Run = StageRunResult & { text: string };

/** `fleetplay run` in-process on the repository's checked-out branch (or `branch`). */
export async function runIn(
  repo: FleetRepo,
  srv: TestServer,
  o: Partial<StageRunOptions> & { envOverride?: Record<string, string | undefined> } = {},
): Promise<Run> {
  let text = '';
  const stdout = new Writable({ write: (c, _e, cb) => ((text += String(c)), cb()) });
  const { envOverride, ...rest } = o;
  const r = await runStage({
    playbook: join(repo.dir, 'playbooks/manage-fleet.yml'),
    inventory: [join(repo.dir, 'inventory')],
    cwd: repo.dir,
    mode: 'run',
    stdout,
    recordResults: true,
    extraVars: { mender_server: srv.url, mender_api: { base_delay_ms: 5, max_delay_ms: 40 } },
    env: { PATH: process.env.PATH, MENDER_ACCESS_TOKEN: TOKEN, ...SECRETS, ...envOverride },
    ...rest,
  });
  return { ...r, text };
}

/** Write requests the server answered (its own log), searches and statistics excepted. */
export async function serverWrites(srv: TestServer) {
  return (await srv.requests()).filter(
    (r) => r.method !== 'GET' && !/filters\/search$|statistics\/list$|auth\/login$/.test(r.path),
  );
}

export const changedCount = (r: StageRunResult) => Object.values(r.recap).reduce((n, s) => n + s.changed, 0);
/** Device ids of the hosts that failed (through the report's host → id map). */
export const failedHosts = (r: StageRunResult) =>
  Object.entries(r.recap)
    .filter(([, s]) => s.failed > 0)
    .map(([h]) => r.report.devices?.[h] ?? `(no device id for ${h})`)
    .sort();
/** Device ids (of the run's stage) whose OS/config decision in the typed plan has this action. */
export const planned = (r: { report: Pick<StageRunResult['report'], 'plan'> }, kind: 'os' | 'config', action: string) =>
  r.report.plan
    .filter((p) => !p.other_stage && p[kind].action === action)
    .map((p) => p.device_id)
    .sort();

/** A fresh server and fleet repository for every test of the calling file. */
export function eachTestFleet(): { srv: TestServer; repo: FleetRepo } {
  const f = {} as { srv: TestServer; repo: FleetRepo };
  beforeEach(async () => {
    f.srv = await fleetServer();
    f.repo = fleetRepo();
  });
  afterEach(async () => {
    await f.srv.close();
    f.repo.remove();
  });
  return f;
}

/** dist/ is what the bin runs: rebuilt when any source file is newer than it. */
export function ensureBuilt(): void {
  const cli = join(ROOT, 'dist/cli/main.js');
  const stale = existsSync(cli)
    ? execFileSync('find', ['src', '-newer', cli, '-name', '*.ts'], { cwd: ROOT, encoding: 'utf8' }).trim()
    : 'missing';
  if (stale) execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'inherit' });
}

/**
 * The built CLI (dist/cli/main.js) in `cwd` with only PATH and `env` in its environment. Async:
 * the test's server answers from this process while the CLI runs.
 */
export function fleetplayCli(
  cwd: string,
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; out: string; stdout: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(ROOT, 'dist/cli/main.js'), ...args], {
      cwd,
      env: { PATH: process.env.PATH ?? '', ...env },
    });
    let out = '';
    let stdout = '';
    child.stdout.on('data', (c) => ((out += String(c)), (stdout += String(c))));
    child.stderr.on('data', (c) => (out += String(c)));
    child.on('close', (code) => resolve({ code, out, stdout }));
  });
}
