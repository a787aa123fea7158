/**
 * A fleet repository in a temp dir (git branch `canary`, a small playbook of our own with the
 * promotion rule, an inventory), the embedded server with its manual clock, and the monitor run
 * in-process with captured output.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Writable } from 'node:stream';
import { runPlaybook, type RunResult } from '../../src/engine/run.js';
import { registerMenderModules } from '../../src/modules/mender/index.js';
import { MONITOR_DEFAULTS, runMonitor, type MonitorArgs } from '../../src/monitor/command.js';
import type { FleetSpec } from '../../src/server/index.js';
import { TOKEN, type TestServer } from '../ota/helpers.js';

export const dev = (n: number) => `7a000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

/** Devices 1 and 2 are listed under readable names (their ids in mender_device_id), 3-5 by their ids. */
export const host = (n: number) => (n <= 2 ? `kiosk-${n}` : dev(n));

/** Devices 1-4 follow canary (4 also manages its configuration), 5 follows production. */
export const SPEC: FleetSpec = {
  artifacts: [
    { name: 'os-1.0', device_types_compatible: ['raspberrypi4'] },
    { name: 'os-1.1', device_types_compatible: ['raspberrypi4'] },
    { name: 'os-1.2-bad', device_types_compatible: ['raspberrypi4'] },
  ],
  devices: [1, 2, 3, 4, 5].map((n) => ({ id: dev(n), device_type: 'raspberrypi4', artifact_name: 'os-1.0' })),
  failures: { rate: 0, devices: [], artifacts: ['os-1.2-bad'] },
  timing: { poll_interval: 30, download: 20, install: 20, reboot: 30 },
  start_time: '2026-03-01T00:00:00Z',
};

export const PLAYBOOK = `- hosts: all
  gather_facts: false
  tasks:
    - name: facts from the OTA server
      mender_facts: {}
    - name: OS image
      mender_os_update:
        artifact: "{{ os_image }}"
      when: (mender.subscribed_branch | default(subscribed_branch, true)) == fleetplay_branch
    - name: device configuration
      mender_config:
        config:
          kiosk_url: "https://kiosk.example/{{ inventory_hostname[-1:] }}"
      when: manage_config | default(false) and (mender.subscribed_branch | default(subscribed_branch, true)) == fleetplay_branch
`;

const sh = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, encoding: 'utf8' }).trim();

export interface Repo {
  dir: string;
  commit: string;
}

/** Commits the inventory wanting `image` on canary; returns the new HEAD. */
export function commitImage(repo: Repo, image: string): Repo {
  const vars = (n: number) => (n === 4 ? ' {manage_config: true}' : n <= 2 ? ` {mender_device_id: ${dev(n)}}` : '');
  const hosts = [1, 2, 3, 4].map((n) => `        ${host(n)}:${vars(n)}`).join('\n');
  const files: Record<string, string> = {
    'site.yml': PLAYBOOK,
    'inventory/hosts.yml': `all:\n  vars:\n    subscribed_branch: production\n    os_image: os-1.0\n  children:\n    canary:\n      vars: {subscribed_branch: canary, os_image: ${image}}\n      hosts:\n${hosts}\n    production:\n      hosts:\n        ${dev(5)}:\n`,
  };
  for (const [p, text] of Object.entries(files)) {
    mkdirSync(dirname(join(repo.dir, p)), { recursive: true });
    writeFileSync(join(repo.dir, p), text);
  }
  sh(repo.dir, 'add', '.');
  sh(repo.dir, 'commit', '-q', '-m', `canary wants ${image}`);
  return { dir: repo.dir, commit: sh(repo.dir, 'rev-parse', 'HEAD') };
}

export function fleetRepo(image: string): Repo {
  const dir = mkdtempSync(join(tmpdir(), 'fleetplay-monitor-'));
  sh(dir, 'init', '-q', '-b', 'canary');
  sh(dir, 'config', 'user.email', 'ci@example.com');
  sh(dir, 'config', 'user.name', 'CI');
  return commitImage({ dir, commit: '' }, image);
}

export const menderEnv = (srv: TestServer): NodeJS.ProcessEnv => ({
  PATH: process.env.PATH,
  MENDER_SERVER_URL: srv.url,
  MENDER_ACCESS_TOKEN: TOKEN,
});

/** `fleetplay run --mode run` of the repo's playbook on canary (the update job). */
export async function updateRun(repo: Repo, srv: TestServer, report?: string): Promise<RunResult> {
  registerMenderModules();
  return runPlaybook({
    playbook: join(repo.dir, 'site.yml'),
    inventory: [join(repo.dir, 'inventory')],
    mode: 'run',
    extraVars: { fleetplay_branch: 'canary' },
    branch: 'canary',
    commit: repo.commit,
    report,
    env: menderEnv(srv),
    stdout: new Writable({ write: (_c, _e, cb) => cb() }),
  });
}

export interface Captured {
  code: number;
  stdout: string;
  stderr: string;
}

/** Collects what is written; `isTTY` as a terminal's stream says it (the progress bar looks there). */
const sink = (isTTY = false) => {
  const w = new Writable({ write: (c, _e, cb) => ((w.text += String(c)), cb()) }) as Writable & {
    text: string;
    isTTY: boolean;
  };
  w.text = '';
  w.isTTY = isTTY;
  return w;
};

export interface MonitorIoOptions {
  /** stderr claims to be a terminal. */
  tty?: boolean;
  fetch?: typeof fetch;
}

/**
 * `fleetplay monitor` in-process on a manual clock: `sleep` advances the server's clock instead of
 * waiting and `now` is the time slept so far, so --timeout is reached in simulated time too.
 */
export async function monitor(
  repo: Repo,
  srv: TestServer,
  args: Partial<MonitorArgs> = {},
  env: NodeJS.ProcessEnv = {},
  o: MonitorIoOptions = {},
): Promise<Captured> {
  const stdout = sink();
  const stderr = sink(o.tty);
  let slept = 0;
  const code = await runMonitor(
    {
      inventory: [join(repo.dir, 'inventory')],
      playbook: join(repo.dir, 'site.yml'),
      repo: repo.dir,
      wait: false,
      json: false,
      ...MONITOR_DEFAULTS,
      ...args,
    },
    {
      stdout,
      stderr,
      env: { ...menderEnv(srv), ...env },
      sleep: async (ms) => {
        slept += ms;
        await srv.admin('POST', 'clock/advance', { seconds: Math.ceil(ms / 1000) });
      },
      now: () => slept,
      fetch: o.fetch,
    },
  );
  return { code, stdout: stdout.text, stderr: stderr.text };
}

export const snapshotOf = (c: Captured) => JSON.parse(c.stdout) as import('../../src/monitor/model.js').Snapshot;
export const stateOf = (c: Captured, n: number) => snapshotOf(c).devices.find((d) => d.device === dev(n))?.state;
