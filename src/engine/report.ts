/**
 * The run report (`--report FILE`): every host's result for every task, the plan entries
 * modules added, mode, branch, commit, timings and API request counts. Validated with zod
 * before it is written; secrets are masked.
 */
import { writeFileSync } from 'node:fs';
import { z } from 'zod';
import { maskDeep } from '../log/index.js';

export const StatsSchema = z.object({
  ok: z.number().int(),
  changed: z.number().int(),
  unreachable: z.number().int(),
  failed: z.number().int(),
  skipped: z.number().int(),
  rescued: z.number().int(),
  ignored: z.number().int(),
});

export const TaskStatus = z.enum(['ok', 'changed', 'skipped', 'failed', 'ignored', 'unreachable']);
export type TaskStatus = z.infer<typeof TaskStatus>;

export const TaskRecord = z.object({
  play: z.string(),
  task: z.string(),
  action: z.string(),
  file: z.string(),
  line: z.number().int(),
  host: z.string(),
  status: TaskStatus,
  /** The module's result as registered (censored under no_log). */
  result: z.record(z.string(), z.unknown()),
  durationMs: z.number(),
});
export type TaskRecord = z.infer<typeof TaskRecord>;

export const PlanRecord = z.object({
  host: z.string(),
  kind: z.string(),
  from: z.unknown().optional(),
  to: z.unknown().optional(),
  why: z.string(),
  task: z.string(),
});

export const RunReport = z.object({
  schema: z.literal('fleetplay.run-report/1'),
  playbook: z.string(),
  mode: z.enum(['run', 'dry-run', 'dry-run-debug']),
  checkMode: z.boolean(),
  diff: z.boolean(),
  /** Filled by the caller (the CI job knows the branch and commit). */
  branch: z.string().nullable(),
  commit: z.string().nullable(),
  startedAt: z.string(),
  finishedAt: z.string(),
  durationMs: z.number(),
  /** Where the time went: reading the playbook, the inventory, running the plays. */
  timings: z.object({ playbookMs: z.number(), inventoryMs: z.number(), runMs: z.number() }),
  exitCode: z.number().int(),
  recap: z.record(z.string(), StatsSchema),
  results: z.array(TaskRecord),
  plan: z.array(PlanRecord),
  /** Requests made to the OTA server, filled by the OTA client. */
  api: z.object({ requests: z.number().int(), byEndpoint: z.record(z.string(), z.number().int()) }),
  errors: z.array(z.object({ code: z.string(), message: z.string(), file: z.string().optional(), line: z.number().optional(), hint: z.string().optional() })),
});
export type RunReport = z.infer<typeof RunReport>;

export function writeReport(file: string, report: RunReport): void {
  const checked = RunReport.parse(maskDeep(report));
  writeFileSync(file, JSON.stringify(checked, null, 2) + '\n');
}
