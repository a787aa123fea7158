/**
 * The run report (`--report FILE`): every host's result for every task, the typed plan (per
 * modules added, mode, branch, commit, timings and API request counts. Validated with zod
 * before it is written; secrets are masked.
 */
import { closeSync, openSync, readSync, renameSync, rmSync, writeSync } from 'node:fs';
import { z } from 'zod';
import { maskDeep, maskedJson } from '../log/index.js';
import { DevicePlan } from '../plan/model.js';

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
const STATUSES: ReadonlySet<string> = new Set(TaskStatus.options);

/** Which task: the same fields in a record and in a report's task entry. */
const TaskHeader = z.object({
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

const sameTask = (g: Pick<TaskRecord, 'play' | 'task' | 'file' | 'line'>, r: TaskRecord) =>
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
    /** The run's requests divided by the devices it handled. */
    perDevice: z
      .object({ devices: z.number().int(), requests: z.number(), byEndpoint: z.record(z.string(), z.number()) })
      .optional(),
  }),
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

/**
 * The `results` of a report on its way to disk: each record is masked, validated and written as
 * it comes, grouped under its task (see TaskResults), so 100k hosts × tasks never sit in memory
 * or in one string.
 */
export class ResultsFile {
  readonly path: string;
  private readonly fd: number;
  private buf = '';
  /** Task entries started so far. */
  size = 0;
  private group:
    (Pick<TaskRecord, 'play' | 'task' | 'file' | 'line'> & { hosts: Set<string>; durationMs: number }) | undefined;

  constructor(report: string) {
    this.path = `${report}.results.tmp`;
    this.fd = openSync(this.path, 'w', 0o600);
  }

  add(r: TaskRecord): void {
    // Built by typed code; a shape check by hand, as zod's copy of every result (a million per
    // 100k-device run) cost more than writing it.
    if (!STATUSES.has(r.status) || typeof r.result !== 'object' || r.result === null || Array.isArray(r.result))
      throw new Error(`report: bad result for ${r.host} in ${r.task}`);
    const host = { status: r.status, result: r.result };
    let g = this.group;
    if (!g || !sameTask(g, r) || g.hosts.has(r.host)) {
      this.closeGroup();
      const header = TaskHeader.parse({ play: r.play, task: r.task, action: r.action, file: r.file, line: r.line });
      this.buf += `${this.size++ ? ',\n' : ''}    ${maskedJson(header).slice(0, -1)},"hosts":{`;
      g = this.group = { play: r.play, task: r.task, file: r.file, line: r.line, hosts: new Set(), durationMs: 0 };
    }
    this.buf += `${g.hosts.size ? ',' : ''}\n      ${JSON.stringify(r.host)}:${maskedJson(host)}`;
    g.hosts.add(r.host);
    g.durationMs = Math.max(g.durationMs, r.durationMs);
    if (this.buf.length >= CHUNK) this.flush();
  }

  /** Copies what was written into `out`, then removes the temporary file. */
  drainInto(out: number): void {
    this.closeGroup();
    this.flush();
    closeSync(this.fd);
    const data = Buffer.allocUnsafe(1 << 20);
    const fd = openSync(this.path, 'r');
    try {
      for (let n; (n = readSync(fd, data, 0, data.length, null)) > 0;) writeSync(out, data, 0, n);
    } finally {
      closeSync(fd);
      rmSync(this.path, { force: true });
    }
  }

  /** Gives up (the report is not written): the temporary file goes. */
  discard(): void {
    closeSync(this.fd);
    rmSync(this.path, { force: true });
  }

  private closeGroup(): void {
    if (this.group) this.buf += `\n    },"durationMs":${this.group.durationMs}}`;
    this.group = undefined;
  }

  private flush(): void {
    if (this.buf) writeSync(this.fd, this.buf);
    this.buf = '';
  }
}

const CHUNK = 1 << 16;
const SLOT = '@@fleetplay:results@@';
const RECAP_SLOT = '@@fleetplay:recap@@';
const DEVICES_SLOT = '@@fleetplay:devices@@';
const STAT_KEYS = Object.keys(StatsSchema.shape) as (keyof z.infer<typeof StatsSchema>)[];

