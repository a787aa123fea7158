/**
 * `fleetplay advance [--branch B]`: starts update-fleet.yml (mode run) on every stage branch of
 * fleetplay.yml, or on one. What the update workflow's hourly schedule runs: a schedule event runs
 * on the default branch only, so it starts one run per stage branch instead, each with that
 * branch's environment, concurrency group and commit (docs/github.md, "Who advances the waves").
 */
import type { Command } from 'commander';
import { ExitCode } from '../errors/index.js';
import { startUpdateRun, UPDATE_WORKFLOW } from '../github/index.js';
import { printDiagnostic } from '../log/index.js';
import { loadStageList, notAStage } from './stages.js';

export interface AdvanceArgs {
  repo: string;
  branch?: string;
}

export interface AdvanceIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
  fetch?: typeof fetch;
}

/** One dispatch per stage, lowest first; exit 1 when fleetplay.yml is bad or a run was not started. */
export async function runAdvance(a: AdvanceArgs, io: AdvanceIo): Promise<number> {
  const stages = loadStageList(a.repo);
  if (!stages.ok) {
    for (const e of stages.error) printDiagnostic(io.stderr, e, { prefix: 'ERROR! ', env: io.env });
    return ExitCode.usage;
  }
  if (a.branch !== undefined && !stages.value.has(a.branch)) {
    printDiagnostic(io.stderr, notAStage(a.branch, stages.value), { prefix: 'ERROR! ', env: io.env });
    return ExitCode.usage;
  }
  let code: number = ExitCode.ok;
  for (const branch of a.branch === undefined ? stages.value.names : [a.branch]) {
    const r = await startUpdateRun(branch, io.env, io.fetch);
    if (!r.ok) printDiagnostic(io.stderr, r.error, { prefix: 'ERROR! ', env: io.env });
    else if (!r.value.sent) io.stderr.write(`fleetplay: ${r.value.reason}\n`);
    else io.stdout.write(`started ${UPDATE_WORKFLOW} on ${branch}\n`);
    if (!r.ok || !r.value.sent) code = ExitCode.usage;
  }
  return code;
}

export function registerAdvanceCommand(program: Command): void {
  program
    .command('advance')
    .description(`start ${UPDATE_WORKFLOW} (mode run) on every stage branch, or one (GITHUB_TOKEN with actions: write)`)
    .option('--branch <name>', 'only this stage branch')
    .option('--repo <dir>', 'the fleet repository checkout (its fleetplay.yml lists the stages)', '.')
    .action(async (o: AdvanceArgs) => {
      process.exitCode = await runAdvance(o, { stdout: process.stdout, stderr: process.stderr, env: process.env });
    });
}
