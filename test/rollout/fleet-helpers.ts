/** A generated fleet repository's `fleetplay run` and `fleetplay monitor` against the embedded server (rollout tests). */
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { ExitCode } from '../../src/errors/index.js';
import { runMonitor } from '../../src/monitor/command.js';
import { assignWaves, rolloutPolicyOf } from '../../src/rollout/index.js';
import { generatedDeviceId } from '../../src/server/index.js';
import { runStage, type StageRunOptions, type StageRunResult } from '../../src/stage/index.js';
import { startFakeGitHub } from '../github/fake-github.js';
import { TOKEN } from '../ota/helpers.js';
import { SECRETS } from '../stage/helpers.js';
import { monitorArgs } from './wave-fleet.js';

/** `fleetplay run --mode run` of the repository in `dir` (its default playbook), output kept. */
export async function runFleet(
  dir: string,
  server: string,
  o: Partial<StageRunOptions> = {},
): Promise<StageRunResult & { text: string }> {
  let text = '';
  const sink = new Writable({ write: (c, _e, cb) => ((text += String(c)), cb()) });
  const r = await runStage({
    playbook: join(dir, 'playbooks/manage-fleet.yml'),
    inventory: [join(dir, 'inventory')],
    cwd: dir,
    mode: 'run',
    stdout: sink,
    stderr: sink,
    extraVars: { mender_server: server, mender_api: { base_delay_ms: 5, max_delay_ms: 40 } },
    env: { PATH: process.env.PATH, MENDER_ACCESS_TOKEN: TOKEN, ...SECRETS },
    ...o,
  });
  return { ...r, text };
}

export interface MonitorLook {
  code: number;
  text: string;
  /** The commit statuses it set (request bodies). */
  statuses: Record<string, string>[];
}

/** One monitor look (no waiting), with a fake GitHub for the commit status it sets. */
export async function monitorOnce(dir: string, server: string): Promise<MonitorLook> {
  const gh = await startFakeGitHub({ prefix: '/api/v3' });
  try {
    let text = '';
    const sink = new Writable({ write: (c, _e, cb) => ((text += String(c)), cb()) });
    const code = await runMonitor(monitorArgs(dir, server), {
      stdout: sink,
      stderr: sink,
      env: {
        PATH: process.env.PATH,
        MENDER_ACCESS_TOKEN: TOKEN,
        ...SECRETS,
        GITHUB_TOKEN: 'ghs_wavesTest0123456789',
        GITHUB_REPOSITORY: 'acme/fleet',
        GITHUB_API_URL: gh.url,
      },
    });
    return { code, text, statuses: gh.requests.map((q) => JSON.parse(q.body) as Record<string, string>) };
  } finally {
    await gh.close();
  }
}

/** The waves `stage`'s policy cuts a generated fleet of `n` devices into. */
export function expectedWaves(dir: string, n: number, stage = 'production'): string[][] {
  const p = rolloutPolicyOf(dir, stage);
  if (!p.ok || !p.value) throw new Error('no policy');
  const members = Array.from({ length: n }, (_, i) => ({
    host: generatedDeviceId(i + 1),
    device: generatedDeviceId(i + 1),
  }));
  return assignWaves(members, p.value);
}

/** One monitor look at a halted stage: it fails `fleetplay/<stage>` with the halt's words (asserted). */
export async function monitorHalted(
  dir: string,
  server: string,
  why: string,
  stage = 'production',
): Promise<MonitorLook> {
  const look = await monitorOnce(dir, server);
  expect(look.code).toBe(ExitCode.hostFailed);
  expect(look.statuses).toEqual([
    expect.objectContaining({ state: 'failure', context: `fleetplay/${stage}`, description: why }),
  ]);
  return look;
}
