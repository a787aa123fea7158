/**
 * The run report (`--report FILE`): every host's result for every task, the plan entries
 * modules added, mode, branch, commit, timings and API request counts. Validated with zod
 * before it is written; secrets are masked.
 */
import { closeSync, openSync, readSync, renameSync, rmSync, writeSync } from 'node:fs';
import { z } from 'zod';
import { maskDeep, maskedJson } from '../log/index.js';

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
  action: z.string().optional(),
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
  /** Requests made to the OTA server, filled by the OTA client (the main job adds the optional parts). */
  api: z.object({
    requests: z.number().int(),
    byEndpoint: z.record(z.string(), z.number().int()),
    writes: z.number().int().optional(),
    retries: z.number().int().optional(),
    /** The run's requests divided by the devices it handled. */
    perDevice: z.object({ devices: z.number().int(), requests: z.number(), byEndpoint: z.record(z.string(), z.number()) }).optional(),
  }),
  /** What `fleetplay run` scheduled for the stage (src/stage). */
  stage: z.unknown().optional(),
  errors: z.array(z.object({ code: z.string(), message: z.string(), file: z.string().optional(), line: z.number().optional(), hint: z.string().optional() })),
});
export type RunReport = z.infer<typeof RunReport>;

/**
 * The `results` of a report on its way to disk: each record is masked, validated and written as
 * it comes (one compact line each), so 100k hosts × tasks never sit in memory or in one string.
 */
export class ResultsFile {
  readonly path: string;
  private readonly fd: number;
  private buf = '';
  /** Records added so far. */
  size = 0;

  constructor(report: string) {
    this.path = `${report}.results.tmp`;
    this.fd = openSync(this.path, 'w', 0o600);
  }

  add(record: TaskRecord): void {
    TaskRecord.parse(record);
    this.buf += `${this.size++ ? ',\n' : ''}    ${maskedJson(record)}`;
    if (this.buf.length >= CHUNK) this.flush();
  }

  /** Copies what was written into `out`, then removes the temporary file. */
  drainInto(out: number): void {
    this.flush();
    closeSync(this.fd);
    const data = Buffer.allocUnsafe(1 << 20);
    const fd = openSync(this.path, 'r');
    try {
      for (let n; (n = readSync(fd, data, 0, data.length, null)) > 0; ) writeSync(out, data, 0, n);
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

  private flush(): void {
    if (this.buf) writeSync(this.fd, this.buf);
    this.buf = '';
  }
}

const CHUNK = 1 << 16;
const SLOT = '@@fleetplay:results@@';

/**
 * Writes the report: validated, secrets masked, atomically (a temporary file renamed into place).
 * With `results`, the records come from that file instead of `report.results`. Results and plan
 * entries are one compact line each; the rest is indented.
 */
export function writeReport(file: string, report: RunReport, results?: ResultsFile): void {
  const { results: inline, plan, ...head } = report;
  const checked = RunReport.parse(maskDeep({ ...head, results: [], plan: [] }));
  const text = JSON.stringify({ ...checked, results: [SLOT], plan: [SLOT] }, null, 2);
  const [before, between, after] = text.split(`[\n    "${SLOT}"\n  ]`);
  const tmp = `${file}.tmp`;
  const out = openSync(tmp, 'w', 0o644);
  try {
    writeSync(out, before!);
    if (results) {
      writeSync(out, results.size ? '[\n' : '[');
      results.drainInto(out);
      writeSync(out, results.size ? '\n  ]' : ']');
    } else writeLines(out, inline.map((r) => maskedJson(TaskRecord.parse(r))));
    writeSync(out, between!);
    writeLines(out, plan.map((p) => maskedJson(PlanRecord.parse(p))));
    writeSync(out, `${after}\n`);
  } finally {
    closeSync(out);
  }
  renameSync(tmp, file);
}

/** A JSON array of pre-serialised entries, one per line, written in chunks. */
function writeLines(out: number, lines: string[]): void {
  if (!lines.length) return void writeSync(out, '[]');
  writeSync(out, '[\n');
  for (let i = 0; i < lines.length; i += 1000) {
    const last = i + 1000 >= lines.length;
    writeSync(out, `    ${lines.slice(i, i + 1000).join(',\n    ')}${last ? '\n  ]' : ',\n'}`);
  }
}
