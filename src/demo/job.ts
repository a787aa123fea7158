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
  await ctx.server.admin('DELETE', 'requests');
  let text = '';
  const stdout = new Writable({ write: (c, _e, cb) => ((text += String(c)), cb()) });
  const r = await runPlaybook({
    playbook: join(ctx.repo.dir, PLAYBOOK),
    inventory: [join(ctx.repo.dir, 'inventory')],
    mode: 'run',
    stdout,
    env: ctx.env,
    branch: stage.value.branch,
    commit: stage.value.commit,
    extraVars: {
      mender_server: ctx.server.url,
      fleetplay_branch: stage.value.branch,
      fleetplay_commit: stage.value.commit,
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
    writes: await countWrites(ctx.server),
    problems: text
      .split('\n')
      .filter((l) => /^(ERROR!|fatal:)/.test(l))
      .slice(0, 5),
  };
}

async function countWrites(server: DemoServer): Promise<number> {
  const log = await server.admin<{ method: string; path: string }[]>('GET', 'requests');
  return log.filter((r) => isWrite(`${r.method} ${r.path}`)).length;
}
