/**
 * The run report (`--report FILE`): every host's result for every task, the typed plan (per
 * modules added, mode, branch, commit, timings and API request counts. Its schemas here;
 * report-file.ts writes it, validated with zod and secrets masked.
 */
import { z } from 'zod';
import { ApplySummary, DevicePlan } from '../plan/model.js';

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
export const STATUSES: ReadonlySet<string> = new Set(TaskStatus.options);

/** Which task: the same fields in a record and in a report's task entry. */
export const TaskHeader = z.object({
  play: z.string(),
  task: z.string(),
  action: z.string(),
  file: z.string(),
  line: z.number().int(),
});

/** One host's outcome of one task, as the report file keeps it (grouped under its task). */
export const HostResult = z.object({
  status: TaskStatus,
  /** The module's result as registered (censored under no_log). */
  result: z.record(z.string(), z.unknown()),
});

/** One host × task, as the engine makes it (and flatResults gives it back). */
export const TaskRecord = TaskHeader.extend(HostResult.shape).extend({ host: z.string(), durationMs: z.number() });
export type TaskRecord = z.infer<typeof TaskRecord>;

/**
 * One execution of one task and what it did on every host, like ansible's json callback groups
 * them: the task's fields once, not once per host (100k hosts × tasks).
 */
export const TaskResults = TaskHeader.extend({
  hosts: z.record(z.string(), HostResult),
  /** From the task's start to its last host's result. */
  durationMs: z.number(),
});
export type TaskResults = z.infer<typeof TaskResults>;

export const sameTask = (g: Pick<TaskRecord, 'play' | 'task' | 'file' | 'line'>, r: TaskRecord) =>
  g.play === r.play && g.task === r.task && g.file === r.file && g.line === r.line;

/** Records (in the order the engine made them) → one entry per task execution. */
export function groupResults(records: TaskRecord[]): TaskResults[] {
  const out: TaskResults[] = [];
  let g: TaskResults | undefined;
  for (const r of records) {
    // The same task again on a host already in the group is its next execution (a loop, a handler).
    if (!g || !sameTask(g, r) || Object.hasOwn(g.hosts, r.host)) {
      g = { play: r.play, task: r.task, action: r.action, file: r.file, line: r.line, hosts: {}, durationMs: 0 };
      out.push(g);
    }
    g.hosts[r.host] = { status: r.status, result: r.result };
    g.durationMs = Math.max(g.durationMs, r.durationMs);
  }
  return out;
}

/** A report's results as one record per host × task. */
export function flatResults(results: TaskResults[]): TaskRecord[] {
  return results.flatMap((g) =>
    Object.entries(g.hosts).map(([host, h]) => ({
      play: g.play,
      task: g.task,
      action: g.action,
      file: g.file,
      line: g.line,
      host,
      ...h,
      durationMs: g.durationMs,
    })),
  );
}

/** A decision as the mender_* modules record it; `plan` of a run-report/2 was a list of these. */
export const PlanRecord = z.object({
  host: z.string(),
  /** The Mender device id the decision is about (the host's mender_device_id, else its name). */
  device_id: z.string().optional(),
  kind: z.string(),
  action: z.string().optional(),
  from: z.unknown().optional(),
  to: z.unknown().optional(),
  why: z.string(),
  task: z.string(),
  /** OS decisions: the deployment in flight or failed, deployments aborted first, when it failed. */
  deployment: z.string().optional(),
  abort: z.array(z.string()).optional(),
  failed_at: z.string().optional(),
  wave: z.number().int().optional(),
  halted: z.boolean().optional(),
  deployment_failed: z.boolean().optional(),
});

export const RunReport = z.object({
  /** /3: `plan` is the typed plan (one DevicePlan per device); /2 had the modules' raw entries. */
  schema: z.literal('fleetplay.run-report/3'),
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
  /**
   * Host → Mender device id, for every host of the recap: a host named readably has its
   * mender_device_id here, a host named by its id itself. (Older reports have none.)
   */
  devices: z.record(z.string(), z.string()).optional(),
  /** One entry per task execution, with every host's result. */
  results: z.array(TaskResults),
  /** Per device of the recap: its OS and configuration decisions (src/plan/model.ts). */
  plan: z.array(DevicePlan),
  /** Requests made to the OTA server, filled by the OTA client (the main job adds the optional parts). */
  api: z.object({
    requests: z.number().int(),
    byEndpoint: z.record(z.string(), z.number().int()),
    writes: z.number().int().optional(),
    retries: z.number().int().optional(),
    /** Per OTA server: its requests-per-second budget (`mender_api.rps`, 0 none) and what the run used of it. */
    budget: z
      .array(
        z.object({
          server: z.string(),
          rps_budget: z.number(),
          requests: z.number().int(),
          seconds: z.number(),
          peak_rps: z.number().int(),
        }),
      )
      .optional(),
    /** The run's requests divided by the devices it handled. */
    perDevice: z
      .object({ devices: z.number().int(), requests: z.number(), byEndpoint: z.record(z.string(), z.number()) })
      .optional(),
  }),
  /** `--mode run`: whether the plan gate let the writes go, how many, and the hosts whose write failed. */
  apply: ApplySummary.optional(),
  /** What `fleetplay run` scheduled for the stage (src/stage). */
  stage: z.unknown().optional(),
  errors: z.array(
    z.object({
      code: z.string(),
      message: z.string(),
      file: z.string().optional(),
      line: z.number().optional(),
      hint: z.string().optional(),
    }),
  ),
});
export type RunReport = z.infer<typeof RunReport>;
