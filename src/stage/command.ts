/**
 * `fleetplay stages [--only BRANCH] [--json]`: the repository's promotion stages, lowest first,
 * as fleetplay.yml configures them — what workflows read instead of a copy of the list.
 */
import type { Command } from 'commander';
import { ExitCode } from '../errors/index.js';
import { printDiagnostic } from '../log/index.js';
import { loadStageList, notAStage } from './stages.js';

export interface StagesArgs {
  repo: string;
  only?: string;
  json: boolean;
}

export interface StagesIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
}

/**
 * Prints the stages (with `--only`, that branch when it is a stage, else none and a note on
 * stderr: a workflow run for another branch then has nothing to do). Exit 1 on a bad fleetplay.yml.
 */
export function printStages(a: StagesArgs, io: StagesIo): number {
  const stages = loadStageList(a.repo);
  if (!stages.ok) {
    for (const e of stages.error) printDiagnostic(io.stderr, e, { prefix: 'ERROR! ', env: io.env });
    return ExitCode.usage;
  }
  let names = stages.value.names;
  if (a.only !== undefined && a.only !== '') {
    names = names.filter((n) => n === a.only);
    if (!names.length) io.stderr.write(`fleetplay: ${notAStage(a.only, stages.value).message}\n`);
  }
  io.stdout.write(a.json ? `${JSON.stringify(names)}\n` : names.map((n) => `${n}\n`).join(''));
  return ExitCode.ok;
}

export function registerStagesCommand(program: Command): void {
  program
    .command('stages')
    .description('the promotion stages of the fleet repository, lowest first (fleetplay.yml)')
    .option('--only <branch>', 'only this branch, if it is a stage (none otherwise; empty: every stage)')
    .option('--json', 'print a JSON array', false)
    .option('--repo <dir>', 'the fleet repository checkout', '.')
    .action((o: StagesArgs) => {
      process.exitCode = printStages(o, { stdout: process.stdout, stderr: process.stderr, env: process.env });
    });
}
