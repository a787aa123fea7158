/**
 * The apply phase of `--mode run`. The plan phase ran every task on every host with the modules'
 * writes put off (registry.ts `Write`); here the plan gate (src/plan/gate.ts) decides, then the
 * writes go in task order, in bulk as the modules made them. A host whose write fails is failed
 * in the recap (from changed or ok) and gets none of its later writes.
 */
import type { FleetError } from '../errors/index.js';
import { diagnostic } from '../log/index.js';
import type { DeferredWrite, ModuleResult } from '../modules/registry.js';
import type { ApplyOutcome } from '../plan/model.js';
import { gate, type GateVerdict } from '../plan/gate.js';
import type { MaxFailed } from '../monitor/classify.js';
import type { Printer, Stats } from './output.js';
import type { RunReport } from './report.js';

/** A host's failure in the plan phase, for the list a failed plan prints. */
export interface PlanFailure {
  file: string;
  line: number;
  task: string;
  host: string;
  msg: string;
}

/**
 * A task the plan phase put off (src/engine/deferred.ts): it runs after the first `after`
 * writes were sent, on its hosts not skipped, and returns those it failed (host → message).
 */
export interface ApplyTask {
  after: number;
  hosts: readonly string[];
  run(skip: ReadonlySet<string>): Promise<Map<string, string>>;
}

export interface ApplyInput {
  writes: readonly DeferredWrite[];
  tasks?: readonly ApplyTask[];
  verdict: GateVerdict;
  /** Every host's counts (changed in place when a write fails). */
  stats: ReadonlyMap<string, Stats>;
  printer: Printer;
}

export interface Applied {
  report: NonNullable<RunReport['apply']>;
  /** What became of the write a task planned for a host. */
  outcome(task: string, host: string): ApplyOutcome | undefined;
}

/** Task → host → outcome. Outcomes other than a failure are shared values: 100k hosts × tasks add up. */
type Outcomes = Map<string, Map<string, ApplyOutcome>>;
const SENT: ApplyOutcome = Object.freeze({ status: 'sent' });
const NOT_SENT: ApplyOutcome = Object.freeze({ status: 'not-sent' });

function setOutcome(outcomes: Outcomes, task: string, host: string, o: ApplyOutcome): void {
  let m = outcomes.get(task);
  if (!m) outcomes.set(task, (m = new Map<string, ApplyOutcome>()));
  m.set(host, o);
}

export async function applyWrites(i: ApplyInput): Promise<Applied> {
  const outcomes: Outcomes = new Map();
  for (const w of i.writes) for (const h of w.hosts) setOutcome(outcomes, w.task, h, NOT_SENT);
  const failed: Record<string, string> = {};
  const devices = new Set<string>();
  if (i.verdict.apply) {
    const skip = new Set(i.verdict.skip);
    const wanted = (x: { hosts: readonly string[] }) => x.hosts.some((h) => !skip.has(h));
    const todo = i.writes.filter(wanted);
    const tasks = (i.tasks ?? []).filter(wanted);
    for (const x of [...todo, ...tasks]) for (const h of x.hosts) if (!skip.has(h)) devices.add(h);
    i.printer.phase(
      `APPLY [${count(todo.length, 'write')}${tasks.length ? `, ${count(tasks.length, 'deferred task')}` : ''} for ${devices.size} devices]`,
    );
    // In task order: a task put off runs once the writes before it were sent (it reads their answers).
    let next = 0;
    const runTasks = async (upTo: number) => {
      for (; next < tasks.length && tasks[next].after <= upTo; next++)
        for (const [h, msg] of await tasks[next].run(skip)) {
          failed[h] = msg;
          skip.add(h);
        }
    };
    for (let k = 0; k < i.writes.length; k++) {
      await runTasks(k);
      if (wanted(i.writes[k])) await send(i.writes[k], skip, i, outcomes, failed);
    }
    await runTasks(Infinity);
    i.printer.flush();
  }
  return {
    report: { applied: i.verdict.apply, writes: i.writes.length, devices: devices.size, failed },
    outcome: (task, host) => outcomes.get(task)?.get(host),
  };
}

