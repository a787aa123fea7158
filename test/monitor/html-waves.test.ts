/**
 * `--html` of a stage that rolls out in waves, read back by headless Chromium: 1,000 devices on the
 * embedded server (manual clock), the default playbook, `waves: [1%, 10%, 50%, 100%]`,
 * `max_failed: 1`, `soak: 2h`. What the page must say is worked out from the policy's own cut of
 * the fleet (assignWaves) and the server's clock, not written down here.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { ExitCode } from '../../src/errors/index.js';
import { runMonitor } from '../../src/monitor/command.js';
import { timeLeft } from '../../src/rollout/index.js';
import { runStage } from '../../src/stage/index.js';
import { testServer, TOKEN, type TestServer } from '../ota/helpers.js';
import { BAD, GOOD, monitorArgs, policyWaves, release as rel, waveFleetSpec } from '../rollout/wave-fleet.js';
import { SECRETS, generatedFleetDir, git } from '../stage/helpers.js';
import { ensureChromium, probePage } from './chromium.js';

const N = 1000;
const MIN = 60;
const HOUR = 3600;

/** What the browser shows: the waves table by column, the halt banner, the device rows, the layout. */
const PROBE = `const cells = (tr) => Object.fromEntries([...tr.querySelectorAll('[data-col]')].map((td) => [td.dataset.col, td.innerText.trim()]));
const waves = [...document.querySelectorAll('table.waves tbody tr')].map((tr) => ({
  wave: tr.querySelector('th[scope=row]').innerText,
  ...cells(tr),
  bar: tr.querySelector('svg[role=img]').getAttribute('aria-label'),
  until: tr.querySelector('[data-col=state] time')?.dateTime,
  width: Math.round(tr.querySelector('svg[role=img]').getBoundingClientRect().width),
  parts: Object.fromEntries([...tr.querySelectorAll('rect[data-part]')].map((r) => [r.dataset.part, Math.round(r.getBoundingClientRect().width)])),
}));
const head = [...document.querySelectorAll('table.waves thead th')].map((th) => th.innerText + '/' + th.scope);
const halt = document.querySelector('.halt');
const section = document.querySelector('section');
const devices = [...document.querySelectorAll('table.devices tbody tr')].map((tr) => ({
  device: tr.dataset.device,
  wave: tr.querySelector('[data-col=wave]')?.innerText,
  state: tr.querySelector('td.state').innerText,
  why: tr.lastElementChild.innerText,
}));
result = {
  waves, head, devices,
  caption: document.querySelector('table.waves caption')?.innerText,
  halt: halt ? { text: halt.innerText, role: halt.getAttribute('role'), first: section.querySelector('h2').nextElementSibling === halt } : null,
  taken: document.querySelector('time').dateTime,
  overflow: document.documentElement.scrollWidth - window.innerWidth,
  external: [...document.querySelectorAll('[src],[href],link')].length,
};`;

interface WaveCells {
  wave: string;
  devices: string;
  share: string;
  state: string;
  succeeded: string;
  failed: string;
  pending: string;
  why: string;
  bar: string;
  until?: string;
  /** The bar's drawn width, and each part's. */
  width: number;
  parts: Record<string, number>;
}
interface Seen {
  waves: WaveCells[];
  head: string[];
  devices: { device: string; wave?: string; state: string; why: string }[];
  caption?: string;
  halt: { text: string; role: string; first: boolean } | null;
  taken: string;
  overflow: number;
  external: number;
}

let srv: TestServer;
let dir: string;

beforeAll(() => ensureChromium(), 300_000);
beforeEach(async () => {
  srv = await testServer({ spec: waveFleetSpec(N) });
  dir = generatedFleetDir('fleetplay-html-waves-', N);
  git(dir, 'init', '-q', '-b', 'production');
}, 60_000);
afterEach(async () => {
  await srv.close();
  rmSync(dir, { recursive: true, force: true });
});

const POLICY = ['  production:', '    waves: [1%, 10%, 50%, 100%]', '    max_failed: 1', '    soak: 2h'];
const release = (image: string) => rel(dir, image, POLICY);

const env = { PATH: process.env.PATH, MENDER_ACCESS_TOKEN: TOKEN, ...SECRETS };
const quiet = () => new Writable({ write: (_c, _e, cb) => cb() });
const advance = (seconds: number) => srv.admin('POST', 'clock/advance', { seconds });

async function update(): Promise<void> {
  const r = await runStage({
    playbook: join(dir, 'playbooks/manage-fleet.yml'),
    inventory: [join(dir, 'inventory')],
    cwd: dir,
    mode: 'run',
    stdout: quiet(),
    stderr: quiet(),
    extraVars: { mender_server: srv.url, mender_api: { base_delay_ms: 5, max_delay_ms: 40 } },
    env,
  });
  expect(r.exitCode).toBe(ExitCode.ok);
}

/** `fleetplay monitor --html` once; the page as Chromium lays it out at 1280 px. */
async function report(): Promise<{ code: number; seen: Seen }> {
  const file = join(mkdtempSync(join(tmpdir(), 'fleetplay-html-')), 'fleet-report.html');
  const code = await runMonitor(
    { ...monitorArgs(dir, srv.url), html: file },
    { stdout: quiet(), stderr: quiet(), env },
  );
  return { code, seen: probePage<Seen>(file, PROBE) };
}

const wavesOf = () => policyWaves(dir, N);

