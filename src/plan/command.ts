/**
 * `fleetplay plan [PLAYBOOK] [--format text|markdown|json]`: a dry run of the stage (same
 * inventory, branch, server, limit and -e options as `run`; nothing is written to the OTA server
 * nor to a job summary) and its plan printed alone. A run that fails prints its output to stderr.
 */
import { Writable } from 'node:stream';
import { Option, type Command } from 'commander';
import { DEFAULT_PLAYBOOK, inventoryOf, parseExtraVars, targetOptions } from '../engine/cli.js';
import { useColor } from '../log/index.js';
import { runStage, type StageRunOptions } from '../stage/index.js';
import { renderPlan, type PlanFormat } from './render.js';

export type PlanOptions = Omit<StageRunOptions, 'mode' | 'check' | 'report' | 'results' | 'stdout'> & {
  format?: PlanFormat;
  stdout?: NodeJS.WritableStream;
  stderr?: NodeJS.WritableStream;
};

export async function planFleet(o: PlanOptions): Promise<number> {
  const { format = 'text', stdout = process.stdout, stderr = process.stderr, ...run } = o;
  let text = '';
  const captured = new Writable({ write: (c, _e, cb) => ((text += String(c)), cb()) });
  // The plan is the output: the play's lines are kept for when it fails.
  const env = { ...(run.env ?? process.env), GITHUB_STEP_SUMMARY: undefined };
  const r = await runStage({ ...run, env, mode: 'dry-run', stdout: captured, stderr });
  if (r.exitCode !== 0) stderr.write(text);
  const plan = { schema: 'fleetplay.plan/1' as const, devices: r.report.plan };
  stdout.write(renderPlan(plan, format, { color: useColor(stdout, env) }));
  return r.exitCode;
}

export function registerPlanCommand(program: Command): void {
  targetOptions(
    program
      .command('plan')
      .description('print what a run would do to each device (a dry run: nothing is written)')
      .argument('[playbook]', 'playbook file', DEFAULT_PLAYBOOK),
  )
    .addOption(new Option('--format <format>', 'text | markdown | json').choices(['text', 'markdown', 'json']))
    .exitOverride()
    .action(async (playbook: string, o: Record<string, unknown>) => {
      process.exitCode = await planFleet({
        playbook,
        inventory: inventoryOf(o),
        format: (o.format as PlanFormat | undefined) ?? 'text',
        limit: o.limit as string | undefined,
        extraVars: parseExtraVars(o.extraVars as string[]),
        server: o.server as string | undefined,
        branch: o.branch as string | undefined,
      });
    });
}
