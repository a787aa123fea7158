/**
 * The main job as CI runs it on a push to a stage branch: check out the branch, take branch and
 * commit from git, run the fleet playbook in `--mode run`. The playbook's own output is kept
 * aside; the demo tells what it decided from the run report and the server's request log.
 */
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { runPlaybook, type RunReport } from '../engine/index.js';
import { formatError } from '../errors/index.js';
import { currentStage } from '../git/index.js';
import '../modules/mender/index.js';
import { isWrite } from '../ota/index.js';
import { rolloutPolicyOf } from '../rollout/index.js';
import type { DemoServer } from './fleet.js';
import type { FleetRepo, StageBranch } from './repo.js';

export const PLAYBOOK = join('playbooks', 'manage-fleet.yml');

export interface JobOutcome {
  branch: string;
  commit: string;
  exitCode: number;
  /** Device ids of every host the run saw (subscribed or not). */
  hosts: string[];
  /** Devices the run changed something for (an OS or a configuration deployment), by id. */
  changed: string[];
  failed: string[];
  plan: RunReport['plan'];
  /** Writes the OTA server received during the run (from its own request log). */
  writes: number;
  /** Devices named by the OS deployments the OTA server created during the run (its request log). */
  deployed: string[];
  /** The first lines of trouble, for the operator, when the run did not end well. */
  problems: string[];
}

export interface JobContext {
  repo: FleetRepo;
  server: DemoServer;
  /** Environment of the job: the token and the configuration secrets CI would pass. */
  env: NodeJS.ProcessEnv;
}

export async function runMainJob(ctx: JobContext, branch: StageBranch): Promise<JobOutcome> {
  await ctx.repo.checkout(branch);
  const stage = await currentStage(ctx.repo.dir);
  if (!stage.ok) throw new Error(formatError(stage.error));
  // The stage's rollout policy from the branch's fleetplay.yml, passed as `fleetplay run` passes it.
  const rollout = rolloutPolicyOf(ctx.repo.dir, stage.value.branch);
  if (!rollout.ok) throw new Error(rollout.error.map(formatError).join('\n'));
  await ctx.server.admin('DELETE', 'requests');
  let text = '';
  const stdout = new Writable({ write: (c, _e, cb) => ((text += String(c)), cb()) });
  const r = await runPlaybook({
    playbook: join(ctx.repo.dir, PLAYBOOK),
    inventory: [join(ctx.repo.dir, 'inventory')],
    mode: 'run',
    stdout,
    // Its warnings (a device held back after a failed update…) are kept aside with the output.
    stderr: stdout,
    env: ctx.env,
    branch: stage.value.branch,
    commit: stage.value.commit,
    extraVars: {
      mender_server: ctx.server.url,
      fleetplay_branch: stage.value.branch,
      fleetplay_commit: stage.value.commit,
      ...(rollout.value ? { fleetplay_rollout: rollout.value } : {}),
    },
  });
  const hosts = Object.entries(r.recap);
  // The story knows devices by their Mender ids; the recap by inventory names.
  const idOf = ([h]: [string, unknown]) => r.report.devices?.[h] ?? h;
  return {
    branch: stage.value.branch,
    commit: stage.value.commit,
    exitCode: r.exitCode,
    hosts: hosts.map(idOf),
    changed: hosts.filter(([, s]) => s.changed > 0).map(idOf),
    failed: hosts.filter(([, s]) => s.failed > 0 || s.unreachable > 0).map(idOf),
    plan: r.report.plan,
    ...(await fromRequestLog(ctx.server)),
    problems: text
      .split('\n')
      .filter((l) => /^(ERROR!|fatal:)/.test(l))
      .slice(0, 5),
  };
}

interface Logged {
  method: string;
  path: string;
  status: number;
  body: unknown;
}

/** OS deployments are created by device list, in v1 or (with phases) v2. */
const OS_DEPLOYMENT = /^\/api\/management\/v[12]\/deployments\/deployments$/;

/** The run's writes and the devices its OS deployments named, as the server logged them. */
async function fromRequestLog(server: DemoServer): Promise<{ writes: number; deployed: string[] }> {
  const log = await server.admin<Logged[]>('GET', 'requests');
  const deployed = log
    .filter((r) => r.method === 'POST' && OS_DEPLOYMENT.test(r.path) && r.status < 300)
    .flatMap((r) => (r.body as { devices?: string[] } | null)?.devices ?? []);
  return {
    writes: log.filter((r) => isWrite(`${r.method} ${r.path}`)).length,
    deployed: [...new Set(deployed)].sort(),
  };
}