/** The columns every wave row has, from the policy's cut: number, size, share, cumulative share. */
function sizes(waves: string[][]): Pick<WaveCells, 'wave' | 'devices' | 'share'>[] {
  let upTo = 0;
  return waves.map((w, i) => {
    upTo += w.length;
    return { wave: String(i + 1), devices: String(w.length), share: `${w.length / 10}% (up to ${upTo / 10}%)` };
  });
}

/** Every device row names the wave the policy put its device in. */
function expectDeviceWaves(seen: Seen, waves: string[][]): void {
  const waveOf = new Map(waves.flatMap((w, i) => w.map((id) => [id, String(i + 1)] as const)));
  expect(seen.devices.length).toBeGreaterThan(0);
  for (const d of seen.devices) expect([d.device, d.wave]).toEqual([d.device, waveOf.get(d.device)]);
}

describe('monitor --html: a stage rolling out in waves, at 1,000 devices', () => {
  test('a bad release: the halt leads the section, wave 1 halted with its failures, the others never start', async () => {
    release(BAD);
    const waves = wavesOf();
    await update();
    await advance(10 * MIN);
    const { code, seen } = await report();
    expect(code).toBe(ExitCode.hostFailed);
    const halt = `halted at wave 1: ${waves[0].length} of ${waves[0].length} failed (at most 1)`;
    expect(seen.halt).toEqual({
      text: expect.stringContaining(`Rollout halted. ${halt}`) as string,
      role: 'alert',
      first: true,
    });
    expect(seen.head).toEqual(
      // No wave waits for its turn: the halt (in the banner) is why they do not start.
      ['wave', 'devices', 'share', 'state', 'succeeded', 'failed', 'pending', 'progress'].map((h) => `${h}/col`),
    );
    expect(seen.caption).toBe(`4 waves over ${N} devices`);
    expect(seen.waves.map(({ wave, devices, share }) => ({ wave, devices, share }))).toEqual(sizes(waves));
    const [first, ...rest] = seen.waves;
    expect(first).toMatchObject({ state: 'halted', succeeded: '0', failed: '10', pending: '0' });
    expect(first.bar).toBe('wave 1: 0 succeeded, 10 failed, 0 scheduled or in flight, 0 not started');
    expect(first.parts).toEqual({ failed: first.width });
    for (const [i, w] of rest.entries())
      expect(w).toMatchObject({
        state: 'not started (halted)',
        succeeded: '0',
        failed: '0',
        pending: String(waves[i + 1].length),
        parts: { waiting: w.width },
      });
    // Devices: the failed ones first (wave 1), then the waiting ones with the halt as their reason.
    const failed = seen.devices.filter((d) => d.state === 'failed');
    expect(failed.map((d) => d.device).sort()).toEqual([...waves[0]].sort());
    expect(seen.devices.filter((d) => d.state === 'pending').every((d) => d.why === halt)).toBe(true);
    expectDeviceWaves(seen, waves);
    expect(seen.overflow).toBeLessThanOrEqual(0);
    expect(seen.external).toBe(0);
  }, 300_000);

  test('a good release mid-rollout: wave 1 done, wave 2 in progress then soaking with its time left, the rest waiting', async () => {
    release(GOOD);
    const waves = wavesOf();
    await update();
    await advance(10 * MIN + 2 * HOUR);
    await update();
    // Wave 2 is deployed, its devices have not checked in yet.
    const running = (await report()).seen;
    expect(running.halt).toBeNull();
    expect(running.waves.map(({ wave, devices, share }) => ({ wave, devices, share }))).toEqual(sizes(waves));
    expect(running.waves.map((w) => [w.state, w.succeeded, w.failed, w.pending])).toEqual([
      ['done', '10', '0', '0'],
      ['in progress', '0', '0', '90'],
      ['waiting', '0', '0', '400'],
      ['waiting', '0', '0', '500'],
    ]);
    expect(running.waves[1].parts).toEqual({ running: running.waves[1].width });
    expect(running.waves[2].why).toBe(
      'wave 3 starts after wave 2 has finished and been healthy for 2h (90 of 90 devices not finished)',
    );
    expect(running.waves[3].why).toBe(`in wave 4; ${running.waves[2].why}`);
    expectDeviceWaves(running, waves);

    // Wave 2 finishes; its soak counts from its last finish, by the server's clock.
    await advance(10 * MIN);
    const { code, seen } = await report();
    expect(code).toBe(ExitCode.inProgress);
    expect(seen.waves.map((w) => [w.state.split('\n')[0], w.succeeded, w.pending])).toEqual([
      ['done', '10', '0'],
      ['soaking', '90', '0'],
      ['waiting', '0', '400'],
      ['waiting', '0', '500'],
    ]);
    const m = /^soaking\nnext wave in (.+), at \d{4}-\d\d-\d\d \d\d:\d\d UTC$/.exec(seen.waves[1].state);
    expect(m).not.toBeNull();
    const [left, until] = [m![1], Date.parse(seen.waves[1].until!) - Date.parse(seen.taken)];
    expect(left).toBe(timeLeft(until));
    expect(until).toBeGreaterThan(HOUR * 1000);
    expect(until).toBeLessThanOrEqual(2 * HOUR * 1000);
    expect(seen.waves[2].why).toBe(`wave 3 starts after wave 2 has been healthy for 2h; ${left} to go`);
    expectDeviceWaves(seen, waves);
    expect(seen.overflow).toBeLessThanOrEqual(0);
  }, 300_000);
});
