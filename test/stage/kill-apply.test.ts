/**
 * A run killed (SIGKILL) in the middle of its apply phase: the built CLI against the embedded
 * server, stopped at a known write. The server holds the write the run is waiting for (fault
 * `hold`), the run is killed, then the held write is either served (the server made it, the run
 * never heard) or dropped (it never reached the server). The next run plans from what the server
 * has: every device is scheduled exactly once over both runs, and a third run writes nothing.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunReport } from '../../src/engine/report.js';
import { ExitCode } from '../../src/errors/index.js';
import type { FaultSpec } from '../../src/server/index.js';
import {
  ROOT,
  SECRETS,
  TOKEN,
  allVarsWithImage,
  eachTestFleet,
  ensureBuilt,
  fleetplayCli,
  serverWrites,
} from './helpers.js';

beforeAll(ensureBuilt, 120_000);

const fleet = eachTestFleet();
const ENV = { MENDER_ACCESS_TOKEN: TOKEN, ...SECRETS };
const DEPLOYMENTS = '/api/management/v1/deployments/deployments';
const CONFIG = '/api/management/v1/deviceconfig/configurations/device/';

const runArgs = (mode: string) => [
  'run',
  '--mode',
  mode,
  '--report',
  'report.json',
  '-e',
  `mender_server=${fleet.srv.url}`,
];
const readReport = () => JSON.parse(readFileSync(join(fleet.repo.dir, 'report.json'), 'utf8')) as RunReport;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls until `ready` holds (the CLI is blocked where the test wants it), 30 s at most. */
async function until(ready: () => Promise<boolean>, what: string): Promise<void> {
  for (let waited = 0; waited < 30_000; waited += 50) {
    if (await ready()) return;
    await sleep(50);
  }
  throw new Error(`timed out waiting for ${what}`);
}

type Held = FaultSpec & { held: number };

/** `fleetplay run --mode run`, SIGKILLed once the server holds `held` of its requests; its exit code (-1: killed). */
async function killedRun(held: number): Promise<number | null> {
  const child = spawn(process.execPath, [join(ROOT, 'dist/cli/main.js'), ...runArgs('run')], {
    cwd: fleet.repo.dir,
    env: { PATH: process.env.PATH ?? '', ...ENV },
    stdio: 'ignore',
  });
  const exited = new Promise<number | null>((resolve) =>
    child.on('exit', (_code, signal) => resolve(signal ? -1 : _code)),
  );
  await until(async () => (await fleet.srv.admin<Held>('GET', 'faults')).held === held, `${held} held requests`);
  child.kill('SIGKILL');
  return exited;
}

/** Served requests of a kind: the device ids they name. */
async function servedDevices(kind: 'os' | 'config'): Promise<string[]> {
  const log = await fleet.srv.requests();
  if (kind === 'os')
    return log
      .filter((r) => r.method === 'POST' && r.path === DEPLOYMENTS && r.status < 300)
      .flatMap((r) => (r.body as { devices: string[] }).devices);
  return log
    .filter((r) => r.method === 'POST' && r.path.startsWith(CONFIG) && r.path.endsWith('/deploy') && r.status < 300)
    .map((r) => r.path.slice(CONFIG.length, -'/deploy'.length));
}

const sorted = (xs: string[]) => [...xs].sort();

/** Device ids whose decision in a report's plan is `action`. */
const plannedIn = (r: RunReport, kind: 'os' | 'config', action: string) =>
  sorted(r.plan.filter((p) => !p.other_stage && p[kind].action === action).map((p) => p.device_id));

interface KillPoint {
  name: string;
  /** Where the run is stopped: the requests the server holds (served after the kill, or dropped with drop_rate 1). */
  fault: FaultSpec;
  /** How many requests are held when the run is killed (the client sends up to 16 at once). */
  held: number;
  /** How many devices got an OS and a configuration deployment before the second run. */
  sent: { os: number; config: number };
}

const KILL_POINTS: KillPoint[] = [
  {
    name: 'after the first OS deployment; the others in flight are made after the kill',
    fault: { method: 'POST', path_prefix: DEPLOYMENTS, skip: 1, hold: true },
    held: 4,
    sent: { os: 5, config: 0 },
  },
  {
    name: 'after the first OS deployment; the others never reach the server',
    fault: { method: 'POST', path_prefix: DEPLOYMENTS, skip: 1, hold: true, drop_rate: 1 },
    held: 4,
    sent: { os: 1, config: 0 },
  },
  {
    name: 'between the OS deployments and the first configuration write',
    fault: { method: 'PUT', path_prefix: CONFIG, hold: true, drop_rate: 1 },
    held: 5,
    sent: { os: 5, config: 0 },
  },
  {
    name: 'between the configurations set and their deployments',
    fault: { method: 'POST', path_prefix: CONFIG, hold: true, drop_rate: 1 },
    held: 5,
    sent: { os: 5, config: 0 },
  },
  {
    name: 'after two configuration deployments; the others in flight are made after the kill',
    fault: { method: 'POST', path_prefix: CONFIG, skip: 2, hold: true },
    held: 3,
    sent: { os: 5, config: 5 },
  },
];

describe('fleetplay run killed during the apply phase', () => {
  it.each(KILL_POINTS)('$name: the next run schedules the rest, nothing twice', async (k) => {
    fleet.repo.commit('production', { 'inventory/group_vars/all.yml': allVarsWithImage('1.1.0') }, 'release 1.1.0');
    // What a whole run would schedule: a dry run's plan (it writes nothing).
    const dry = await fleetplayCli(fleet.repo.dir, runArgs('dry-run'), ENV);
    expect(dry.code).toBe(ExitCode.ok);
    const wantOs = plannedIn(readReport(), 'os', 'deploy');
    const wantConfig = plannedIn(readReport(), 'config', 'set');
    expect(wantOs.length).toBe(5);
    expect(wantConfig.length).toBe(5);
    expect(await serverWrites(fleet.srv)).toEqual([]);

    await fleet.srv.faults(k.fault);
    expect(await killedRun(k.held)).toBe(-1);
    // Letting the held requests go: served (the server made the write) or dropped (it never arrived).
    await fleet.srv.faults(undefined);
    await until(async () => (await fleet.srv.admin<Held | null>('GET', 'faults')) === null, 'faults off');
    await sleep(200);
    const sentBefore = { os: await servedDevices('os'), config: await servedDevices('config') };
    expect({ os: sentBefore.os.length, config: sentBefore.config.length }).toEqual(k.sent);

    const second = await fleetplayCli(fleet.repo.dir, runArgs('run'), ENV);
    expect(second.code).toBe(ExitCode.ok);
    expect(sorted(await servedDevices('os'))).toEqual(wantOs);
    expect(sorted(await servedDevices('config'))).toEqual(wantConfig);
    // The second run waited for what the first one had sent, and sent the rest.
    const report = readReport();
    expect(plannedIn(report, 'os', 'wait')).toEqual(sorted(sentBefore.os));
    expect(plannedIn(report, 'os', 'deploy')).toEqual(wantOs.filter((d) => !sentBefore.os.includes(d)));

    await fleet.srv.admin('DELETE', 'requests');
    const third = await fleetplayCli(fleet.repo.dir, runArgs('run'), ENV);
    expect(third.code).toBe(ExitCode.ok);
    expect(await serverWrites(fleet.srv)).toEqual([]);
  });
});