/** One write for the hosts not skipped; its failures fail their hosts (and skip their later writes). */
async function send(
  w: DeferredWrite,
  skip: Set<string>,
  i: ApplyInput,
  outcomes: Outcomes,
  failed: Record<string, string>,
): Promise<void> {
  const hosts = new Set(w.hosts.filter((h) => !skip.has(h)));
  let results: Map<string, ModuleResult>;
  try {
    results = await w.run(hosts);
  } catch (e) {
    const msg = `${w.describe}: ${(e as Error).message}`;
    results = new Map([...hosts].map((h) => [h, { failed: true, msg }]));
  }
  for (const h of hosts) {
    const r = results.get(h);
    w.registers?.get(h)?.(r);
    if (!r?.failed) {
      setOutcome(outcomes, w.task, h, SENT);
      continue;
    }
    const msg = typeof r.msg === 'string' ? r.msg : `${w.describe} failed`;
    setOutcome(outcomes, w.task, h, { status: 'failed', error: msg });
    failed[h] = msg;
    skip.add(h);
    i.printer.result('fatal', h, { ...r, changed: false }, {});
    const s = i.stats.get(h);
    if (s) moveToFailed(s, w.changed, r.unreachable === true);
  }
}

const count = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;

/** The recap as if the task had failed on the host (or not reached the server): not ok (nor changed) any more. */
function moveToFailed(s: Stats, changed: boolean, unreachable: boolean): void {
  s.ok = Math.max(0, s.ok - 1);
  if (changed) s.changed = Math.max(0, s.changed - 1);
  if (unreachable) s.unreachable++;
  else s.failed++;
}

/** A failed plan: the banner, then every failure with file:line, host and message (annotated in Actions). */
export function printPlanFailed(
  printer: Printer,
  verdict: Extract<GateVerdict, { apply: false }>,
  failures: readonly PlanFailure[],
  env: NodeJS.ProcessEnv | undefined,
): void {
  printer.phase('PLAN FAILED: nothing was written');
  printer.line(`${verdict.why}:`);
  const failedHosts = new Set(verdict.failed);
  for (const f of failures.filter((x) => failedHosts.has(x.host)))
    printer.line(
      diagnostic(
        { code: 'plan.failed', message: `${f.host}: ${f.task}: ${f.msg}`, file: f.file, line: f.line },
        { prefix: '  ', env },
      ),
    );
  printer.flush();
}

/** What the plan phase left (the engine's fields). */
export interface Planned {
  writes: readonly DeferredWrite[];
  tasks?: readonly ApplyTask[];
  failures: readonly PlanFailure[];
  errors: readonly unknown[];
  /** Hosts with at least one result (the recap's), with their counts. */
  stats: ReadonlyMap<string, Stats>;
  plan: { task: string; host: string; apply?: ApplyOutcome }[];
}

export interface GateOptions {
  maxFailed?: MaxFailed;
  maxFailPercentage?: number;
  printer: Printer;
  env?: NodeJS.ProcessEnv;
  beforeFirstWrite?: BeforeFirstWrite;
}

/** Why a caller stopped the writes at the last moment, and the exit code that says so. */
export interface WriteStop {
  error: FleetError;
  exitCode: number;
}

/**
 * The caller's last word once the gate let the writes go, before the first one is sent (the stage
 * layer asks whether its branch moved on). A stop means nothing is written.
 */
export type BeforeFirstWrite = () => Promise<WriteStop | undefined>;

/**
 * The gate and the apply phase. A playbook that put no write off (nothing it runs writes, or
 * check mode) prints exactly what ansible-playbook prints: no gate, no APPLY banner.
 */
export async function gateAndApply(p: Planned, o: GateOptions): Promise<RunReport['apply']> {
  if (!p.writes.length) return undefined;
  const hosts: Record<string, Stats> = Object.fromEntries(p.stats);
  const verdict = gate({
    hosts,
    maxFailed: o.maxFailed,
    maxFailPercentage: o.maxFailPercentage,
    errors: p.errors.length,
  });
  if (!verdict.apply) printPlanFailed(o.printer, verdict, p.failures, o.env);
  const stop = verdict.apply ? await o.beforeFirstWrite?.() : undefined;
  if (stop) printStopped(o.printer, stop);
  const go: GateVerdict = stop ? { apply: false, failed: [], why: stop.error.message } : verdict;
  const applied = await applyWrites({
    writes: p.writes,
    tasks: p.tasks,
    verdict: go,
    stats: p.stats,
    printer: o.printer,
  });
  for (const e of p.plan) {
    const outcome = applied.outcome(e.task, e.host);
    if (outcome) e.apply = outcome;
  }
  if (!stop) return applied.report;
  const { code, message } = stop.error;
  return { ...applied.report, stopped: { code, message, exitCode: stop.exitCode } };
}

/** The banner of writes stopped before the first one; the caller prints the error itself. */
function printStopped(printer: Printer, stop: WriteStop): void {
  printer.phase('APPLY STOPPED: nothing was written');
  printer.line(stop.error.message);
  printer.flush();
}
