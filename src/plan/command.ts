/**
 * `fleetplay plan [PLAYBOOK] [--format text|markdown|json]`: a dry run of the stage (same
 * inventory, branch, server, limit and -e options as `run`; nothing is written to the OTA server
 * nor to a job summary) and its plan printed alone. A run that fails prints its output to stderr.
 */
import { Option, type Command } from 'commander';
import { DEFAULT_PLAYBOOK, inventoryOf, parseExtraVars, targetOptions } from '../engine/cli.js';
import { useColor } from '../log/index.js';
import type { StageRunOptions } from '../stage/index.js';
import { planDryRun } from './dry-run.js';
import { previewPullRequest } from './preview.js';
import { renderPlan, type PlanFormat } from './render.js';

export type PlanOptions = Omit<StageRunOptions, 'mode' | 'check' | 'report' | 'results' | 'stdout'> & {
  format?: PlanFormat;
  stdout?: NodeJS.WritableStream;
  stderr?: NodeJS.WritableStream;
};

export async function planFleet(o: PlanOptions): Promise<number> {
  const { format = 'text', stdout = process.stdout, stderr = process.stderr, ...run } = o;
  // The plan is the output: the play's lines are kept for when it fails.
  const r = await planDryRun({ ...run, stderr });
  if (r.result.skipped) {
    stderr.write(`fleetplay: ${r.result.skipped}\n`);
    return r.result.exitCode;
  }
  if (r.result.exitCode !== 0) stderr.write(r.output);
  stdout.write(renderPlan(r.plan, format, { color: useColor(stdout, run.env ?? process.env) }));
  return r.result.exitCode;
}

export function registerPlanCommand(program: Command): void {
  targetOptions(
    program
      .command('plan')
      .description('print what a run would do to each device (a dry run: nothing is written)')
      .argument('[playbook]', 'playbook file', DEFAULT_PLAYBOOK),
  )
    .addOption(new Option('--format <format>', 'text | markdown | json').choices(['text', 'markdown', 'json']))
    .option(
      '--comment',
      'in a pull_request workflow: plan the merged tree for the base branch, with stage moves against it, and keep it as one comment on the pull request and in the job summary',
    )
    .option('--base <ref>', 'with --comment: the commit the pull request merges into (default: from the merge commit)')
    .exitOverride()
    .action(async (playbook: string, o: Record<string, unknown>) => {
      const run = {
        playbook,
        inventory: inventoryOf(o),
        limit: o.limit as string | undefined,
        extraVars: parseExtraVars(o.extraVars as string[]),
        server: o.server as string | undefined,
        branch: o.branch as string | undefined,
      };
      process.exitCode = o.comment
        ? await previewPullRequest({ ...run, base: o.base as string | undefined })
        : await planFleet({ ...run, format: (o.format as PlanFormat | undefined) ?? 'text' });
    });
}