/**
 * Writes the report: validated, secrets masked, atomically (a temporary file renamed into place).
 * With `results`, the records come from that file instead of `report.results`. Recap, results and
 * plan entries are one compact line each, written in chunks (100k hosts: no copy of them, no
 * single string of them); the rest is indented.
 */
export function writeReport(file: string, report: RunReport, results?: ResultsFile): void {
  const { results: inline, plan, recap, devices = {}, ...head } = report;
  const checked = RunReport.parse({ ...maskDeep(head), recap: {}, devices: {}, results: [], plan: [] });
  const text = JSON.stringify(
    { ...checked, recap: RECAP_SLOT, devices: DEVICES_SLOT, results: [SLOT], plan: [SLOT] },
    null,
    2,
  );
  const [beforeRecap, afterRecap] = text.split(`"${RECAP_SLOT}"`) as [string, string];
  const [beforeDevices, rest] = afterRecap.split(`"${DEVICES_SLOT}"`) as [string, string];
  const [before, between, after] = rest.split(`[\n    "${SLOT}"\n  ]`);
  const tmp = `${file}.tmp`;
  const out = openSync(tmp, 'w', 0o644);
  try {
    writeSync(out, beforeRecap);
    const hosts = Object.keys(recap);
    // Host names and counts only: nothing to mask.
    writeChunked(
      out,
      '{',
      '}',
      hosts.length,
      (i) => `${JSON.stringify(hosts[i])}: ${statsJson(recap[hosts[i]], hosts[i])}`,
    );
    writeSync(out, beforeDevices);
    const named = Object.keys(devices);
    writeChunked(out, '{', '}', named.length, (i) => `${JSON.stringify(named[i])}: ${idJson(devices[named[i]])}`);
    writeSync(out, before);
    if (results) {
      writeSync(out, results.size ? '[\n' : '[');
      results.drainInto(out);
      writeSync(out, results.size ? '\n  ]' : ']');
    } else writeChunked(out, '[', ']', inline.length, (i) => maskedJson(TaskResults.parse(inline[i])));
    writeSync(out, between);
    writeChunked(out, '[', ']', plan.length, (i) => maskedJson(planRecord(plan[i])));
    writeSync(out, `${after}\n`);
  } finally {
    closeSync(out);
  }
  renameSync(tmp, file);
}

/** A host's recap counts, checked by hand (StatsSchema, 100k times) and in the schema's order. */
function statsJson(s: z.infer<typeof StatsSchema>, host: string): string {
  for (const k of STAT_KEYS)
    if (!Number.isInteger(s[k])) throw new Error(`report: recap of ${host}: ${k} is not a count`);
  return `{${STAT_KEYS.map((k) => `"${k}": ${s[k]}`).join(', ')}}`;
}

function idJson(id: unknown): string {
  if (typeof id !== 'string') throw new Error('report: a device id is not a string');
  return JSON.stringify(id);
}

/** A device's plan, checked by hand for its shape (100k+ devices, made by typed code), else by zod. */
function planRecord(p: DevicePlan): DevicePlan {
  const ok =
    typeof p.host === 'string' &&
    typeof p.device_id === 'string' &&
    typeof p.os?.action === 'string' &&
    typeof p.config?.action === 'string';
  return ok ? p : DevicePlan.parse(p);
}

/** A JSON array or object of `n` entries made by `entry(i)`, one per line, written 1000 at a time. */
function writeChunked(out: number, open: string, close: string, n: number, entry: (i: number) => string): void {
  if (!n) return void writeSync(out, open + close);
  writeSync(out, `${open}\n`);
  for (let i = 0; i < n; i += 1000) {
    const lines: string[] = [];
    for (let k = i; k < Math.min(n, i + 1000); k++) lines.push(entry(k));
    const last = i + 1000 >= n;
    writeSync(out, `    ${lines.join(',\n    ')}${last ? `\n  ${close}` : ',\n'}`);
  }
}
