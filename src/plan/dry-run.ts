/**
 * A dry run of the stage whose output is the plan: the play's lines are kept aside (shown only
 * when it fails), nothing goes to a job summary, and every host that failed is kept with its task
 * and message.
 */
import { relative } from 'node:path';
import { Writable } from 'node:stream';
import type { TaskRecord } from '../engine/report.js';
import { maskSecrets } from '../log/index.js';
import { runStage, type StageRunOptions, type StageRunResult } from '../stage/index.js';
import type { FailedHost } from './comment.js';
import type { Plan } from './model.js';

export type DryRunOptions = Omit<StageRunOptions, 'mode' | 'check' | 'report' | 'results' | 'stdout' | 'onRecord'>;

export interface DryRun {
  result: StageRunResult;
  plan: Plan;
  /** The play's output (task lines, recap). */
  output: string;
  failures: FailedHost[];
}

export async function planDryRun(o: DryRunOptions): Promise<DryRun> {
  let output = '';
  const captured = new Writable({ write: (c, _e, cb) => ((output += String(c)), cb()) });
  const failures: FailedHost[] = [];
  const cwd = o.cwd ?? process.cwd();
  const onRecord = (r: TaskRecord) => {
    if (r.status === 'failed' || r.status === 'unreachable') failures.push(failureOf(r, cwd));
  };
  const env = { ...(o.env ?? process.env), GITHUB_STEP_SUMMARY: undefined };
  const result = await runStage({ ...o, env, mode: 'dry-run', stdout: captured, onRecord });
  return { result, plan: { schema: 'fleetplay.plan/1', devices: result.report.plan }, output, failures };
}

function failureOf(r: TaskRecord, cwd: string): FailedHost {
  const msg = typeof r.result.msg === 'string' ? r.result.msg : r.status;
  const file = r.file ? relative(cwd, r.file) : '';
  return {
    host: r.host,
    status: r.status === 'unreachable' ? 'unreachable' : 'failed',
    task: r.task,
    where: file ? `${file}:${r.line}` : undefined,
    // onRecord sees results unmasked.
    message: maskSecrets(msg),
  };
}
